"""Reads about peers: their state for the status page and /healthz, the record of what was
exchanged, and the dry run of what would leave."""

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db.models import Count, Max, Q, QuerySet
from django.utils import timezone

from accounts.models import Membership
from sharing import policy
from sharing.feeds.selectors import feed_reports
from sharing.models import (
    Peer,
    PeerCorroboration,
    PeerExchange,
    PeerReport,
    Report,
    Subscription,
)
from sharing.peers.gateway import gateway_of, may_name_source, push_problem


def peers_failing_for_long(now: datetime | None = None) -> list[Peer]:
    """Active peers whose pulls have failed since longer than PEERS_FAILING_ALERT_MINUTES."""
    now = now or timezone.now()
    since = now - timedelta(minutes=settings.PEERS_FAILING_ALERT_MINUTES)
    return list(Peer.objects.filter(is_active=True, failing_since__lte=since).order_by("name"))


def peer_counts(peer: Peer) -> dict[str, dict[str, int]]:
    """Objects exchanged with the peer, per direction and outcome as the status page says it
    ("already known", "refused by a rule"), in the order of the outcomes (one query)."""
    counts: dict[str, dict[str, int]] = {"pull": {}, "push": {}}
    rows = dict(
        ((direction, outcome), n)
        for direction, outcome, n in PeerExchange.objects.filter(peer=peer)
        .values_list("direction", "outcome")
        .annotate(n=Count("id"))
        .order_by()
    )
    for direction in counts:
        for outcome in PeerExchange.Outcome:
            if (direction, outcome.value) in rows:
                counts[direction][outcome.label.lower()] = rows[direction, outcome.value]
    return counts


def peer_lag(peer: Peer) -> timedelta | None:
    """How far the portal is behind the peer: time since the last successful pull."""
    if peer.last_success_at is None:
        return None
    return timezone.now() - peer.last_success_at


def peer_record(
    peer: Peer, *, direction: str = "", outcome: str = "", limit: int = 200
) -> QuerySet[PeerExchange]:
    rows = PeerExchange.objects.filter(peer=peer)
    if direction:
        rows = rows.filter(direction=direction)
    if outcome:
        rows = rows.filter(outcome=outcome)
    return rows.select_related("report").order_by("-at", "-id")[:limit]


def peer_misp_events(peer: Peer, *, limit: int = 50) -> QuerySet[PeerExchange]:
    """The MISP events pulled from the peer, newest first: one row per event version (the
    record of the report object that stands for it; its collection is the event uuid)."""
    return (
        PeerExchange.objects.filter(peer=peer, direction=PeerExchange.Direction.PULL, type="report")
        .select_related("report")
        .order_by("-at", "-id")[:limit]
    )


def peer_list() -> QuerySet[Peer]:
    return Peer.objects.annotate(
        reports_received=Count("reports", distinct=True),
        last_push_at=Max("exchanges__at", filter=Q(exchanges__direction="push")),
    ).order_by("name")


def peer_pushes(peer: Peer) -> QuerySet[Subscription]:
    return peer.pushes.select_related("feed", "membership__user").order_by("-is_active", "name")


def peer_origin(viewer: Membership | None, report: Report) -> PeerReport | None:
    """The peer ISAC a report was received from, for a reader of the report (only the ISAC
    files what peers send)."""
    if not report.organisation.is_isac:
        return None
    rows = policy.restrict(viewer, PeerReport.objects.filter(report=report))
    return rows.select_related("peer").first()


def also_reported_by(viewer: Membership | None, report: Report) -> list[PeerCorroboration]:
    """Peers that reported what this report carries, for a reader of the report."""
    if not policy.can_view(viewer, report):
        return []
    # A report read through `policy.visible_report` already knows whether any peer did.
    if getattr(report, "peer_corroborated", True) is False:
        return []
    return list(report.peer_corroborations.select_related("peer").order_by("peer__name"))


@dataclass(frozen=True)
class DryRunRow:
    report: Report
    problem: str | None
    source: str


def push_dry_run(peer: Peer, subscription: Subscription, *, limit: int = 100) -> list[DryRunRow]:
    """What the feed would send to the peer now: each recent report the feed yields to the
    admin who set the push up, whether the gateway lets it leave (and why not), and the
    source the peer would see. Nothing is sent."""
    reports = (
        feed_reports(subscription.feed, subscription.membership, policy.Channel.PEER)
        .select_related("organisation")
        .prefetch_related("sectors")
        .order_by("-published_at")[:limit]
    )
    gateway = gateway_of(peer)
    rows: list[DryRunRow] = []
    for report in reports:
        problem = push_problem(report=report, peer=peer, gateway=gateway)
        named = may_name_source(report, peer)
        rows.append(
            DryRunRow(
                report=report,
                problem=problem,
                source=report.organisation.name if named else "the ISAC",
            )
        )
    return rows


def peer_health(now: datetime | None = None) -> dict[str, Any]:
    failing = peers_failing_for_long(now)
    return {
        "state": "failing" if failing else "ok",
        "failing": [
            {
                "name": peer.name,
                "since": peer.failing_since.isoformat() if peer.failing_since else None,
                "error": peer.last_error,
            }
            for peer in failing
        ],
    }
