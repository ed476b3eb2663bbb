"""Pulling a MISP community's feed (written with PyMISP, served on loopback): events become
reports from the peer that members read with the event's values and TLP over the page, the
REST API and TAXII; the peer's rules refuse what they must; a second pull fetches nothing;
a newer event timestamp makes the report's next version; a worker pulls on its schedule;
and the portal's own MISP feed, pulled as a MISP peer, comes back value for value."""

import hashlib
import time
from datetime import UTC, datetime
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from pymisp import MISPAttribute

from accounts.models import Organisation, Sector, User
from sharing import policy
from sharing.formats.misp import EventHead, SharedValue, event_document
from sharing.formats.stix import report_bundle
from sharing.indicator_types import IndicatorType
from sharing.misp.convert import event_objects
from sharing.models import Feed, Peer, PeerCorroboration, PeerExchange, Report
from sharing.normalize.parsers.stix import indicators_in
from sharing.peers.credentials import PeerSecrets
from sharing.peers.pull import peer_pull
from sharing.peers.services import PeerSettings, peer_create, peer_rule_set
from sharing.peers.tasks import peers_poll
from sharing.stix.markings import TLP2_MARKING_IDS
from sharing.taxii.selectors import SHARED_WITH_ME_ID
from sharing.tlp import TLP
from tests.fixtures.instances import _publish, wait_for
from tests.fixtures.members import acting, signed_in
from tests.fixtures.misp_feed import FEED_HEADER, MispFeedServer, misp_event
from tests.fixtures.taxii import IssueToken
from tests.test_misp_feed import EVERY_TYPE

pytestmark = pytest.mark.usefixtures("allow_loopback")
# A real worker and a live server use their own connections: their tests commit.
pulls = pytest.mark.django_db(transaction=True)

TAXII = "application/taxii+json;version=2.1"
SHA256 = hashlib.sha256(b"grid loader invoice.exe").hexdigest()
MD5 = hashlib.md5(b"grid loader dropper").hexdigest()
# What the GREEN event's to_ids attributes carry, as the portal stores them.
GREEN_VALUES = {
    "185.220.101.47",
    "grid-loader.xyz",
    "c2.grid-loader.xyz",
    "https://grid-loader.xyz/gate.php",
    "billing@grid-invoice.xyz",
    SHA256,
    MD5,
}


@pytest.fixture
def allow_loopback(settings: Any) -> None:
    # The community's feed is on this machine: the operator's allow-list opens loopback.
    settings.FANOUT_ALLOWED_NETWORKS = ["127.0.0.0/8"]


def misp_peer(admin: User, feed_url: str) -> Peer:
    return peer_create(
        settings=PeerSettings(
            name="CERT Community MISP",
            kind=Peer.Kind.MISP,
            feed_url=feed_url,
            auth="none",
            unmarked_tlp=TLP.AMBER,
        ),
        secrets=PeerSecrets(headers=f"{FEED_HEADER[0]}: {FEED_HEADER[1]}"),
        by=acting(admin),
    )


def grid_loader(when: int) -> Any:
    event = misp_event("Loader wave against grid operators", tlp="tlp:green", when=when)
    event.add_attribute("ip-dst", "185.220.101.47", to_ids=True)
    event.add_attribute("domain", "grid-loader.xyz", to_ids=True)
    event.add_attribute("hostname", "c2.grid-loader.xyz", to_ids=True)
    event.add_attribute("url", "https://grid-loader.xyz/gate.php", to_ids=True)
    event.add_attribute("email-src", "billing@grid-invoice.xyz", to_ids=True)
    event.add_attribute("filename|sha256", f"invoice.exe|{SHA256}", to_ids=True)
    dropper = event.add_object(name="file")
    dropper.add_attribute("md5", value=MD5, to_ids=True)
    withdrawn = event.add_attribute("domain", "withdrawn-c2.xyz", to_ids=True)
    assert isinstance(withdrawn, MISPAttribute)
    withdrawn.deleted = True
    event.add_attribute("domain", "context-only.xyz", to_ids=False, comment="their sinkhole")
    return event


