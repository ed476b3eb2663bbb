"""Pulling a peer ISAC's TAXII collection (medallion, the OASIS reference server): reports
arrive from the peer, addressed by the admin's rules, with their TLP, never twice, and
resumed after the peer went away mid-read."""

from typing import Any

import pytest
from django.db import transaction
from django.test import override_settings
from django.utils import timezone

from accounts.models import Organisation, Sector, User
from sharing import policy
from sharing.formats.stix import report_bundle
from sharing.models import (
    Peer,
    PeerCollection,
    PeerCorroboration,
    PeerExchange,
    Report,
)
from sharing.normalize.extract import IndicatorType
from sharing.normalize.pipeline import Classified, KeptIndicator
from sharing.normalize.store import link_indicators
from sharing.peers.credentials import PeerSecrets
from sharing.peers.pull import peer_client, peer_pull
from sharing.peers.services import PeerSettings, peer_collection_add, peer_create, peer_rule_set
from sharing.taxii.client import AuthKind, Page, TaxiiClient
from sharing.tlp import TLP
from tests.faults.proxy import TcpProxy
from tests.fixtures.medallion import COLLECTION_ID, PASSWORD, USER, Medallion
from tests.fixtures.members import acting
from tests.fixtures.peers import (
    TLP1_AMBER,
    add_objects,
    green,
    peer_indicator,
    peer_report,
)
from tests.fixtures.reports import report_row
from tests.fixtures.taxii import TLP_MARKINGS

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("allow_loopback"),
]


@pytest.fixture
def allow_loopback(settings: Any) -> None:
    # The peer listens on this machine: the operator's allow-list opens loopback for it.
    settings.FANOUT_ALLOWED_NETWORKS = ["127.0.0.0/8"]


def make_peer(admin: User, api_root: str, *, name: str = "Peer ISAC") -> Peer:
    peer = peer_create(
        settings=PeerSettings(
            name=name,
            api_root_url=api_root,
            auth=AuthKind.BASIC,
            username=USER,
            unmarked_tlp=TLP.AMBER,
        ),
        secrets=PeerSecrets(password=PASSWORD),
        by=acting(admin),
    )
    peer_collection_add(peer=peer, collection_id=COLLECTION_ID, by=acting(admin))
    return peer


def readable_titles(user: User) -> set[str]:
    return set(policy.visible_to(acting(user)).values_list("title", flat=True))


def test_peer_report_reaches_the_sector_its_rule_names_with_its_tlp_and_the_peer_as_source(
    medallion: Medallion,
    isac_admin: User,
    analyst_a: User,
    outsider_c: User,
    energy: Sector,
) -> None:
    # given the peer shares a GREEN report with two indicators, and the ISAC admin's rule
    # sends the peer's GREEN to the energy sector
    first, second = green("c2-one.xyz"), green("c2-two.xyz")
    report = peer_report("Energy grid phishing", [first["id"], second["id"]],
                         marking=TLP_MARKINGS[TLP.GREEN])  # fmt: skip
    add_objects(medallion, [first, second, report])
    peer = make_peer(isac_admin, medallion.api_root)
    peer_rule_set(peer=peer, tlp=TLP.GREEN, sectors=[energy], by=acting(isac_admin))

    # when the portal pulls the peer
    result = peer_pull(peer_id=peer.pk)

    # then one published GREEN report names the peer as source, for energy members only
    assert result.error == ""
    pulled = Report.objects.get(title="Energy grid phishing")
    assert pulled.status == Report.Status.PUBLISHED
    assert pulled.tlp == TLP.GREEN
    assert pulled.peer_origin.peer == peer
    assert "Energy grid phishing" in readable_titles(analyst_a)
    assert "Energy grid phishing" not in readable_titles(outsider_c)
    bundle = report_bundle(pulled)["objects"]
    identities = [obj for obj in bundle if obj["type"] == "identity"]
    assert [identity["name"] for identity in identities] == ["Peer ISAC"]
    indicators = {obj["pattern"] for obj in bundle if obj["type"] == "indicator"}
    assert indicators == {first["pattern"], second["pattern"]}
    assert all(
        obj["object_marking_refs"] == [TLP_MARKINGS[TLP.GREEN]]
        for obj in bundle
        if obj["type"] in ("indicator", "report")
    )
    values = set(pulled.report_indicators.values_list("indicator__value", flat=True))
    assert values == {"c2-one.xyz", "c2-two.xyz"}
    peer.refresh_from_db()
    assert peer.last_success_at is not None
    assert peer.consecutive_failures == 0


