"""Every change to feeds, subscriptions and deliveries goes through these functions.

Sending a delivery is: claim it (a conditional update, so two workers never send the same
row at once, and the attempt counter goes up before anything is sent), re-check that its
recipient may still see the report over this channel, call the transport, record the
attempt and decide what comes next (done, retry later, or give up and tell the owner).
"""

import logging
import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from accounts.audit import audit_record
from accounts.models import Membership, Sector, TrustGroup, User
from sharing import policy
from sharing.fanout import netguard
from sharing.fanout.channels import next_digest_at, policy_channel, retry_delay
from sharing.fanout.outbox import deliveries_enqueue
from sharing.fanout.secrets import encrypt_secret, generate_secret
from sharing.fanout.transports import Outcome, SendContext
from sharing.fanout.transports import email as email_transport
from sharing.fanout.transports import portal as portal_transport
from sharing.fanout.transports import webhook as webhook_transport
from sharing.models import (
    Delivery,
    DeliveryAttempt,
    Feed,
    Notification,
    PrivateNetworkAllowance,
    Report,
    Subscription,
)
from sharing.tlp import TLP

logger = logging.getLogger(__name__)

# How long a rotated-out secret keeps signing, so receivers can switch over.
SECRET_ROTATION_OVERLAP = timedelta(hours=24)


# --- Feeds ------------------------------------------------------------------------------


@transaction.atomic
def feeds_ensure_builtin() -> int:
    """Create the built-in feeds that are missing: "everything I can see" and one per sector."""
    created = 0
    if not Feed.objects.filter(kind=Feed.Kind.EVERYTHING).exists():
        Feed.objects.create(
            kind=Feed.Kind.EVERYTHING,
            name="Everything I can see",
            description="Every report shared with you, whatever its sector or type.",
        )
        created += 1
    covered = set(Feed.objects.filter(kind=Feed.Kind.SECTOR).values_list("sectors", flat=True))
    for sector in Sector.objects.exclude(pk__in=[pk for pk in covered if pk is not None]):
        feed = Feed.objects.create(
            kind=Feed.Kind.SECTOR,
            name=f"{sector.name} sector",
            description=f"Reports that affect the {sector.name} sector.",
        )
        feed.sectors.set([sector])
        created += 1
    return created


@transaction.atomic
def feed_create(
    *,
    name: str,
    by: Membership,
    description: str = "",
    sectors: Iterable[Sector] = (),
    report_types: Sequence[str] = (),
    min_confidence: int = 0,
    tlp_min: str = TLP.CLEAR,
    tlp_max: str = TLP.RED,
    source_organisation_id: int | None = None,
    trust_group: TrustGroup | None = None,
    personal: bool = True,
) -> Feed:
    """A curated feed (ISAC staff) or a personal filter (anyone, seen only by them)."""
    if not personal and not by.is_isac_staff:
        raise ValidationError("Only ISAC staff curate feeds for everyone.")
    low, high = TLP(tlp_min), TLP(tlp_max)
    if low.rank > high.rank:
        raise ValidationError("The narrowest TLP must not be wider than the widest.")
    if (
        trust_group is not None
        and not by.is_isac_staff
        and not trust_group.memberships.filter(organisation_id=by.organisation_id).exists()
        and trust_group.sector_id not in set(by.organisation.sectors.values_list("pk", flat=True))
    ):
        raise ValidationError("Choose a trust group your organisation belongs to.")
    unknown = set(report_types) - set(Report.Type.values)
    if unknown:
        raise ValidationError(f"Unknown report types: {', '.join(sorted(unknown))}.")
    feed = Feed.objects.create(
        name=name.strip(),
        description=description.strip(),
        kind=Feed.Kind.PERSONAL if personal else Feed.Kind.CURATED,
        owner=by if personal else None,
        report_types=sorted(set(report_types)),
        min_confidence=min_confidence,
        tlp_min=low,
        tlp_max=high,
        source_organisation_id=source_organisation_id,
        trust_group=trust_group,
    )
    feed.sectors.set(list(sectors))
    audit_record(
        action="feed.create",
        obj=feed,
        actor=by.user,
        actor_organisation=by.organisation,
        organisation=by.organisation,
        after={"name": feed.name, "kind": feed.kind},
    )
    return feed


# --- Subscriptions ----------------------------------------------------------------------


def _allowed_networks() -> list[netguard.IPNetwork]:
    configured = list(settings.FANOUT_ALLOWED_NETWORKS)
    configured += list(PrivateNetworkAllowance.objects.values_list("network", flat=True))
    return netguard.parse_networks(configured)