def served_over_taxii(client: Client, token: str) -> list[dict[str, Any]]:
    response = client.get(
        f"/taxii2/portal/collections/{SHARED_WITH_ME_ID}/objects/",
        {"limit": "500"},
        HTTP_ACCEPT=TAXII,
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )
    assert response.status_code == 200, response.content[:300]
    return list(response.json().get("objects", []))


@pytest.mark.django_db
def test_misp_events_reach_members_with_their_values_and_tlp_and_rules_refuse_the_rest(
    misp_feed: MispFeedServer,
    isac_admin: User,
    analyst_a: User,
    peer_b: User,
    outsider_c: User,
    org_a: Organisation,
    energy: Sector,
    issue_token: IssueToken,
) -> None:
    # given a MISP community's feed with a GREEN event (indicators, a deleted attribute and
    # context), an AMBER+STRICT one, a RED one and an untagged one
    when = int(time.time()) - 3600
    strict = misp_event("Strict: targeted substation", tlp="tlp:amber+strict", when=when)
    strict.add_attribute("domain", "strict-target.xyz", to_ids=True)
    red = misp_event("Red: named victim", tlp="tlp:red", when=when)
    red.add_attribute("domain", "red-victim.xyz", to_ids=True)
    unmarked = misp_event("Unmarked sighting", tlp=None, when=when)
    unmarked.add_attribute("domain", "unmarked-c2.xyz", to_ids=True)
    misp_feed.publish(grid_loader(when), strict, red, unmarked)
    # and the ISAC admin's rules: GREEN to the energy sector, AMBER+STRICT to organisation A
    peer = misp_peer(isac_admin, misp_feed.url)
    peer_rule_set(peer=peer, tlp=TLP.GREEN, sectors=[energy], by=acting(isac_admin))
    peer_rule_set(peer=peer, tlp=TLP.AMBER_STRICT, organisations=[org_a], by=acting(isac_admin))

    # when the portal pulls the peer
    result = peer_pull(peer_id=peer.pk)

    # then the GREEN event is a published GREEN report from the peer with the to_ids values,
    # not the deleted one; context stays context
    assert result.error == ""
    green = Report.objects.get(peer_origin__peer=peer, tlp=TLP.GREEN)
    assert green.title == "Loader wave against grid operators"
    assert green.status == Report.Status.PUBLISHED
    stored = set(green.report_indicators.values_list("indicator__value", flat=True))
    assert stored == GREEN_VALUES
    assert "context-only.xyz" in green.summary
    assert "withdrawn-c2.xyz" not in green.summary

    # and member A reads exactly those values over the REST API, the page and TAXII
    token = issue_token(analyst_a, read_only=True)
    api = Client().get(
        f"/api/v1/indicators/?report={green.uuid}&page_size=200",
        headers={"Authorization": f"Bearer {token}"},
    )
    assert {row["value"] for row in api.json()["results"]} == GREEN_VALUES
    page = signed_in(analyst_a).get(reverse("report-detail", args=[green.uuid])).content.decode()
    assert all(value in page for value in GREEN_VALUES - {"https://grid-loader.xyz/gate.php"})
    assert "TLP:GREEN" in page
    assert "CERT Community MISP" in page
    served = served_over_taxii(Client(), token)
    patterns = " ".join(obj["pattern"] for obj in served if obj["type"] == "indicator")
    assert all(value in patterns for value in GREEN_VALUES)
    assert "withdrawn-c2.xyz" not in patterns
    assert "context-only.xyz" not in patterns
    from_peer = [obj for obj in served if obj.get("name") == green.title]
    assert from_peer
    assert from_peer[0]["object_marking_refs"] == [TLP2_MARKING_IDS[TLP.GREEN]]

    # and AMBER+STRICT reached organisation A only; RED and the untagged event (the peer's
    # default label, AMBER, has no rule) were refused and recorded
    strict_report = Report.objects.get(peer_origin__peer=peer, tlp=TLP.AMBER_STRICT)
    assert policy.can_view(acting(analyst_a), strict_report)
    assert not policy.can_view(acting(peer_b), strict_report)
    assert not policy.visible_to(acting(outsider_c)).filter(peer_origin__peer=peer).exists()
    assert Report.objects.filter(peer_origin__peer=peer).count() == 2
    refused = PeerExchange.objects.filter(peer=peer, outcome="refused", type="report")
    assert set(refused.values_list("tlp", flat=True)) == {TLP.RED, TLP.AMBER}
    assert not Report.objects.filter(
        report_indicators__indicator__value__in=["red-victim.xyz", "unmarked-c2.xyz"]
    ).exists()
    # and every request carried the feed's header (the server refuses any without it)
    assert len(misp_feed.event_requests()) == 4


