"""The outbound gateway: what may leave for a peer, and in what form.

Asked by the peer transport at send time (with the policy's TLP rule for the peer channel,
which the outbox and the send-time re-check apply to every delivery) and by the dry run,
so the page that shows what would leave and the sending can never disagree.
"""

from typing import Any

from django.utils import timezone

from accounts.models import AgreementAcceptance, Organisation
from sharing import policy
from sharing.models import Peer, PeerReport, Report
from sharing.peers.rules import Gateway, gateway_problem
from sharing.stix.report import source_identity
from sharing.tlp import TLP


def gateway_of(peer: Peer) -> Gateway:
    return Gateway(
        tlp_max=TLP(peer.push_tlp_max),
        sector_ids=[s.pk for s in peer.push_sectors.all()],
        report_types=list(peer.push_report_types or []),
    )


def origin_peer_id(report: Report) -> int | None:
    return PeerReport.objects.filter(report_id=report.pk).values_list("peer_id", flat=True).first()


def push_problem(*, report: Report, peer: Peer, gateway: Gateway | None = None) -> str | None:
    """Why the report may not go to the peer now, or None when it may."""
    if not peer.is_active:
        return "The peer is turned off."
    if not policy.can_forward(report, policy.Channel.PEER):
        return f"{TLP(report.tlp).label} never leaves for a peer."
    hop = policy.peer_hop_problem(
        tlp=report.tlp, origin_peer_id=origin_peer_id(report), destination_peer_id=peer.pk
    )
    if hop:
        return hop
    return gateway_problem(
        gateway or gateway_of(peer),
        tlp=TLP(report.tlp),
        sector_ids=[s.pk for s in report.sectors.all()],
        report_type=report.report_type,
    )


def may_name_source(report: Report, peer: Peer) -> bool:
    """The member is named as source only when the peer's gateway allows it, the report is
    attributed and the member's agreement in force lets reports show its name."""
    if not (peer.push_attribution and report.attributed):
        return False
    if origin_peer_id(report) is not None:
        return False
    return _agreement_names_source(report.organisation)


def _agreement_names_source(organisation: Organisation) -> bool:
    now = timezone.now()
    acceptance = (
        AgreementAcceptance.objects.filter(
            organisation=organisation, revoked_at__isnull=True, expires_at__gt=now
        )
        .select_related("version")
        .order_by("-accepted_at")
        .first()
    )
    return bool(acceptance and acceptance.version.may_show_source_name)


def outbound_objects(
    report: Report, peer: Peer, objects: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """The report's bundle objects as the peer receives them: one source identity (the ISAC
    unless the member may be named), every object created by it, no other identity."""
    identity = source_identity(
        report=report, now=timezone.now(), anonymous=not may_name_source(report, peer)
    )
    shared: list[dict[str, Any]] = [identity]
    for obj in objects:
        if obj.get("type") == "identity":
            continue
        if "created_by_ref" in obj:
            obj = {**obj, "created_by_ref": identity["id"]}
        shared.append(obj)
    return shared
