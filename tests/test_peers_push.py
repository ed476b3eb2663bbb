"""Pushing feeds to a peer ISAC (medallion stands for it): reports go through the outbox,
anonymised as the gateway says, valid STIX 2.1; nothing above the gateway's TLP, of a
type it does not take, or received from another peer under more than TLP:CLEAR leaves."""

from collections.abc import Callable
from typing import Any

import pytest
from stix2validator import ValidationOptions, validate_instance

from accounts.models import AgreementVersion, Organisation, User
from sharing.models import Delivery, Feed, PeerExchange, PeerReport, Report, Submission
from sharing.normalize.services import submission_create
from sharing.peers.credentials import PeerSecrets
from sharing.peers.selectors import push_dry_run
from sharing.peers.services import PeerSettings, peer_create, peer_push_add
from sharing.preview import report_text
from sharing.taxii.client import AuthKind
from sharing.tlp import TLP
from tests.fixtures.fanout import PublishReport
from tests.fixtures.medallion import COLLECTION_ID, PASSWORD, USER, Medallion
from tests.fixtures.members import acting
from tests.fixtures.taxii import TLP_MARKINGS

pytestmark = [pytest.mark.django_db(transaction=True)]
STRICT = ValidationOptions(version="2.1", strict=True)


@pytest.fixture(autouse=True)
def allow_loopback(settings: Any) -> None:
    settings.FANOUT_ALLOWED_NETWORKS = ["127.0.0.0/8"]


def push_peer(admin: User, medallion: Medallion, feed: Feed, **gateway: Any) -> Any:
    peer = peer_create(
        settings=PeerSettings(
            name=gateway.pop("name", "Peer ISAC"),
            api_root_url=medallion.api_root,
            auth=AuthKind.BASIC,
            username=USER,
            push_collection_id=COLLECTION_ID,
            **gateway,
        ),
        secrets=PeerSecrets(password=PASSWORD),
        by=acting(admin),
    )
    peer_push_add(peer=peer, feed=feed, by=acting(admin))
    return peer


Publish = Callable[..., Report]


@pytest.fixture
def publish_with_indicators(
    publish_report: PublishReport, django_capture_on_commit_callbacks: Callable[..., Any]
) -> Publish:
    """A member's published report whose text names indicators, normalised by the real
    pipeline (which writes the outbox, as publishing does)."""

    def publish(
        *, author: User, organisation: Organisation, values: list[str], attributed: bool = False,
        **kw: Any,
    ) -> Report:  # fmt: skip
        report = publish_report(author=author, organisation=organisation, **kw)
        report.indicators_text = "\n".join(values)
        report.attributed = attributed
        report.save(update_fields=["indicators_text", "attributed"])
        with django_capture_on_commit_callbacks(execute=True):
            submission_create(
                organisation=organisation,
                submitted_by=author,
                kind=Submission.Kind.FORM,
                raw=report_text(report).encode(),
                report=report,
            )
        return report

    return publish


def objects_by_type(medallion: Medallion) -> dict[str, list[dict[str, Any]]]:
    found: dict[str, list[dict[str, Any]]] = {}
    for obj in medallion.objects():
        found.setdefault(str(obj["type"]), []).append(obj)
    return found


def test_a_members_report_reaches_the_peer_anonymised_and_valid(
    medallion: Medallion,
    isac_admin: User,
    analyst_a: User,
    org_a: Organisation,
    everything_feed: Feed,
    publish_with_indicators: Publish,
) -> None:
    # given the ISAC pushes everything up to AMBER to the peer, the ISAC as source
    peer = push_peer(isac_admin, medallion, everything_feed, push_tlp_max=TLP.AMBER)

    # when member A publishes a GREEN report that names it as source inside the portal
    report = publish_with_indicators(
        author=analyst_a, organisation=org_a, values=["grid-login-portal.xyz"], attributed=True
    )

    # then the peer holds the report, its indicator and the ISAC as the only source
    delivery = Delivery.objects.get(report=report, channel="peer")
    assert delivery.status == Delivery.Status.DELIVERED, delivery.last_error
    held = objects_by_type(medallion)
    assert [r["name"] for r in held["report"]] == [report.title]
    assert any("grid-login-portal.xyz" in i["pattern"] for i in held["indicator"])
    assert [i["name"] for i in held["identity"]] == ["Test ISAC"]
    assert org_a.name not in str(held)
    for objects in held.values():
        for obj in objects:
            if obj["type"] not in ("marking-definition", "identity"):
                assert obj["object_marking_refs"] == [TLP_MARKINGS[TLP.GREEN]]
            result = validate_instance(obj, STRICT)
            assert result.is_valid, [str(e) for e in result.errors]
    pushed = PeerExchange.objects.filter(peer=peer, direction="push")
    assert pushed.filter(outcome="sent").count() == len(medallion.objects())


