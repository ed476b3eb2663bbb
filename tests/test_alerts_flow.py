"""Alerts end to end in one process: an organisation registers what is its own, another
publishes, the scan raises an alert (with reasons, notifications and e-mails under the TLP)
only for organisations that may read the report; acknowledgements are counted, never named."""

from collections.abc import Callable
from typing import Any

import pytest
from django.core import mail
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from pytest_django.fixtures import Settings as SettingsWrapper

from accounts.models import Organisation, User
from accounts.services.groups import group_create, group_invitation_accept, group_invite
from sharing import policy
from sharing.alerts.services import (
    alert_scan_run,
    alert_set_state,
    alerts_sweep,
    report_acknowledge,
    watched_asset_add,
)
from sharing.fanout.services import subscription_create
from sharing.feeds.services import feeds_ensure_builtin
from sharing.models import (
    Alert,
    AlertMatch,
    AlertScan,
    Feed,
    Notification,
    Report,
    ReportAcknowledgement,
    WatchedAsset,
)
from sharing.services import ReportContent, report_revise
from sharing.tlp import TLP
from tests.fixtures.members import acting, signed_in
from tests.fixtures.reports import report_row, shared

pytestmark = pytest.mark.django_db

PHISH = "login.example-bank.com.evil.tld"
TEXT = f"Credential phishing hosted at {PHISH}; the kit calls home to 203.0.113.7."


@pytest.fixture(autouse=True)
def _documentation_ranges(settings: SettingsWrapper) -> None:
    # 203.0.113.0/24 is a documentation range, warning-listed by default.
    settings.NORMALIZE_ALLOW_DOCUMENTATION_RANGES = True


@pytest.fixture
def watch_a(admin_a: User, org_a: Organisation) -> None:
    for kind, value in (("domain", "example-bank.com"), ("network", "203.0.113.0/24")):
        watched_asset_add(organisation=org_a, kind=kind, value=value, by=acting(admin_a))


@pytest.fixture
def publish(django_capture_on_commit_callbacks: Callable[..., Any]) -> Callable[..., Report]:
    """Share a report and run what follows its commit: normalisation, fan-out, the scan."""

    def share(author: User, tlp: TLP, **fields: Any) -> Report:
        with django_capture_on_commit_callbacks(execute=True):
            report = shared(author, tlp, **fields)
        report.refresh_from_db()
        return report

    return share


def alert_mails() -> list[Any]:
    """Alert e-mails (the subscription also brings the report's own fan-out e-mail)."""
    return [m for m in mail.outbox if "Alert for" in m.subject]


def email_subscriber(user: User) -> None:
    feeds_ensure_builtin()
    everything = Feed.objects.get(kind=Feed.Kind.EVERYTHING)
    subscription_create(feed=everything, by=acting(user), channel="email")


def test_a_green_report_raises_one_alert_for_the_owner_with_why_it_matched(
    watch_a: None,
    publish: Callable[..., Report],
    admin_a: User,
    analyst_a: User,
    peer_b: User,
    outsider_c: User,
) -> None:
    email_subscriber(analyst_a)
    mail.outbox.clear()

    report = publish(peer_b, TLP.GREEN, body_markdown=TEXT)

    alert = Alert.objects.get()
    assert alert.organisation == acting(admin_a).organisation
    assert (alert.report, alert.report_version) == (report, 1)
    reasons = {(m.kind, m.matched): m.reason for m in alert.matches.all()}
    assert set(reasons) == {("lookalike", PHISH), ("address", "203.0.113.7")}
    assert "in front of another domain" in reasons[("lookalike", PHISH)]
    assert reasons[("address", "203.0.113.7")] == (
        "the address 203.0.113.7 is in your range 203.0.113.0/24"
    )
    # The admin keeps the watch list and hears of it; the analyst subscribes by e-mail.
    notified = set(
        Notification.objects.filter(event="alert", alert=alert).values_list(
            "membership__user__email", flat=True
        )
    )
    assert notified == {"admin@a.test", "analyst@a.test"}
    assert [m.to for m in alert_mails()] == [["analyst@a.test"]]
    assert "[TLP:GREEN]" in alert_mails()[0].subject
    assert PHISH in alert_mails()[0].body  # GREEN may travel by e-mail with its content
    # Nobody else was alerted: not the source, not C.
    assert not policy.visible_alerts(acting(outsider_c)).exists()
    assert not policy.visible_alerts(acting(peer_b)).exists()