def webhook_url_problem(url: str) -> str | None:
    """Why a webhook URL cannot be used, checked when it is saved (and again on every send)."""
    allowed = _allowed_networks()
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
    from sharing.fanout.selectors import feeds_for

    if not feeds_for(by).filter(pk=feed.pk).exists():
        raise ValidationError("No such feed.")
    kind = Subscription.ChannelKind(channel)
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


@transaction.atomic
def subscription_rotate_secret(*, subscription: Subscription, by: User) -> str:
    """A new signing secret; the old one keeps signing alongside it for a day."""
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
        actor=by,
        organisation=subscription.membership.organisation,
    )
    return secret


@transaction.atomic
def subscription_set_active(
    *, subscription: Subscription, active: bool, by: User | None, reason: str = ""
) -> Subscription:
    """Turn a subscription on or off; turning it off cancels what it still had pending."""
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
        actor=by,
        organisation=subscription.membership.organisation,
        after={"reason": reason} if reason else None,
    )
    return subscription


@transaction.atomic
def subscription_delete(*, subscription: Subscription, by: User) -> None:
    audit_record(
        action="subscription.delete",
        obj=subscription,
        actor=by,
        organisation=subscription.membership.organisation,
        before={"feed": subscription.feed.name, "channel": subscription.channel},
    )
    subscription.delete()


@transaction.atomic
def allowance_add(*, network: str, by: User, note: str = "") -> PrivateNetworkAllowance:
    """Let webhooks reach a private range (an on-premises receiver). ISAC admins only."""
    try:
        parsed = netguard.parse_networks([network])[0]
    except ValueError:
        raise ValidationError(f"{network!r} is not a network such as 10.20.0.0/16.") from None
    allowance = PrivateNetworkAllowance.objects.create(
        network=str(parsed), note=note, created_by=by
    )
    audit_record(action="fanout.allow_network", obj=allowance, actor=by, after={"net": network})
    return allowance


@transaction.atomic
def allowance_remove(*, allowance: PrivateNetworkAllowance, by: User) -> None:
    audit_record(
        action="fanout.disallow_network", obj=allowance, actor=by, before={"net": allowance.network}
    )
    allowance.delete()


@transaction.atomic
def notification_mark_read(*, notification: Notification) -> None:
    if notification.read_at is None:
        notification.read_at = timezone.now()
        notification.save(update_fields=["read_at"])


# --- Sending ----------------------------------------------------------------------------


def _claim(ids: Sequence[int]) -> list[Delivery]:
    """Take the due, unclaimed rows among `ids` for this worker and count the attempt."""
    now = timezone.now()
    with transaction.atomic():
        claimable = list(
            Delivery.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(pk__in=list(ids), status=Delivery.Status.PENDING, next_attempt_at__lte=now)
            .filter(Q(claimed_until__isnull=True) | Q(claimed_until__lt=now))
            .values_list("pk", flat=True)
        )
        if not claimable:
            return []
        Delivery.objects.filter(pk__in=claimable).update(
            claimed_until=now + timedelta(seconds=settings.FANOUT_CLAIM_SECONDS),
            attempts=F("attempts") + 1,
            enqueued_at=None,
        )
    return list(
        Delivery.objects.filter(pk__in=claimable)
        .select_related(
            "report__organisation",
            "subscription__feed",
            "subscription__membership__user",
            "subscription__membership__organisation",
        )
        .order_by("pk")
    )


def _why_not(delivery: Delivery, permitted: dict[int, bool]) -> str | None:
    """Why this delivery must not be sent now, or None. Access is re-checked here."""
    subscription = delivery.subscription
    report = delivery.report
    if not subscription.is_active:
        return "The subscription is turned off."
    membership = subscription.membership
    if membership.pk not in permitted:
        permitted[membership.pk] = policy.can_view(membership, report)
    if not permitted[membership.pk]:
        return "The subscriber may no longer see this report."
    if delivery.event == Delivery.Event.WITHDRAWN:
        channel = policy_channel(subscription.channel, TLP(report.tlp))
        probe = Report(tlp=report.tlp, status=Report.Status.PUBLISHED)
        allowed = channel is not None and policy.can_forward(probe, channel)
        return None if allowed else "The channel may not carry this report."
    if report.status != Report.Status.PUBLISHED:
        return "The report is no longer published."
    if report.version != delivery.report_version:
        return f"Superseded by version {report.version}."
    channel = policy_channel(subscription.channel, TLP(report.tlp))
    if channel is None or not policy.can_forward(report, channel):
        return "The channel may not carry this report."
    return None