@pytest.mark.django_db
def test_repeat_pulls_fetch_nothing_new_timestamps_make_versions_new_labels_new_reports(
    misp_feed: MispFeedServer,
    isac_admin: User,
    analyst_a: User,
    peer_b: User,
    org_a: Organisation,
    energy: Sector,
) -> None:
    # given the GREEN event pulled once
    when = int(time.time()) - 3600
    event = grid_loader(when)
    misp_feed.publish(event)
    peer = misp_peer(isac_admin, misp_feed.url)
    peer_rule_set(peer=peer, tlp=TLP.GREEN, sectors=[energy], by=acting(isac_admin))
    assert peer_pull(peer_id=peer.pk).counts.get("imported")
    report = Report.objects.get(peer_origin__peer=peer)
    assert report.version == 1

    # when it is pulled again unchanged (the manifest answers 304 to its ETag), and again
    # with the manifest changed by another event the portal refuses
    Peer.objects.filter(pk=peer.pk).update(pull_claimed_until=None)
    fetched = len(misp_feed.event_requests())
    again = peer_pull(peer_id=peer.pk)
    other = misp_event("Red elsewhere", tlp="tlp:red", when=when)
    other.add_attribute("domain", "red-elsewhere.xyz", to_ids=True)
    misp_feed.publish(other)
    third = peer_pull(peer_id=peer.pk)

    # then nothing is imported twice: only the new event's file was fetched
    assert again.counts == {}
    assert again.error == ""
    assert third.counts.get("imported", 0) == 0
    assert misp_feed.event_requests()[fetched:] == [f"/feeds/community/{other.uuid}.json"]

    # when the peer changes the event: a value deleted, one added, the timestamp bumped
    for attribute in event.attributes:
        if attribute.value == "grid-loader.xyz":
            attribute.deleted = True
    event.add_attribute("domain", "second-stage.xyz", to_ids=True)
    event.timestamp = when + 600
    misp_feed.publish(event)
    revised = peer_pull(peer_id=peer.pk)

    # then the same report has its next version, with the event's values as they are now
    assert revised.error == ""
    assert Report.objects.filter(peer_origin__peer=peer).count() == 1
    report.refresh_from_db()
    assert report.version == 2
    assert report.revisions.filter(number=2).exists()
    now_values = set(report.report_indicators.values_list("indicator__value", flat=True))
    assert now_values == (GREEN_VALUES - {"grid-loader.xyz"}) | {"second-stage.xyz"}
    patterns = {obj["pattern"] for obj in report_bundle(report)["objects"] if "pattern" in obj}
    assert "[domain-name:value = 'second-stage.xyz']" in patterns
    assert "[domain-name:value = 'grid-loader.xyz']" not in patterns

    # when the peer narrows the event's label to AMBER (which the ISAC sends to organisation
    # A only)
    event.tags = []
    event.add_tag("tlp:amber")
    event.timestamp = when + 1200
    misp_feed.publish(event)
    peer_rule_set(peer=peer, tlp=TLP.AMBER, organisations=[org_a], by=acting(isac_admin))
    relabelled = peer_pull(peer_id=peer.pk)

    # then the GREEN copy is withdrawn and an AMBER report goes by the AMBER rule
    assert relabelled.error == ""
    report.refresh_from_db()
    assert report.status == Report.Status.WITHDRAWN
    amber = Report.objects.get(peer_origin__peer=peer, status=Report.Status.PUBLISHED)
    assert amber.tlp == TLP.AMBER
    assert policy.can_view(acting(analyst_a), amber)
    assert not policy.can_view(acting(peer_b), amber)

    # when the peer narrows it to RED, which no rule accepts
    event.tags = []
    event.add_tag("tlp:red")
    event.timestamp = when + 1800
    misp_feed.publish(event)
    narrowed = peer_pull(peer_id=peer.pk)

    # then the AMBER copy is withdrawn too, and nothing is published in its place
    assert narrowed.counts.get("refused")
    amber.refresh_from_db()
    assert amber.status == Report.Status.WITHDRAWN
    assert not Report.objects.filter(peer_origin__peer=peer, status="published").exists()


