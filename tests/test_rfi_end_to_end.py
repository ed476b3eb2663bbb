"""A request for information the whole way: a member asks with indicators, a peer answers
and turns the answer into a report, publishes it, the worker extracts the indicators, and a
third member reads the report, with the question's indicators, over the page and the API."""

import time
from collections.abc import Callable

import pytest
from django.db import transaction
from django.test import Client

from accounts.models import User
from accounts.services.tokens import token_issue
from sharing.models import Report, ReportIndicator
from sharing.rfi.services import rfi_answer, rfi_answer_to_report
from sharing.services import report_submit
from sharing.tlp import TLP
from tests.fixtures.members import acting, signed_in
from tests.fixtures.rfi import ask

pytestmark = pytest.mark.services

ASKED = {("ipv4", "185.220.101.45"), ("domain", "vpn-update-portal.net")}


def wait_for(predicate: Callable[[], bool], timeout: float = 60.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.2)
    return False


def test_answer_made_report_carries_the_questions_indicators_to_a_third_member(
    celery_worker: object, analyst_a: User, peer_b: User, outsider_c: User
) -> None:
    # given: A asks the whole membership, with two defanged indicators
    with transaction.atomic():
        rfi = ask(
            analyst_a,
            TLP.GREEN,
            title="Beacons to a fake VPN update site?",
            indicators_text="185.220.101[.]45\nhxxps://vpn-update-portal[.]net/login",
        )
    assert {(i["type"], i["value"]) for i in rfi.indicators} >= ASKED

    # when: B answers, makes a report of the answer and shares it
    with transaction.atomic():
        answer = rfi_answer(rfi=rfi, by=acting(peer_b), body="Yes: two jump hosts beaconed.")
        draft = rfi_answer_to_report(answer=answer, by=acting(peer_b))
        report = report_submit(report=draft, by=acting(peer_b), sensitive_confirmed=True)
    assert report.status == Report.Status.PUBLISHED
    assert wait_for(lambda: ReportIndicator.objects.filter(report=report).count() >= len(ASKED))

    # then: C, a third member, reads the report and its indicators on the page ...
    page = signed_in(outsider_c).get(f"/reports/{report.uuid}/").content.decode()
    assert "Yes: two jump hosts beaconed." in page
    for _, value in ASKED:
        assert value in page
    assert f"/rfis/{rfi.uuid}/" in page  # the link back to the question

    # ... and over the API
    _, token = token_issue(membership=acting(outsider_c), name="e2e", by=None)
    api = Client(HTTP_AUTHORIZATION=f"Bearer {token}")
    body = api.get(f"/api/v1/reports/{report.uuid}/").json()
    assert body["title"] == "Answer: Beacons to a fake VPN update site?"
    assert body["source"] == "Peer B"
    rows = api.get("/api/v1/indicators/", {"report": str(report.uuid)}).json()["results"]
    assert {(row["type"], row["value"]) for row in rows} >= ASKED
    question = api.get(f"/api/v1/rfis/{rfi.uuid}/").json()
    assert question["answers"][0]["report"] == str(report.uuid)