def test_the_member_is_named_only_when_gateway_report_and_agreement_all_allow_it(
    medallion: Medallion,
    isac_admin: User,
    analyst_a: User,
    org_a: Organisation,
    agreement: AgreementVersion,
    everything_feed: Feed,
    publish_with_indicators: Publish,
) -> None:
    AgreementVersion.objects.filter(pk=agreement.pk).update(may_show_source_name=True)
    push_peer(isac_admin, medallion, everything_feed, push_attribution=True)

    publish_with_indicators(
        author=analyst_a, organisation=org_a, values=["named-source.xyz"], title="Named",
        attributed=True,
    )  # fmt: skip
    anonymous = publish_with_indicators(
        author=analyst_a, organisation=org_a, values=["anon-source.xyz"], title="Anonymous"
    )

    held = objects_by_type(medallion)
    by_report = {r["name"]: r["created_by_ref"] for r in held["report"]}
    names = {i["id"]: i["name"] for i in held["identity"]}
    assert anonymous.attributed is False
    assert names[by_report["Anonymous"]] == "Test ISAC"
    assert names[by_report["Named"]] == org_a.name
    rows = {row.report.title: row for row in push_dry_run(report_peer(), report_push())}
    assert rows["Named"].source == org_a.name
    assert rows["Anonymous"].source == "the ISAC"


def report_peer() -> Any:
    from sharing.models import Peer

    return Peer.objects.get()


def report_push() -> Any:
    from sharing.models import Subscription

    return Subscription.objects.get(channel="peer")


def test_nothing_above_the_gateway_or_of_another_type_leaves_and_the_dry_run_says_why(
    medallion: Medallion,
    isac_admin: User,
    analyst_a: User,
    org_a: Organisation,
    everything_feed: Feed,
    publish_with_indicators: Publish,
) -> None:
    # given a gateway that lets out GREEN alerts only
    peer = push_peer(
        isac_admin, medallion, everything_feed, push_tlp_max=TLP.GREEN, push_report_types=["alert"]
    )

    # when member A publishes an AMBER alert, a GREEN advisory and a GREEN alert
    amber = publish_with_indicators(
        author=analyst_a, organisation=org_a, values=["amber-only.xyz"], tlp=TLP.AMBER,
        title="Amber alert",
    )  # fmt: skip
    advisory = publish_with_indicators(
        author=analyst_a, organisation=org_a, values=["advisory-only.xyz"],
        report_type=Report.Type.ADVISORY, title="Green advisory",
    )  # fmt: skip
    alert = publish_with_indicators(
        author=analyst_a, organisation=org_a, values=["green-alert.xyz"], title="Green alert"
    )

    # then only the GREEN alert reached the peer; the others were held back with a reason
    names = {r["name"] for r in objects_by_type(medallion)["report"]}
    assert names == {"Green alert"}
    for held_back in (amber, advisory):
        delivery = Delivery.objects.get(report=held_back, channel="peer")
        assert delivery.status == Delivery.Status.CANCELLED
    assert "highest TLP" in Delivery.objects.get(report=amber).last_error
    assert Delivery.objects.get(report=alert).status == Delivery.Status.DELIVERED
    rows = {row.report.title: row.problem for row in push_dry_run(peer, report_push())}
    assert rows["Green alert"] is None
    assert "highest TLP" in (rows["Amber alert"] or "")
    assert "type advisory" in (rows["Green advisory"] or "")


def test_amber_strict_and_red_never_enter_the_outbox_for_a_peer(
    medallion: Medallion,
    isac_admin: User,
    analyst_a: User,
    peer_b: User,
    org_a: Organisation,
    org_b: Organisation,
    everything_feed: Feed,
    publish_with_indicators: Publish,
) -> None:
    push_peer(isac_admin, medallion, everything_feed, push_tlp_max=TLP.AMBER)
    strict = publish_with_indicators(
        author=analyst_a, organisation=org_a, values=["strict.xyz"], tlp=TLP.AMBER_STRICT,
        audience_everyone=False, audience_organisations=[org_b],
    )  # fmt: skip
    assert not Delivery.objects.filter(report=strict, channel="peer").exists()
    assert medallion.objects() == []


def test_amber_received_from_one_peer_is_never_pushed_to_another(
    medallion: Medallion,
    isac_admin: User,
    everything_feed: Feed,
    publish_report: PublishReport,
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    # given a push of everything up to AMBER to peer Y
    source = peer_create(
        settings=PeerSettings(name="Peer X", api_root_url=medallion.api_root, auth="none"),
        by=acting(isac_admin),
    )
    push_peer(isac_admin, medallion, everything_feed, push_tlp_max=TLP.AMBER, name="Peer Y")

    # when reports that came from peer X under AMBER and under CLEAR are published
    isac = Organisation.objects.get(is_isac=True)
    for tlp, value in ((TLP.AMBER, "from-x-amber.xyz"), (TLP.CLEAR, "from-x-clear.xyz")):
        report = publish_report(author=isac_admin, organisation=isac, tlp=tlp, title=value)
        PeerReport.objects.create(report=report, peer=source)
        report.indicators_text = value
        report.save(update_fields=["indicators_text"])
        with django_capture_on_commit_callbacks(execute=True):
            submission_create(
                organisation=isac,
                submitted_by=isac_admin,
                kind=Submission.Kind.FORM,
                raw=report_text(report).encode(),
                report=report,
            )

    # then the AMBER one is held back (distribution never widens across a hop); CLEAR goes on
    amber = Delivery.objects.get(report__title="from-x-amber.xyz", channel="peer")
    assert amber.status == Delivery.Status.CANCELLED
    assert "another peer" in amber.last_error
    names = {r["name"] for r in objects_by_type(medallion)["report"]}
    assert names == {"from-x-clear.xyz"}