@pulls
def test_the_worker_pulls_a_misp_peer_on_its_schedule(
    celery_worker: object, misp_feed: MispFeedServer, isac_admin: User, energy: Sector
) -> None:
    # given a MISP peer due a pull, with a GREEN event in its feed
    event = misp_event("Scheduled pull", tlp="tlp:green", when=int(time.time()) - 60)
    event.add_attribute("domain", "scheduled-c2.xyz", to_ids=True)
    misp_feed.publish(event)
    peer = misp_peer(isac_admin, misp_feed.url)
    peer_rule_set(peer=peer, tlp=TLP.GREEN, sectors=[energy], by=acting(isac_admin))

    # when beat's poll runs on the worker
    peers_poll.delay()

    # then the worker pulled the feed and the report is there
    wait_for(
        lambda: Report.objects.filter(peer_origin__peer=peer).exists(),
        timeout=30,
        what="the worker to pull the MISP peer",
    )
    report = Report.objects.get(peer_origin__peer=peer)
    assert set(report.report_indicators.values_list("indicator__value", flat=True)) == {
        "scheduled-c2.xyz"
    }


@pytest.mark.django_db
def test_a_feed_refusing_the_configured_header_marks_the_peer_failing(
    misp_feed: MispFeedServer, isac_admin: User
) -> None:
    # given a MISP peer whose configured header is wrong
    peer = misp_peer(isac_admin, misp_feed.url)
    from sharing.peers.services import peer_update

    settings = PeerSettings(name=peer.name, kind=Peer.Kind.MISP, feed_url=misp_feed.url,
                            auth="none")  # fmt: skip
    peer_update(peer=peer, settings=settings, secrets=PeerSecrets(headers="X-Feed-Key: wrong"),
                by=acting(isac_admin))  # fmt: skip

    # when pulled, then it fails and says why, and the peer is marked failing
    result = peer_pull(peer_id=peer.pk)
    assert "403" in result.error
    peer.refresh_from_db()
    assert peer.failing_since is not None