def test_tlp1_amber_keeps_amber_and_nothing_is_accepted_without_a_rule_for_its_label(
    medallion: Medallion, isac_admin: User, analyst_a: User, energy: Sector
) -> None:
    # given the peer sends a TLP 1.0 AMBER indicator and a RED one; only AMBER has a rule
    amber = peer_indicator("amber-c2.xyz", marking=TLP1_AMBER)
    red = peer_indicator("red-c2.xyz", marking=TLP_MARKINGS[TLP.RED])
    add_objects(medallion, [amber, red])
    peer = make_peer(isac_admin, medallion.api_root)
    peer_rule_set(peer=peer, tlp=TLP.AMBER, sectors=[energy], by=acting(isac_admin))

    # when pulled
    peer_pull(peer_id=peer.pk)

    # then the AMBER one arrives as TLP:AMBER (TLP 1.0 mapped like uploads), RED is refused
    pulled = Report.objects.get(peer_origin__peer=peer)
    assert pulled.tlp == TLP.AMBER
    assert set(pulled.report_indicators.values_list("indicator__value", flat=True)) == {
        "amber-c2.xyz"
    }
    refused = PeerExchange.objects.get(stix_id=red["id"])
    assert refused.outcome == PeerExchange.Outcome.REFUSED
    assert refused.tlp == TLP.RED
    assert not Report.objects.filter(report_indicators__indicator__value="red-c2.xyz")


def test_amber_strict_is_accepted_only_for_the_organisations_the_rule_names(
    medallion: Medallion,
    isac_admin: User,
    analyst_a: User,
    peer_b: User,
    org_a: Organisation,
    energy: Sector,
) -> None:
    from django.core.exceptions import ValidationError

    peer = make_peer(isac_admin, medallion.api_root)
    # a rule sending AMBER+STRICT to a whole sector is refused
    with pytest.raises(ValidationError):
        peer_rule_set(peer=peer, tlp=TLP.AMBER_STRICT, sectors=[energy], by=acting(isac_admin))
    peer_rule_set(peer=peer, tlp=TLP.AMBER_STRICT, organisations=[org_a], by=acting(isac_admin))
    strict = peer_indicator("strict-c2.xyz", marking=TLP_MARKINGS[TLP.AMBER_STRICT])
    add_objects(medallion, [strict])

    peer_pull(peer_id=peer.pk)

    pulled = Report.objects.get(peer_origin__peer=peer)
    assert pulled.tlp == TLP.AMBER_STRICT
    assert pulled.title in readable_titles(analyst_a)
    # Peer B is in the same sector but not named: it never sees it
    assert pulled.title not in readable_titles(peer_b)


@override_settings(PEERS_PAGE_SIZE=3)
def test_pages_follow_next_and_a_second_pull_imports_only_what_is_new(
    medallion: Medallion, isac_admin: User, energy: Sector
) -> None:
    # given seven GREEN indicators on the peer, read three a page
    add_objects(medallion, [green(f"page{i}.xyz") for i in range(7)])
    peer = make_peer(isac_admin, medallion.api_root)
    peer_rule_set(peer=peer, tlp=TLP.GREEN, sectors=[energy], by=acting(isac_admin))

    first = peer_pull(peer_id=peer.pk)
    assert first.pages == 3
    assert first.counts == {"imported": 7}
    Peer.objects.filter(pk=peer.pk).update(pull_claimed_until=None)

    # when pulled again with nothing new, then with one new object
    again = peer_pull(peer_id=peer.pk)
    add_objects(medallion, [green("late.xyz")])
    late = peer_pull(peer_id=peer.pk)

    # then the second pull asks only after what it has, and the third takes just the new one
    assert again.counts.get("imported", 0) == 0
    assert late.counts == {"imported": 1}
    values = set(
        Report.objects.filter(peer_origin__peer=peer).values_list(
            "report_indicators__indicator__value", flat=True
        )
    )
    assert values == {f"page{i}.xyz" for i in range(7)} | {"late.xyz"}
    assert PeerExchange.objects.filter(peer=peer, direction="pull").count() == 8


