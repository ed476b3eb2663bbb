"""Reads for subscriptions, deliveries and where webhooks may point."""

from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db.models import Count, Min, Q, QuerySet
from django.utils import timezone

from accounts.models import Membership
from sharing.fanout import netguard
from sharing.models import Delivery, PrivateNetworkAllowance, Subscription


def subscriptions_managed_by(viewer: Membership | None) -> QuerySet[Subscription]:
    """A person's own subscriptions, and their organisation's when they are its admin."""
    if viewer is None:
        return Subscription.objects.none()
    mine = Q(membership=viewer)
    if viewer.is_org_admin:
        mine |= Q(
            scope=Subscription.Scope.ORGANISATION,
            membership__organisation_id=viewer.organisation_id,
        )
    return Subscription.objects.filter(mine).select_related(
        "feed", "membership__user", "membership__organisation"
    )


@dataclass(frozen=True)
class FanoutHealth:
    pending: int
    due_now: int
    oldest_pending_seconds: float | None
    delivered_24h: int
    failed_24h: int
    cancelled_24h: int
    disabled_webhooks: int

    @property
    def failure_rate(self) -> float:
        finished = self.delivered_24h + self.failed_24h
        return self.failed_24h / finished if finished else 0.0


def fanout_health() -> FanoutHealth:
    """Numbers for ISAC admins only: counts of rows, nothing about any report's content."""
    now = timezone.now()
    pending = Delivery.objects.filter(status=Delivery.Status.PENDING).aggregate(
        n=Count("pk"), oldest=Min("created_at")
    )
    due = Delivery.objects.filter(status=Delivery.Status.PENDING, next_attempt_at__lte=now)
    recent = dict(
        Delivery.objects.filter(finished_at__gte=now - timedelta(hours=24))
        .values_list("status")
        .annotate(n=Count("pk"))
        .values_list("status", "n")
    )
    oldest = pending["oldest"]
    return FanoutHealth(
        pending=pending["n"],
        due_now=due.count(),
        oldest_pending_seconds=(now - oldest).total_seconds() if oldest else None,
        delivered_24h=recent.get(Delivery.Status.DELIVERED, 0),
        failed_24h=recent.get(Delivery.Status.FAILED, 0),
        cancelled_24h=recent.get(Delivery.Status.CANCELLED, 0),
        disabled_webhooks=Subscription.objects.filter(
            channel=Subscription.ChannelKind.WEBHOOK, is_active=False, disabled_at__isnull=False
        ).count(),
    )


def allowed_networks() -> list[netguard.IPNetwork]:
    """Private ranges webhooks may reach: the settings' and those ISAC admins allowed."""
    configured = netguard.parse_networks(settings.FANOUT_ALLOWED_NETWORKS)
    # Ranges allowed in the portal are checked again when used: one saved before the rules
    # for ranges existed opens nothing it should not.
    allowances = netguard.parse_networks(
        PrivateNetworkAllowance.objects.values_list("network", flat=True)
    )
    return configured + [n for n in allowances if netguard.allowance_problem(n) is None]