def test_the_owner_sees_the_alert_and_its_reasons_on_the_pages(
    watch_a: None, publish: Callable[..., Report], analyst_a: User, peer_b: User, outsider_c: User
) -> None:
    publish(peer_b, TLP.GREEN, body_markdown=TEXT)
    alert = Alert.objects.get()
    client = signed_in(analyst_a)

    listing = client.get(reverse("alerts:alert-list")).text
    page = client.get(reverse("alerts:alert-detail", args=[alert.uuid])).text
    outsider = signed_in(outsider_c).get(reverse("alerts:alert-detail", args=[alert.uuid]))

    assert "the address 203.0.113.7 is in your range 203.0.113.0/24" in listing
    assert PHISH in page
    assert "contains your domain example-bank.com in front of another domain" in page
    assert outsider.status_code == 404


def test_an_organisation_that_cannot_read_the_report_gets_no_alert(
    watch_a: None,
    publish: Callable[..., Report],
    admin_b: User,
    peer_b: User,
    org_c: Organisation,
    outsider_c: User,
) -> None:
    # An AMBER report to a trust group of B and C: A is not in it.
    group = group_create(name="B and C", by=acting(admin_b))
    invitation = group_invite(group=group, organisation=org_c, by=acting(admin_b))
    group_invitation_accept(
        invitation=invitation, by=acting(User.objects.get(email="admin@c.test"))
    )

    report = publish(peer_b, TLP.AMBER, body_markdown=TEXT, audience_groups=[group])

    assert report.status == Report.Status.PUBLISHED
    assert AlertScan.objects.get(report=report).status == AlertScan.Status.DONE
    assert not Alert.objects.exists()
    assert not Notification.objects.filter(event="alert").exists()


def test_a_red_report_alerts_only_the_person_it_names_and_is_never_emailed(
    watch_a: None,
    publish: Callable[..., Report],
    admin_a: User,
    analyst_a: User,
    peer_b: User,
) -> None:
    email_subscriber(analyst_a)
    mail.outbox.clear()

    publish(peer_b, TLP.RED, body_markdown=TEXT, audience_people=[analyst_a])

    alert = Alert.objects.get()
    assert policy.visible_alerts(acting(analyst_a)).get() == alert
    assert not policy.visible_alerts(acting(admin_a)).exists()
    assert list(Notification.objects.filter(alert=alert).values_list("membership", flat=True)) == [
        acting(analyst_a).pk
    ]
    assert alert_mails() == []
    assert Alert.objects.get().emailed_at is not None  # decided, not pending


def test_an_amber_alert_email_is_a_notice_without_the_matched_values(
    watch_a: None, publish: Callable[..., Report], analyst_a: User, peer_b: User
) -> None:
    email_subscriber(analyst_a)
    mail.outbox.clear()

    publish(peer_b, TLP.AMBER, body_markdown=TEXT)

    (message,) = alert_mails()
    assert "[TLP:AMBER]" in message.subject
    assert PHISH not in message.body
    assert "203.0.113.7" not in message.body
    assert "2 entries of your watch list" in message.body
    assert str(Alert.objects.get().uuid) in message.body