_TRANSPORTS = {
    Subscription.ChannelKind.WEBHOOK: webhook_transport.send,
    Subscription.ChannelKind.PORTAL: portal_transport.send,
    Subscription.ChannelKind.EMAIL: email_transport.send,
}


def _cancel(delivery: Delivery, reason: str) -> None:
    Delivery.objects.filter(pk=delivery.pk, status=Delivery.Status.PENDING).update(
        status=Delivery.Status.CANCELLED,
        last_error=reason[:500],
        finished_at=timezone.now(),
        claimed_until=None,
    )


def _tell_owner_disabled(subscription: Subscription, reason: str) -> None:
    """The owner, and for an organisation's subscription its admins, get an e-mail."""
    to = {subscription.membership.user.email}
    if subscription.scope == Subscription.Scope.ORGANISATION:
        to |= set(
            Membership.objects.filter(
                organisation_id=subscription.membership.organisation_id,
                role=Membership.Role.ORG_ADMIN,
                is_active=True,
            ).values_list("user__email", flat=True)
        )
    where = f" ({subscription.webhook_url})" if subscription.webhook_url else ""
    text = (
        f"The {subscription.get_channel_display().lower()} subscription “{subscription}”{where} "
        f"was turned off: {reason}\n\nFix the receiver, then turn the subscription back on "
        "in the portal."
    )
    recipients = sorted(to)
    transaction.on_commit(
        lambda: send_mail(
            "[ISAC portal] Subscription turned off", text, None, recipients, fail_silently=True
        )
    )


@dataclass(frozen=True)
class _Result:
    delivery: Delivery
    outcome: Outcome
    started_at: datetime
    duration_ms: int


def _record_all(results: Sequence[_Result]) -> None:
    """Write the attempts of a batch and their consequences in one short transaction."""
    if not results:
        return
    now = timezone.now()
    with transaction.atomic():
        DeliveryAttempt.objects.bulk_create(
            [
                DeliveryAttempt(
                    delivery=r.delivery,
                    number=r.delivery.attempts,
                    started_at=r.started_at,
                    duration_ms=r.duration_ms,
                    status_code=r.outcome.status_code,
                    ok=r.outcome.ok,
                    error=r.outcome.error[:500],
                )
                for r in results
            ]
        )
        succeeded = [r.delivery for r in results if r.outcome.ok]
        Delivery.objects.filter(
            pk__in=[d.pk for d in succeeded], status=Delivery.Status.PENDING
        ).update(
            status=Delivery.Status.DELIVERED,
            delivered_at=now,
            finished_at=now,
            claimed_until=None,
            last_error="",
        )
        recovered = {d.subscription_id for d in succeeded if d.subscription.consecutive_failures}
        if recovered:
            Subscription.objects.filter(pk__in=recovered).update(consecutive_failures=0)
        for r in results:
            if not r.outcome.ok:
                _record_failure(r.delivery, r.outcome, now)


def _record_failure(delivery: Delivery, outcome: Outcome, now: datetime) -> None:
    subscription = delivery.subscription
    pending = Delivery.objects.filter(pk=delivery.pk, status=Delivery.Status.PENDING)
    Subscription.objects.filter(pk=subscription.pk).update(
        consecutive_failures=F("consecutive_failures") + 1
    )
    give_up = outcome.gone or delivery.attempts >= settings.FANOUT_MAX_ATTEMPTS
    if give_up:
        pending.update(
            status=Delivery.Status.FAILED,
            finished_at=now,
            claimed_until=None,
            last_error=outcome.error[:500],
        )
        if subscription.is_active:
            reason = (
                "the receiver answered 410 Gone."
                if outcome.gone
                else f"{delivery.attempts} attempts failed, the last with: {outcome.error}"
            )
            subscription_set_active(subscription=subscription, active=False, by=None, reason=reason)
            _tell_owner_disabled(subscription, reason)
        return
    delay = retry_delay(delivery.attempts, delays=settings.FANOUT_RETRY_DELAYS)
    pending.update(
        next_attempt_at=now + timedelta(seconds=delay),
        claimed_until=None,
        last_error=outcome.error[:500],
        enqueued_at=now,
    )
    from sharing.fanout import tasks

    task = tasks.send_email_batch if delivery.channel == "email" else tasks.deliver_batch
    # Retries beyond the broker's horizon are left to the sweep.
    if delay <= settings.CELERY_MAX_RETRY_DELAY:
        transaction.on_commit(lambda: task.apply_async(([delivery.pk],), countdown=delay))


