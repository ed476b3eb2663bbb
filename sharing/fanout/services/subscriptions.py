"""Subscriptions and where webhooks may point: create, rotate secrets, turn on and off."""

from datetime import timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from accounts.audit import audit_record
from accounts.models import Membership
from accounts.policy import require_isac_admin
from sharing.fanout import netguard
from sharing.fanout.channels import next_digest_at
from sharing.fanout.secrets import encrypt_secret, generate_secret
from sharing.fanout.selectors import allowed_networks, subscriptions_managed_by
from sharing.feeds.selectors import feeds_for
from sharing.models import Delivery, Feed, PrivateNetworkAllowance, Subscription

# How long a rotated-out secret keeps signing, so receivers can switch over.
SECRET_ROTATION_OVERLAP = timedelta(hours=24)


def webhook_url_problem(url: str) -> str | None:
    """Why a webhook URL cannot be used, checked when it is saved (and again on every send)."""
    allowed = allowed_networks()
    try:
        netguard.check_url(url, allowed=allowed)
    except netguard.BlockedDestination as error:
        if _allowance_would_lift(url, allowed):
            return (
                f"{error}. An on-premises receiver can be reached once an ISAC admin allows "
                "its address range (Feeds, Private ranges); ask them, or use a public address."
            )
        return str(error)
    return None


def _allowance_would_lift(url: str, allowed: list[netguard.IPNetwork]) -> bool:
    """Whether the refusal is one an ISAC admin's allowance can lift (not metadata, not a
    malformed URL): the URL passes once every range is allowed."""
    everything = netguard.parse_networks(["0.0.0.0/0", "::/0"])
    try:
        netguard.check_url(url, allowed=allowed + everything)
    except netguard.BlockedDestination:
        return False
    return True


@transaction.atomic
def subscription_create(
    *,
    feed: Feed,
    by: Membership,
    channel: str,
    scope: str = Subscription.Scope.PERSON,
    name: str = "",
    webhook_url: str = "",
    email_mode: str = Subscription.EmailMode.IMMEDIATE,
    digest_hour: int = 8,
    time_zone: str = "UTC",
) -> tuple[Subscription, str]:
    """Subscribe; returns the subscription and, for a webhook, its secret (shown once)."""
    if not feeds_for(by).filter(pk=feed.pk).exists():
        raise ValidationError("No such feed.")
    kind = Subscription.ChannelKind(channel)
    if kind == Subscription.ChannelKind.PEER:
        raise ValidationError("ISAC admins push feeds to peer ISACs from the peer's page.")
    if scope == Subscription.Scope.ORGANISATION and not by.is_org_admin:
        raise ValidationError("Only an organisation admin subscribes for the organisation.")
    if kind == Subscription.ChannelKind.WEBHOOK:
        if scope != Subscription.Scope.ORGANISATION:
            # A webhook feeds the organisation's tools; its admins must be able to manage it.
            raise ValidationError("Webhooks are subscribed for the organisation.")
        problem = webhook_url_problem(webhook_url)
        if problem:
            raise ValidationError(f"This webhook URL cannot be used: {problem}")
    if not 0 <= digest_hour <= 23:
        raise ValidationError("The digest hour is between 0 and 23.")
    next_digest_at(timezone.now(), hour=digest_hour, time_zone=time_zone)  # checks the zone
    secret = generate_secret() if kind == Subscription.ChannelKind.WEBHOOK else ""
    subscription = Subscription.objects.create(
        feed=feed,
        membership=by,
        scope=scope,
        channel=kind,
        name=name.strip(),
        webhook_url=webhook_url if kind == Subscription.ChannelKind.WEBHOOK else "",
        secret_encrypted=encrypt_secret(secret) if secret else "",
        email_mode=email_mode,
        digest_hour=digest_hour,
        time_zone=time_zone,
    )
    audit_record(
        action="subscription.create",
        obj=subscription,
        actor=by.user,
        actor_organisation=by.organisation,
        organisation=by.organisation,
        after={"feed": feed.name, "channel": kind, "scope": scope, "url": webhook_url},
    )
    return subscription, secret


def _require_manages(subscription: Subscription, by: Membership | None) -> None:
    if by is not None and not subscriptions_managed_by(by).filter(pk=subscription.pk).exists():
        raise PermissionDenied("Only the subscription's owner or their organisation's admin can.")


@transaction.atomic
def subscription_rotate_secret(*, subscription: Subscription, by: Membership) -> str:
    """A new signing secret; the old one keeps signing alongside it for a day."""
    _require_manages(subscription, by)
    secret = generate_secret()
    subscription.previous_secret_encrypted = subscription.secret_encrypted
    subscription.previous_secret_expires_at = timezone.now() + SECRET_ROTATION_OVERLAP
    subscription.secret_encrypted = encrypt_secret(secret)
    subscription.save(
        update_fields=[
            "previous_secret_encrypted",
            "previous_secret_expires_at",
            "secret_encrypted",
        ]
    )
    audit_record(
        action="subscription.rotate_secret",
        obj=subscription,
        by=by,
        organisation=subscription.membership.organisation,
    )
    return secret


@transaction.atomic
def subscription_set_active(
    *, subscription: Subscription, active: bool, by: Membership | None, reason: str = ""
) -> Subscription:
    """Turn a subscription on or off; turning it off cancels what it still had pending.
    `by=None`: the portal itself (a receiver that keeps failing, an unsubscribe link)."""
    _require_manages(subscription, by)
    subscription.is_active = active
    subscription.disabled_at = None if active else timezone.now()
    subscription.disabled_reason = "" if active else reason[:300]
    if active:
        subscription.consecutive_failures = 0
    subscription.save(
        update_fields=["is_active", "disabled_at", "disabled_reason", "consecutive_failures"]
    )
    if not active:
        subscription.deliveries.filter(status=Delivery.Status.PENDING).update(
            status=Delivery.Status.CANCELLED,
            last_error=f"Subscription turned off: {reason}"[:500],
            finished_at=timezone.now(),
            claimed_until=None,
        )
    audit_record(
        action="subscription.enable" if active else "subscription.disable",
        obj=subscription,
        by=by,
        organisation=subscription.membership.organisation,
        after={"reason": reason} if reason else None,
    )
    return subscription


@transaction.atomic
def subscription_delete(*, subscription: Subscription, by: Membership) -> None:
    _require_manages(subscription, by)
    audit_record(
        action="subscription.delete",
        obj=subscription,
        by=by,
        organisation=subscription.membership.organisation,
        before={"feed": subscription.feed.name, "channel": subscription.channel},
    )
    subscription.delete()


@transaction.atomic
def allowance_add(
    *, network: str, by: Membership | None, note: str = ""
) -> PrivateNetworkAllowance:
    """Let webhooks reach a private range (an on-premises receiver). ISAC admins only."""
    require_isac_admin(by)
    try:
        parsed = netguard.parse_networks([network])[0]
    except ValueError:
        raise ValidationError(f"{network!r} is not a network such as 10.20.0.0/16.") from None
    problem = netguard.allowance_problem(parsed)
    if problem:
        raise ValidationError(problem)
    allowance = PrivateNetworkAllowance.objects.create(
        network=str(parsed), note=note, created_by=by.user if by else None
    )
    audit_record(action="fanout.allow_network", obj=allowance, by=by, after={"net": network})
    return allowance


@transaction.atomic
def allowance_remove(*, allowance: PrivateNetworkAllowance, by: Membership | None) -> None:
    require_isac_admin(by)
    audit_record(
        action="fanout.disallow_network", obj=allowance, by=by, before={"net": allowance.network}
    )
    allowance.delete()