def test_scanning_twice_raises_nothing_twice_and_a_revision_alerts_only_what_is_new(
    watch_a: None,
    publish: Callable[..., Report],
    peer_b: User,
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    report = publish(peer_b, TLP.GREEN, body_markdown=TEXT)
    scan = AlertScan.objects.get(report=report)
    AlertScan.objects.filter(pk=scan.pk).update(status=AlertScan.Status.PENDING)

    assert alert_scan_run(scan_id=scan.pk) == 0
    assert Alert.objects.count() == 1

    with django_capture_on_commit_callbacks(execute=True):
        report_revise(
            report=report,
            by=acting(peer_b),
            content=ReportContent(
                title=report.title,
                summary=report.summary,
                body_markdown=TEXT + " A second server: 203.0.113.99.",
                tlp=report.tlp,
                audience_everyone=True,
            ),
        )
    with django_capture_on_commit_callbacks(execute=True):
        report_revise(
            report=report,
            by=acting(peer_b),
            content=ReportContent(
                title="Reworded",
                summary=report.summary,
                body_markdown=TEXT + " A second server: 203.0.113.99.",
                tlp=report.tlp,
                audience_everyone=True,
            ),
        )

    alerts = list(Alert.objects.order_by("report_version"))
    assert [a.report_version for a in alerts] == [1, 2]
    assert [m.matched for m in alerts[1].matches.all()] == ["203.0.113.99"]


def test_a_scan_left_behind_by_a_lost_message_is_sent_again_by_the_sweep(
    watch_a: None, publish: Callable[..., Report], peer_b: User, settings: SettingsWrapper
) -> None:
    settings.ALERTS_SWEEP_GRACE_SECONDS = 0
    report = publish(peer_b, TLP.GREEN, body_markdown=TEXT)
    Alert.objects.all().delete()
    AlertScan.objects.filter(report=report).update(status=AlertScan.Status.PENDING)

    assert alerts_sweep() == 1  # the scan (its alert was e-mailed before it was deleted)
    assert Alert.objects.count() == 1


def test_the_watch_list_page_keeps_entries_and_refuses_bad_ones_clearly(
    admin_a: User, analyst_a: User, org_a: Organisation
) -> None:
    client = signed_in(admin_a)
    url = reverse("watchlist:watchlist")

    bad = client.post(url, {"kind": "network", "value": "203.0.113.5/24"})
    good = client.post(url, {"kind": "domain", "value": "Example-Bank.com"})
    duplicate = client.post(url, {"kind": "domain", "value": "example-bank.com."})

    assert "did you mean 203.0.113.0/24" in bad.text
    assert good.status_code == 302
    assert "already on your watch list" in duplicate.text
    assert list(org_a.watched_assets.values_list("kind", "value")) == [
        ("domain", "example-bank.com")
    ]
    assert signed_in(analyst_a).get(url).status_code == 404  # admins only
    asset = org_a.watched_assets.get()
    client.post(reverse("watchlist:watchlist-remove", args=[asset.uuid]))
    assert not org_a.watched_assets.exists()


# --- Acknowledgements ---------------------------------------------------------------------


def test_members_acknowledge_and_only_counts_reach_the_isac_and_the_source(
    publish: Callable[..., Report],
    analyst_a: User,
    peer_b: User,
    outsider_c: User,
    isac_curator: User,
) -> None:
    report = publish(peer_b, TLP.GREEN, body_markdown="Phishing wave against operators.")
    url = reverse("report-detail", args=[report.uuid])

    signed_in(analyst_a).post(
        reverse("alerts:report-acknowledge", args=[report.uuid]), {"impact": "affected"}
    )
    report_acknowledge(report=report, by=acting(outsider_c))

    own = signed_in(analyst_a).get(url).text
    source = signed_in(peer_b).get(url).text
    staff = signed_in(isac_curator).get(url).text
    other = signed_in(outsider_c).get(url).text
    assert 'your answer: <strong class="ack-impact">Affected</strong>' in own
    for page in (source, staff):
        assert 'data-count="read">2 organisations' in page
        assert 'data-count="affected">1<' in page
        assert "Member A" not in page
        assert "Outsider C" not in page
    assert "data-count" not in other
    assert "Member A" not in other
    assert policy.acknowledgement_counts(acting(outsider_c), report) is None


def test_a_bad_impact_answer_is_refused_and_the_source_cannot_acknowledge_its_own(
    publish: Callable[..., Report], analyst_a: User, peer_b: User
) -> None:
    report = publish(peer_b, TLP.GREEN, body_markdown="Phishing wave against operators.")

    response = signed_in(analyst_a).post(
        reverse("alerts:report-acknowledge", args=[report.uuid]),
        {"impact": "panicking"},
        follow=True,
    )
    own_source = signed_in(peer_b).post(
        reverse("alerts:report-acknowledge", args=[report.uuid]), {"impact": "affected"}
    )

    assert "not one of them" in response.text
    assert not ReportAcknowledgement.objects.exists()
    assert own_source.status_code == 404


def test_acknowledging_an_alert_acknowledges_its_report_for_the_organisation(
    watch_a: None, publish: Callable[..., Report], analyst_a: User, peer_b: User
) -> None:
    publish(peer_b, TLP.GREEN, body_markdown=TEXT)
    alert = Alert.objects.get()

    alert_set_state(alert=alert, state="acknowledged", by=acting(analyst_a))

    alert.refresh_from_db()
    assert alert.state == Alert.State.ACKNOWLEDGED
    assert ReportAcknowledgement.objects.get().organisation == acting(analyst_a).organisation
    listing = signed_in(analyst_a).get(reverse("alerts:alert-list"), {"state": "new"}).text
    assert "No alerts in this state" in listing


# --- API -----------------------------------------------------------------------------------


def api(client: Client, method: str, url: str, token: str, body: Any = None) -> Any:
    call = getattr(client, method)
    if body is None:
        return call(url, HTTP_AUTHORIZATION=f"Bearer {token}")
    return call(url, body, content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {token}")


def test_the_api_lists_alerts_with_reasons_keeps_the_watch_list_and_counts_acknowledgements(
    publish: Callable[..., Report],
    issue_token: Callable[..., str],
    admin_a: User,
    analyst_a: User,
    peer_b: User,
    outsider_c: User,
    client: Client,
) -> None:
    admin_token, analyst_token = issue_token(admin_a), issue_token(analyst_a)
    source_token, outsider_token = issue_token(peer_b), issue_token(outsider_c)

    refused = api(client, "post", "/api/v1/watchlist/", admin_token, {"kind": "asn", "value": "x"})
    added = api(
        client,
        "post",
        "/api/v1/watchlist/",
        admin_token,
        {"kind": "domain", "value": "example-bank.com"},
    )
    not_admin = api(
        client,
        "post",
        "/api/v1/watchlist/",
        analyst_token,
        {"kind": "domain", "value": "example-bank.org"},
    )
    assert refused.status_code == 400
    assert "not an AS number" in refused.json()["non_field_errors"][0]
    assert added.status_code == 201
    assert not_admin.status_code == 403

    report = publish(peer_b, TLP.GREEN, body_markdown=TEXT)
    alerts = api(client, "get", "/api/v1/alerts/", analyst_token).json()["results"]
    assert [(a["report"], a["tlp"], a["state"]) for a in alerts] == [
        (str(report.uuid), "green", "new")
    ]
    assert [(m["kind"], m["matched"], m["asset_value"]) for m in alerts[0]["matches"]] == [
        ("lookalike", PHISH, "example-bank.com")
    ]
    assert api(client, "get", "/api/v1/alerts/", outsider_token).json()["results"] == []
    alert_url = f"/api/v1/alerts/{alerts[0]['id']}/"
    assert api(client, "get", alert_url, outsider_token).status_code == 404
    done = api(client, "post", alert_url + "state/", analyst_token, {"state": "acknowledged"})
    assert done.json()["state"] == "acknowledged"

    ack_url = f"/api/v1/reports/{report.uuid}/acknowledgement/"
    answered = api(client, "post", ack_url, analyst_token, {"impact": "investigating"}).json()
    assert answered["impact"] == "investigating"
    assert answered["counts"] is None
    counts = api(client, "get", ack_url, source_token).json()["counts"]
    assert counts == {"read": 1, "affected": 0, "not_affected": 0, "investigating": 1}
    assert api(client, "get", ack_url, outsider_token).json() == {
        "read_at": None,
        "impact": "",
        "counts": None,
    }


def test_the_alert_list_costs_the_same_queries_with_many_alerts(
    watch_a: None,
    analyst_a: User,
    peer_b: User,
    org_a: Organisation,
    issue_token: Callable[..., str],
) -> None:
    asset = WatchedAsset.objects.get(organisation=org_a, kind="network")
    client = signed_in(analyst_a)
    token = issue_token(analyst_a)

    def add_alerts(count: int) -> None:
        for i in range(count):
            report = report_row(author=peer_b, tlp=TLP.GREEN, title=f"R{i}", audience_everyone=True)
            alert = Alert.objects.create(organisation=org_a, report=report, report_version=1)
            for j in range(3):
                AlertMatch.objects.create(
                    alert=alert, asset=asset, kind="address", matched=f"203.0.113.{j}", reason="r"
                )

    def queries() -> tuple[list[str], list[str]]:
        with CaptureQueriesContext(connection) as page:
            assert client.get(reverse("alerts:alert-list")).status_code == 200
        with CaptureQueriesContext(connection) as api:
            response = client.get("/api/v1/alerts/", HTTP_AUTHORIZATION=f"Bearer {token}")
            assert response.status_code == 200
        return [q["sql"] for q in page], [q["sql"] for q in api]

    add_alerts(2)
    queries()  # the first request of a session and a token writes their bookkeeping
    few = queries()
    add_alerts(20)
    many = queries()

    assert len(many[0]) == len(few[0]), set(many[0]) ^ set(few[0])
    assert len(many[1]) == len(few[1]), set(many[1]) ^ set(few[1])
