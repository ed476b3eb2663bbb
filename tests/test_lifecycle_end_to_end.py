"""End to end: a member shares indicators, the real worker normalises them, another
member's TAXII client reads their score and validity; time passes, the sweep (run by the
worker, as beat sends it) revokes the decayed IP and the client polling with added_after
gets the revoked version while the CSV block list drops it; a sighting restarts the clock."""

import csv
import io
import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.urls import reverse
from taxii2client.v21 import Server

from accounts.models import User
from portal.enqueue import send_now
from sharing.models import ReportIndicator, Submission
from sharing.stix.objects import timestamp
from sharing.taxii.selectors import SHARED_WITH_ME_ID
from sharing.tlp import TLP
from tests.fixtures.members import signed_in
from tests.fixtures.reports import shared
from tests.fixtures.taxii import IssueToken

pytestmark = pytest.mark.services

IP = "185.220.101.45"
DOMAIN = "login-portal-update.net"


def wait_for(check: Callable[[], bool], what: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.1)
    raise AssertionError(f"the worker never {what}")


def normalised(report_id: int) -> bool:
    statuses = set(Submission.objects.filter(report_id=report_id).values_list("status", flat=True))
    assert Submission.Status.FAILED not in statuses
    return bool(statuses) and statuses <= {Submission.Status.PUBLISHED}


def indicators(objects: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """The indicator objects served, by the value their pattern names."""
    found = {}
    for obj in objects:
        if obj["type"] == "indicator":
            value = obj["pattern"].split("'")[1]
            found[value] = obj
    return found


def test_peer_tool_sees_scores_then_a_revocation_and_a_reset_clock_over_taxii(
    celery_worker: object,
    live_server: Any,
    analyst_a: User,
    peer_b: User,
    issue_token: IssueToken,
) -> None:
    # given member A publishes a report with an IP address and a domain; the worker runs
    report = shared(analyst_a, TLP.GREEN, indicators_text=f"{IP}\n{DOMAIN}")
    wait_for(lambda: normalised(report.pk), "normalised the report")

    # when member B's SOC tool polls the shared collection over TAXII
    server = Server(f"{live_server.url}/taxii2/", user="soc", password=issue_token(peer_b))
    collection = next(c for c in server.default.collections if c.id == str(SHARED_WITH_ME_ID))
    first = collection.get_objects()
    served = indicators(first["objects"])

    # then each indicator carries its score as confidence and its valid_until
    ip = ReportIndicator.objects.get(report=report, indicator__value=IP)
    assert ip.valid_until is not None
    assert served[IP]["confidence"] == 50
    assert served[IP]["valid_until"] == timestamp(ip.valid_until)
    assert served[DOMAIN]["confidence"] == 50
    assert "revoked" not in served[IP]
    cursor = max(obj_added for obj_added in _added(collection, first))

    # when 21 days pass for the IP (its score falls to 19) and beat sends the sweep
    ip.decay_from -= timedelta(days=21)
    ip.valid_until -= timedelta(days=21)
    ip.save(update_fields=["decay_from", "valid_until"])
    assert send_now("sharing.tasks.indicators_sweep")
    wait_for(
        lambda: ReportIndicator.objects.filter(pk=ip.pk, revoked_at__isnull=False).exists(),
        "revoked the decayed IP",
    )

    # then the tool, polling for what was added since, gets the revoked version alone
    since = collection.get_objects(added_after=cursor)
    assert [obj["id"] for obj in since["objects"]] == [served[IP]["id"]]
    [revoked] = since["objects"]
    assert revoked["revoked"] is True
    assert revoked["confidence"] == 19
    assert revoked["modified"] > served[IP]["modified"]

    # and the CSV block list drops the IP, keeps the domain
    response = signed_in(peer_b).get(reverse("report-csv", args=[report.uuid]))
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert [row["value"] for row in rows] == [DOMAIN]

    # when member B reports seeing the domain today (the domain is 50 days old by then)
    domain = ReportIndicator.objects.get(report=report, indicator__value=DOMAIN)
    assert domain.valid_until is not None
    domain.decay_from -= timedelta(days=50)
    domain.valid_until -= timedelta(days=50)
    domain.save(update_fields=["decay_from", "valid_until"])
    cursor = max(_added(collection, since))
    page = signed_in(peer_b).post(
        reverse("report-sighting", args=[report.uuid]),
        {"indicator": domain.indicator_id, "kind": "seen"},
    )
    assert page.status_code == 302

    # then the tool gets a new version of the domain indicator, valid for 102 days again
    after = collection.get_objects(added_after=cursor)
    [renewed] = after["objects"]
    domain.refresh_from_db()
    assert renewed["id"] == served[DOMAIN]["id"]
    assert renewed["valid_until"] == timestamp(domain.valid_until)
    assert renewed["valid_until"] > served[DOMAIN]["valid_until"]
    assert renewed["confidence"] == 50


def _added(collection: Any, envelope: dict[str, Any]) -> list[str]:
    """When each served object was added (from the manifest), for the next added_after."""
    ids = {obj["id"] for obj in envelope["objects"]}
    manifest = collection.get_manifest()
    return [record["date_added"] for record in manifest.get("objects", []) if record["id"] in ids]