@pulls
def test_the_portals_own_misp_feed_pulled_as_a_misp_peer_is_recognised_value_for_value(
    live_server: Any,
    isac_admin: User,
    analyst_a: User,
    org_a: Organisation,
    peer_b: User,
    energy: Sector,
    everything_feed: Feed,
    issue_token: IssueToken,
) -> None:
    # given member A's GREEN report with values of several types, normalised, and this
    # portal's own MISP feed (served over HTTP) configured as a MISP peer with B's token
    values = ["portal-loop-c2.xyz", "https://portal-loop-c2.xyz/panel", "45.155.205.233", SHA256]
    local = _publish(analyst_a, org_a, title="A: loader panel", tlp=TLP.GREEN, values=values,
                     audience_everyone=True)  # fmt: skip
    assert local.report_indicators.count() == len(values)
    peer = peer_create(
        settings=PeerSettings(
            name="Our own feed",
            kind=Peer.Kind.MISP,
            feed_url=f"{live_server.url}/misp/feeds/{everything_feed.uuid}/",
            auth="bearer",
        ),
        secrets=PeerSecrets(token=issue_token(peer_b, read_only=True)),
        by=acting(isac_admin),
    )
    peer_rule_set(peer=peer, tlp=TLP.GREEN, sectors=[energy], by=acting(isac_admin))

    # when it is pulled, twice
    first = peer_pull(peer_id=peer.pk)
    again = peer_pull(peer_id=peer.pk)

    # then every value came back under its own type: the event is recognised as member A's
    # report ("also reported by"), not imported as a second report; the second pull is
    # answered 304 by the portal's manifest and fetches nothing
    assert first.error == ""
    assert first.counts == {"duplicate": len(values) + 1}  # the values and the event
    assert not Report.objects.filter(peer_origin__peer=peer).exists()
    corroboration = PeerCorroboration.objects.get(report=local, peer=peer)
    assert corroboration.matched == len(values)
    assert again.counts == {}
    assert again.error == ""


def test_every_value_the_portals_own_feed_writes_is_read_back_with_its_type() -> None:
    # given one MISP event written by the portal's own feed with a value of every type
    head = EventHead(
        uuid="7d0c3d2a-3f44-4b8e-9a51-0f7f3c2b1a10", info="Every type", tlp=TLP.GREEN,
        published=datetime(2026, 11, 2, tzinfo=UTC), timestamp=1_793_000_000,
        orgc_name="ISAC", orgc_uuid="0b7f2f5c-8a51-4c1e-b4d2-6f0e9d3a5c17",
    )  # fmt: skip
    shared = [SharedValue(type=kind, value=value) for kind, value in EVERY_TYPE.items()]
    document = event_document(head, shared)

    # when a MISP peer's pull converts it
    converted = event_objects(document, event_timestamp=head.timestamp)

    # then each value meant for detection is an indicator (or a vulnerability) of its own
    # type; what MISP holds as text or in an object (ATT&CK ids, JA4, non-BTC/XMR wallets)
    # is context; every object carries the event's label and version
    read_back: set[tuple[str, str]] = set()
    for obj in converted.objects[:-1]:
        read_back |= {(found.type.value, found.value) for found in indicators_in(obj)}
        assert obj["object_marking_refs"] == [TLP2_MARKING_IDS[TLP.GREEN]]
        assert obj["modified"] == converted.modified
    # The pattern of these types has no value the import reads back (as from a TAXII peer).
    no_value_in_pattern = {
        IndicatorType.REGISTRY_KEY,
        IndicatorType.MUTEX,
        IndicatorType.FILE_NAME,
        IndicatorType.USER_AGENT,
        IndicatorType.JA3,
    }
    context = {IndicatorType.ATTACK_TECHNIQUE, IndicatorType.JA4}
    expected = {
        (kind.value, value)
        for kind, value in EVERY_TYPE.items()
        if kind not in context | no_value_in_pattern
    }
    assert read_back == expected
    patterns = " ".join(str(obj.get("pattern", "")) for obj in converted.objects)
    for kind in no_value_in_pattern:
        assert EVERY_TYPE[kind].replace("\\", "\\\\") in patterns, kind
    assert converted.context == 3  # the ATT&CK id, the JA4 object's fingerprint and its type
    report = converted.objects[-1]
    assert report["type"] == "report"
    assert set(report["object_refs"]) == {obj["id"] for obj in converted.objects[:-1]}
