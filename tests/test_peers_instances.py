"""Two portals on loopback (two databases, two ports, each with its own Celery worker)
exchange reports both ways over TAXII: ISAC A pushes its energy feed to ISAC B and pulls
what B shares with it; B pulls A. Nothing a rule or the gateway forbids crosses, TLP never
widens, B being down loses and duplicates nothing, and what B serves of A's reports passes
the STIX 2.1 validator in strict mode without naming A's member."""

from collections.abc import Callable
from typing import Any

import httpx
import pytest
from stix2validator import ValidationOptions, validate_instance

from accounts.models import Organisation, Sector, User
from sharing import policy
from sharing.models import (
    Delivery,
    Feed,
    Peer,
    PeerCorroboration,
    Report,
    Submission,
)
from sharing.normalize.services import submission_create
from sharing.peers.credentials import PeerSecrets
from sharing.peers.services import (
    PeerSettings,
    peer_collection_add,
    peer_create,
    peer_push_add,
    peer_rule_set,
)
from sharing.peers.tasks import peer_pull_task
from sharing.preview import report_text
from sharing.taxii.selectors import INBOX_ID, SHARED_WITH_ME_ID
from sharing.tlp import TLP
from tests.fixtures.fanout import PublishReport
from tests.fixtures.instances import PortalInstance, account_for_peer, wait_for
from tests.fixtures.members import acting

pytestmark = [pytest.mark.django_db(transaction=True)]
STRICT = ValidationOptions(version="2.1", strict=True)
TAXII = "application/taxii+json;version=2.1"


def second_reports(second: PortalInstance) -> dict[str, dict[str, Any]]:
    rows = second.reports()
    titles = [row["title"] for row in rows]
    assert len(titles) == len(set(titles)), f"a report arrived twice: {titles}"
    return {row["title"]: row for row in rows}


def served_by_second(second: PortalInstance, token: str) -> list[dict[str, Any]]:
    """Every object B's TAXII server gives its member, page by page."""
    found: list[dict[str, Any]] = []
    cursor = ""
    url = f"{second.url}/taxii2/portal/collections/{SHARED_WITH_ME_ID}/objects/"
    while True:
        response = httpx.get(
            url,
            params={"limit": "200", **({"next": cursor} if cursor else {})},
            headers={"Accept": TAXII, "Authorization": f"Bearer {token}"},
            timeout=30,
        )
        assert response.status_code == 200, response.text
        body = response.json()
        found.extend(body.get("objects", []))
        if not body.get("more"):
            return found
        cursor = body["next"]


