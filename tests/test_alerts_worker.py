"""Alerts with a real Celery worker on Redis: member A registers its domain and range, peer
B publishes, the worker normalises, matches and alerts; A reads why over the page and the
API; an organisation outside the audience of an AMBER report is never alerted about it."""

import time
from collections.abc import Callable

import pytest
from django.test import Client
from django.urls import reverse
from pytest_django.fixtures import Settings as SettingsWrapper

from accounts.models import Organisation, User
from accounts.services.groups import group_create, group_invitation_accept, group_invite
from sharing.alerts.services import watched_asset_add
from sharing.models import Alert, AlertScan, Report
from sharing.tlp import TLP
from tests.fixtures.members import acting, signed_in
from tests.fixtures.reports import shared

pytestmark = pytest.mark.services

PHISH = "login.example-bank.com.evil.tld"


def wait_for(predicate: Callable[[], bool], timeout: float = 60.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.2)
    return False


def scanned(report: Report) -> Callable[[], bool]:
    return lambda: AlertScan.objects.filter(report=report, status="done").exists()


def test_worker_alerts_the_owner_with_reasons_and_never_an_organisation_outside_the_audience(
    celery_worker: object,
    settings: SettingsWrapper,
    admin_a: User,
    analyst_a: User,
    admin_b: User,
    peer_b: User,
    org_a: Organisation,
    org_c: Organisation,
    issue_token: Callable[..., str],
) -> None:
    # given: A and C both watch the range; a trust group of B and C that A is not in
    settings.NORMALIZE_ALLOW_DOCUMENTATION_RANGES = True
    admin_c = User.objects.get(email="admin@c.test")
    watched_asset_add(
        organisation=org_a, kind="domain", value="example-bank.com", by=acting(admin_a)
    )
    for org, admin in ((org_a, admin_a), (org_c, admin_c)):
        watched_asset_add(
            organisation=org, kind="network", value="203.0.113.0/24", by=acting(admin)
        )
    group = group_create(name="B and C", by=acting(admin_b))
    invitation = group_invite(group=group, organisation=org_c, by=acting(admin_b))
    group_invitation_accept(invitation=invitation, by=acting(admin_c))

    # when: B publishes a GREEN report to everyone and an AMBER one to the group
    green = shared(
        peer_b,
        TLP.GREEN,
        title="Bank phishing kit",
        body_markdown=f"Victims are sent to {PHISH}; the kit posts to 203.0.113.7.",
    )
    amber = shared(
        peer_b,
        TLP.AMBER,
        title="Group-only infrastructure",
        body_markdown="A second panel at 203.0.113.50.",
        audience_groups=[group],
    )
    assert wait_for(scanned(green)), "the worker never scanned the GREEN report"
    assert wait_for(scanned(amber)), "the worker never scanned the AMBER report"

    # then: A is alerted about the GREEN report only, C about both
    assert set(Alert.objects.values_list("organisation__name", "report__title")) == {
        ("Member A", "Bank phishing kit"),
        ("Outsider C", "Bank phishing kit"),
        ("Outsider C", "Group-only infrastructure"),
    }
    alert = Alert.objects.get(organisation=org_a)
    page = signed_in(analyst_a).get(reverse("alerts:alert-detail", args=[alert.uuid])).text
    assert f"{PHISH} contains your domain example-bank.com in front of another domain" in page
    assert "the address 203.0.113.7 is in your range 203.0.113.0/24" in page
    assert "203.0.113.50" not in signed_in(analyst_a).get(reverse("alerts:alert-list")).text

    token = issue_token(analyst_a)
    body = Client().get("/api/v1/alerts/", HTTP_AUTHORIZATION=f"Bearer {token}").json()
    (listed,) = body["results"]
    assert listed["report"] == str(green.uuid)
    assert sorted((m["kind"], m["matched"]) for m in listed["matches"]) == [
        ("address", "203.0.113.7"),
        ("lookalike", PHISH),
    ]