class CutAfterFirstPage(TaxiiClient):
    """The real client, whose connection to the peer is cut once the first page is read."""

    proxy: TcpProxy | None = None

    def get_objects(self, collection_id: str, **kwargs: Any) -> Page:
        page = super().get_objects(collection_id, **kwargs)
        if self.proxy is not None:
            self.proxy.cut()
            self.proxy = None
        return page


@override_settings(PEERS_PAGE_SIZE=2)
def test_peer_down_mid_read_then_up_loses_nothing_and_duplicates_nothing(
    medallion: Medallion, isac_admin: User, energy: Sector
) -> None:
    # given five indicators on a peer reached through a connection that fails mid-read
    add_objects(medallion, [green(f"outage{i}.xyz") for i in range(5)])
    proxy = TcpProxy("127.0.0.1", medallion.port)
    proxy.start()
    try:
        peer = make_peer(isac_admin, f"http://127.0.0.1:{proxy.port}/api1/")
        peer_rule_set(peer=peer, tlp=TLP.GREEN, sectors=[energy], by=acting(isac_admin))
        base = peer_client(peer)
        client = CutAfterFirstPage(api_root=base.api_root,
                                   credentials=base.credentials, allowed=base.allowed)  # fmt: skip
        client.proxy = proxy

        # when the first pull loses the peer after one page
        failed = peer_pull(peer_id=peer.pk, client=client)

        # then the page read is kept with its cursor, and the peer is marked failing
        assert failed.error
        peer.refresh_from_db()
        assert peer.consecutive_failures == 1
        assert peer.failing_since is not None
        collection = PeerCollection.objects.get(peer=peer)
        assert collection.next_cursor
        assert PeerExchange.objects.filter(peer=peer, outcome="imported").count() == 2

        # when the peer is back and the next poll runs
        proxy.restore()
        resumed = peer_pull(peer_id=peer.pk)
    finally:
        proxy.close()

    # then the rest arrives, nothing twice, and the peer is healthy again
    assert resumed.error == ""
    assert resumed.counts == {"imported": 3}
    values = list(
        Report.objects.filter(peer_origin__peer=peer).values_list(
            "report_indicators__indicator__value", flat=True
        )
    )
    assert sorted(values) == sorted(f"outage{i}.xyz" for i in range(5))
    peer.refresh_from_db()
    assert peer.failing_since is None
    assert peer.last_success_at is not None


def test_what_members_shared_already_is_marked_also_reported_instead_of_imported_again(
    medallion: Medallion, isac_admin: User, analyst_a: User, energy: Sector
) -> None:
    # given member A shared a report carrying a domain
    organisation = analyst_a.memberships.get().organisation
    local = report_row(
        organisation=organisation,
        author=analyst_a,
        tlp=TLP.GREEN,
        title="Member A's phishing report",
        audience_everyone=True,
    )
    known = KeptIndicator(
        type=IndicatorType.DOMAIN, value="known-c2.xyz", first_seen=None, last_seen=None,
        confidence=None, description="", warning_list="", kept_by_insistence=False,
    )  # fmt: skip
    with transaction.atomic():  # as the normalisation services call it
        link_indicators(local, Classified(kept=[known]), timezone.now(), origin="upload")
    # and the peer sends the same domain, and one the portal does not know
    add_objects(medallion, [green("known-c2.xyz")])
    peer = make_peer(isac_admin, medallion.api_root)
    peer_rule_set(peer=peer, tlp=TLP.GREEN, sectors=[energy], by=acting(isac_admin))

    # when pulled
    result = peer_pull(peer_id=peer.pk)

    # then no second report is made, and the member's report says the peer reported it too
    assert result.counts == {"duplicate": 1}
    assert not Report.objects.filter(peer_origin__peer=peer).exists()
    assert PeerCorroboration.objects.get(report=local).peer == peer