def test_two_portals_exchange_reports_both_ways_over_taxii(
    live_server: Any,
    second_portal: PortalInstance,
    portal_worker: Any,
    settings: Any,
    isac_admin: User,
    analyst_a: User,
    org_a: Organisation,
    energy: Sector,
    finance: Sector,
    everything_feed: Feed,
    publish_report: PublishReport,
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    settings.FANOUT_ALLOWED_NETWORKS = ["127.0.0.0/8"]

    def publish(title: str, value: str, sector: Sector) -> Report:
        report = publish_report(author=analyst_a, organisation=org_a, title=title,
                                sectors=[sector])  # fmt: skip
        report.indicators_text = value
        report.save(update_fields=["indicators_text"])
        submission_create(
            organisation=org_a,
            submitted_by=analyst_a,
            kind=Submission.Kind.FORM,
            raw=report_text(report).encode(),
            report=report,
        )
        return report

    # given ISAC B (the second portal) with a member sharing GREEN and AMBER+STRICT reports,
    # an account there for ISAC A, and ISAC A configured on B as a peer it pulls
    token_for_b = account_for_peer("ISAC B", "isac-b.test", may_publish=False)
    seeded = second_portal.run(
        "tests.fixtures.instances:seed_second",
        token_at_first=token_for_b,
        first_api_root=f"{live_server.url}/taxii2/portal/",
    )
    # and ISAC A pulling B's shared collection (GREEN and AMBER to energy) and pushing its
    # feed to B's inbox through a gateway that lets out GREEN energy reports only
    by = acting(isac_admin)
    peer = peer_create(
        settings=PeerSettings(
            name="ISAC B",
            api_root_url=f"{second_portal.url}/taxii2/portal/",
            auth="bearer",
            push_collection_id=str(INBOX_ID),
            push_tlp_max=TLP.GREEN,
            push_sectors=[energy],
        ),
        secrets=PeerSecrets(token=seeded["token"]),
        by=by,
    )
    peer_collection_add(peer=peer, collection_id=str(SHARED_WITH_ME_ID), by=by)
    for tlp in (TLP.GREEN, TLP.AMBER):
        peer_rule_set(peer=peer, tlp=tlp, sectors=[energy], by=by)
    peer_push_add(peer=peer, feed=everything_feed, by=by)

    # when member A publishes an energy report and a finance report
    pushed = publish("A: grid operator phishing", "a-grid-phish.xyz", energy)
    kept_home = publish("A: bank loader", "a-bank-loader.xyz", finance)

    # then the energy report reaches B through the outbox and B's worker publishes it there
    def delivered(report: Report) -> Callable[[], bool]:
        return lambda: Delivery.objects.filter(
            report=report, channel="peer", status=Delivery.Status.DELIVERED
        ).exists()

    wait_for(delivered(pushed), timeout=60, what="A's push to B")
    wait_for(
        lambda: second_reports(second_portal).get(pushed.title, {}).get("status") == "published",
        timeout=60,
        what="B to publish what A pushed",
    )
    wait_for(
        lambda: (
            Delivery.objects.filter(report=kept_home, channel="peer")
            .exclude(status=Delivery.Status.PENDING)
            .exists()
        ),
        timeout=30,
        what="the finance report's delivery to be decided",
    )
    assert Delivery.objects.get(report=kept_home, channel="peer").status == "cancelled"

    # when A's worker pulls B
    peer_pull_task.delay(peer.pk)
    wait_for(
        lambda: Peer.objects.filter(pk=peer.pk, last_success_at__isnull=False).exists(),
        timeout=60,
        what="A's pull of B",
    )

    # then B's GREEN report is in A, from peer B, for energy members; AMBER+STRICT never came
    from_b = Report.objects.get(title="B: substation scanning")
    assert from_b.peer_origin.peer == peer
    assert from_b.tlp == TLP.GREEN
    assert policy.can_view(acting(analyst_a), from_b)
    assert not Report.objects.filter(title="B: strict only").exists()
    assert "b-strict-only.xyz" not in str(list(Report.objects.values_list("title", flat=True)))
    # and A's own report, served back by B, was recognised: no copy, "also reported by B"
    assert Report.objects.filter(title=pushed.title).count() == 1
    assert PeerCorroboration.objects.filter(report=pushed, peer=peer).exists()

    # when B pulls A
    result = second_portal.run("tests.fixtures.instances:pull_in_second", peer_id=seeded["peer_id"])
    assert result["error"] == ""

    # then B has A's finance report from peer A (it was not pushed, but A shares it with B's
    # account), and the energy one it had already is marked also reported, not copied
    in_b = second_reports(second_portal)
    assert in_b[kept_home.title]["peer"] == "ISAC A"
    assert in_b[pushed.title]["peer"] is None
    assert in_b[pushed.title]["corroborated"]
    # the report B received from A never went back to A as new
    assert in_b["B: substation scanning"]["peer"] is None

    # and what B's members read of A's reports is strictly valid and never names member A
    served = served_by_second(second_portal, seeded["reader"])
    from_a = [obj for obj in served if obj.get("name") in (pushed.title, kept_home.title)]
    assert {obj["name"] for obj in from_a} == {pushed.title, kept_home.title}
    for obj in served:
        outcome = validate_instance(obj, STRICT)
        assert outcome.is_valid, (obj.get("id"), [str(e) for e in outcome.errors])
    assert org_a.name not in str(served)

    # when B is down while A publishes again and polls, then comes back
    second_portal.stop()
    Peer.objects.filter(pk=peer.pk).update(last_pull_at=None)
    late = publish("A: second phishing wave", "a-second-wave.xyz", energy)
    wait_for(
        lambda: (
            Delivery.objects.filter(report=late, channel="peer", attempts__gte=1)
            .exclude(last_error="")
            .exists()
        ),
        timeout=60,
        what="A's push to fail while B is down",
    )
    peer_pull_task.delay(peer.pk)
    wait_for(
        lambda: Peer.objects.filter(pk=peer.pk, failing_since__isnull=False).exists(),
        timeout=60,
        what="A's pull to fail while B is down",
    )
    second_portal.start()

    # then the delivery is retried and arrives exactly once, and the next pull recovers
    wait_for(delivered(late), timeout=60, what="A's retried push")
    wait_for(
        lambda: second_reports(second_portal).get(late.title, {}).get("status") == "published",
        timeout=60,
        what="B to publish the retried push",
    )
    peer_pull_task.delay(peer.pk)
    wait_for(
        lambda: Peer.objects.filter(pk=peer.pk, failing_since__isnull=True).exists(),
        timeout=60,
        what="A's pull to succeed again",
    )
    assert Report.objects.filter(title=late.title).count() == 1
    assert Report.objects.filter(title="B: substation scanning").count() == 1