def _timed(send: Callable[[], Outcome]) -> tuple[Outcome, datetime, int]:
    started_at = timezone.now()
    started = time.monotonic()
    outcome = send()
    return outcome, started_at, int((time.monotonic() - started) * 1000)


def deliveries_process(*, ids: Sequence[int]) -> int:
    """Send the given deliveries that are due; returns how many were delivered now.

    Webhooks of a batch are sent concurrently (they are I/O-bound and touch no database);
    the attempts are then recorded together.
    """
    claimed = _claim(ids)
    if not claimed:
        return 0
    context = SendContext(allowed_networks=_allowed_networks())
    permitted: dict[int, bool] = {}
    digests: dict[int, list[Delivery]] = {}
    webhooks: list[tuple[Delivery, webhook_transport.Prepared]] = []
    results: list[_Result] = []
    try:
        for delivery in claimed:
            if delivery.attempts > settings.FANOUT_MAX_ATTEMPTS:
                # A delivery that keeps killing its worker stops here.
                Delivery.objects.filter(pk=delivery.pk).update(
                    status=Delivery.Status.FAILED,
                    finished_at=timezone.now(),
                    claimed_until=None,
                    last_error="Gave up: no attempt finished.",
                )
                continue
            reason = _why_not(delivery, permitted)
            if reason:
                _cancel(delivery, reason)
                continue
            subscription = delivery.subscription
            if delivery.channel == Subscription.ChannelKind.WEBHOOK:
                webhooks.append((delivery, webhook_transport.prepare_delivery(delivery, context)))
            elif (
                delivery.channel == Subscription.ChannelKind.EMAIL
                and subscription.email_mode == Subscription.EmailMode.DIGEST
            ):
                digests.setdefault(subscription.membership.user_id, []).append(delivery)
            else:
                transport = _TRANSPORTS[Subscription.ChannelKind(delivery.channel)]
                outcome, started_at, ms = _timed(partial(transport, delivery, context))
                results.append(_Result(delivery, outcome, started_at, ms))
        if webhooks:
            threads = min(settings.FANOUT_SEND_THREADS, len(webhooks))
            with ThreadPoolExecutor(max_workers=threads) as pool:
                timed = pool.map(
                    lambda job: _timed(partial(webhook_transport.deliver, job[1], context)),
                    webhooks,
                )
                for (delivery, _), (outcome, started_at, ms) in zip(webhooks, timed, strict=True):
                    results.append(_Result(delivery, outcome, started_at, ms))
        for group in digests.values():
            outcome, started_at, ms = _timed(partial(email_transport.send_digest, group))
            results.extend(_Result(d, outcome, started_at, ms) for d in group)
    finally:
        context.close()
        _record_all(results)
    return sum(1 for r in results if r.outcome.ok)


def deliveries_sweep(*, limit: int = 5000) -> int:
    """Enqueue due deliveries that no worker holds and no queue carries (crash, restart,
    retry past the broker's horizon, digest time). Safe to run from several beats."""
    now = timezone.now()
    horizon = now - timedelta(seconds=settings.FANOUT_CLAIM_SECONDS)
    with transaction.atomic():
        rows = list(
            Delivery.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(status=Delivery.Status.PENDING, next_attempt_at__lte=now)
            .filter(Q(claimed_until__isnull=True) | Q(claimed_until__lt=now))
            .filter(Q(enqueued_at__isnull=True) | Q(enqueued_at__lt=horizon))
            .order_by("subscription__membership_id", "pk")
            .values_list("pk", "channel")[:limit]
        )
        deliveries_enqueue(rows)
    return len(rows)


def delivery_send_test(*, subscription: Subscription) -> Outcome:
    """Send a signed `test` event to a webhook now, outside the log, so its owner sees it work."""
    body = {
        "type": "test",
        "timestamp": timezone.now().isoformat(),
        "data": {"message": "A test delivery from the ISAC portal."},
    }
    context = SendContext(allowed_networks=_allowed_networks())
    try:
        import uuid

        prepared = webhook_transport.prepare(
            subscription=subscription, msg_id=f"msg_test_{uuid.uuid4().hex}", body=body
        )
        return webhook_transport.deliver(prepared, context)
    finally:
        context.close()
