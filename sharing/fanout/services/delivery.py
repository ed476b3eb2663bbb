"""Sending deliveries: claim, re-check, send through the channel's transport, record.

Sending a batch is: claim its rows (a conditional update, so two workers never send the
same row at once, and the attempt counter goes up before anything is sent), re-check that
each recipient may still see the report over its channel, hand the rows to their
transports, and record each attempt the moment its send ends, deciding what comes next
(done, retry later, or give up and tell the owner). While the batch is being sent its
claim is renewed, so the sweep never hands a live batch to another worker; if the worker
dies the claim lapses within FANOUT_CLAIM_SECONDS and the sweep sends what was not recorded.
"""

import logging
import threading
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.core.mail import send_mail
from django.db import DatabaseError, connection, transaction
from django.db.models import F, Q, QuerySet
from django.utils import timezone

from accounts.models import Membership
from sharing import policy
from sharing.fanout.channels import retry_delay
from sharing.fanout.enqueue import deliver_after_commit
from sharing.fanout.outbox import deliveries_enqueue
from sharing.fanout.selectors import allowed_networks
from sharing.fanout.services.subscriptions import subscription_set_active
from sharing.fanout.transports import (
    TRANSPORTS,
    Outcome,
    PartnerTransport,
    SendContext,
    Sent,
    policy_channel,
)
from sharing.fanout.transports import webhook as webhook_transport
from sharing.models import Delivery, DeliveryAttempt, Partner, Report, Subscription
from sharing.tlp import TLP

logger = logging.getLogger(__name__)


@dataclass
class _Claim:
    """The rows a worker holds, until when, and which of them are not recorded yet."""

    until: datetime
    deliveries: list[Delivery]
    outstanding: set[int] = field(default_factory=set)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def recorded(self, pk: int) -> None:
        with self.lock:
            self.outstanding.discard(pk)


def _claim_until(now: datetime) -> datetime:
    return now + timedelta(seconds=settings.FANOUT_CLAIM_SECONDS)


def _claim(ids: Sequence[int]) -> _Claim | None:
    """Take the due, unclaimed rows among `ids` for this worker and count the attempt."""
    now = timezone.now()
    until = _claim_until(now)
    with transaction.atomic():
        claimable = list(
            Delivery.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(pk__in=list(ids), status=Delivery.Status.PENDING, next_attempt_at__lte=now)
            .filter(Q(claimed_until__isnull=True) | Q(claimed_until__lt=now))
            .values_list("pk", flat=True)
        )
        if not claimable:
            return None
        Delivery.objects.filter(pk__in=claimable).update(
            claimed_until=until, attempts=F("attempts") + 1, enqueued_at=None
        )
    deliveries = list(
        Delivery.objects.filter(pk__in=claimable)
        .select_related(
            "report__organisation",
            "subscription__feed",
            "subscription__membership__user",
            "subscription__membership__organisation",
            "partner",
        )
        .order_by("pk")
    )
    return _Claim(until=until, deliveries=deliveries, outstanding={d.pk for d in deliveries})


class _ClaimKeeper(threading.Thread):
    """Renews the claim on a batch's unrecorded rows while the batch is being sent.

    Runs beside the sending loop, so a send that takes long (it may take up to its
    deadline) never lets the claim lapse; when the worker process dies it stops, and the
    claim lapses within FANOUT_CLAIM_SECONDS. A row is renewed only while it is still held
    under this claim's own expiry time, which no other worker can have set.
    """

    def __init__(self, claim: _Claim) -> None:
        super().__init__(name="fanout-claim-keeper", daemon=True)
        self.claim = claim
        self.stopped = threading.Event()

    def run(self) -> None:
        every = max(settings.FANOUT_CLAIM_SECONDS / 3, 0.2)
        try:
            while not self.stopped.wait(every):
                self._renew()
        finally:
            connection.close()  # this thread's own connection

    def _renew(self) -> None:
        with self.claim.lock:
            ids = sorted(self.claim.outstanding)
        if not ids:
            return
        until = _claim_until(timezone.now())
        try:
            Delivery.objects.filter(
                pk__in=ids, status=Delivery.Status.PENDING, claimed_until=self.claim.until
            ).update(claimed_until=until)
        except DatabaseError:
            logger.warning("Could not renew the claim on deliveries %s", ids, exc_info=True)
            return
        self.claim.until = until

    def stop(self) -> None:
        self.stopped.set()
        self.join()


def _why_not(delivery: Delivery, permitted: dict[int, bool]) -> str | None:
    """Why this delivery must not be sent now, or None. Access is re-checked here."""
    if delivery.partner_id is not None:
        transport = TRANSPORTS.get(delivery.channel)
        if not isinstance(transport, PartnerTransport):
            return "Nothing sends to this kind of partner any more."
        return transport.refusal(delivery)
    subscription = delivery.subscription
    assert subscription is not None  # a delivery has a subscription or a partner
    report = delivery.report
    if not subscription.is_active:
        return "The subscription is turned off."
    membership = subscription.membership
    if membership.pk not in permitted:
        permitted[membership.pk] = policy.can_view(membership, report)
    if not permitted[membership.pk]:
        return "The subscriber may no longer see this report."
    channel = policy_channel(subscription.channel, TLP(report.tlp))
    if delivery.event == Delivery.Event.WITHDRAWN:
        # A withdrawal notice goes where the report went: judge the channel as published.
        probe = Report(tlp=report.tlp, status=Report.Status.PUBLISHED)
        allowed = channel is not None and policy.can_forward(probe, channel)
        if not allowed:
            return "The channel may not carry this report."
        return TRANSPORTS[delivery.channel].refusal(delivery)
    if report.status != Report.Status.PUBLISHED:
        return "The report is no longer published."
    if report.version != delivery.report_version:
        return f"Superseded by version {report.version}."
    if channel is None or not policy.can_forward(report, channel):
        return "The channel may not carry this report."
    return TRANSPORTS[delivery.channel].refusal(delivery)


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


@transaction.atomic
def _record(ended: Sequence[Sent]) -> None:
    """Write the attempts of sends that have just ended, and their consequences, in one
    short transaction (one INSERT and one UPDATE however many ended together)."""
    DeliveryAttempt.objects.bulk_create(
        [
            DeliveryAttempt(
                delivery=sent.delivery,
                number=sent.delivery.attempts,
                started_at=sent.started_at,
                duration_ms=sent.duration_ms,
                status_code=sent.outcome.status_code,
                ok=sent.outcome.ok,
                error=sent.outcome.error[:500],
            )
            for sent in ended
        ]
    )
    succeeded = [sent.delivery for sent in ended if sent.outcome.ok]
    if succeeded:
        now = timezone.now()
        Delivery.objects.filter(
            pk__in=[d.pk for d in succeeded], status=Delivery.Status.PENDING
        ).update(
            status=Delivery.Status.DELIVERED,
            delivered_at=now,
            finished_at=now,
            claimed_until=None,
            last_error="",
        )
        recovered = {
            d.subscription.pk
            for d in succeeded
            if d.subscription is not None and d.subscription.consecutive_failures
        }
        if recovered:
            Subscription.objects.filter(pk__in=recovered).update(consecutive_failures=0)
        partners = {d.partner_id for d in succeeded if d.partner_id is not None}
        if partners:
            Partner.objects.filter(pk__in=partners).update(
                consecutive_failures=0, last_success_at=now, last_error=""
            )
    for sent in ended:
        if sent.outcome.ok and sent.delivery.partner_id is not None:
            transport = TRANSPORTS[sent.delivery.channel]
            assert isinstance(transport, PartnerTransport)
            transport.record_delivered(sent.delivery, sent.outcome)
        if not sent.outcome.ok:
            _record_failure(sent.delivery, sent.outcome)


def _record_failure(delivery: Delivery, outcome: Outcome) -> None:
    now = timezone.now()
    subscription = delivery.subscription
    pending = Delivery.objects.filter(pk=delivery.pk, status=Delivery.Status.PENDING)
    if subscription is None:
        _record_partner_failure(delivery, outcome, pending=pending, now=now)
        return
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
        subscription.refresh_from_db(fields=["is_active"])
        if subscription.is_active:
            reason = (
                "the receiver answered 410 Gone."
                if outcome.gone
                else f"{delivery.attempts} attempts failed, the last with: {outcome.error}"
            )
            subscription_set_active(subscription=subscription, active=False, by=None, reason=reason)
            _tell_owner_disabled(subscription, reason)
        return
    _retry_later(delivery, outcome, pending=pending, now=now)


def _retry_later(
    delivery: Delivery, outcome: Outcome, *, pending: QuerySet[Delivery], now: datetime
) -> None:
    delay = retry_delay(delivery.attempts, delays=settings.FANOUT_RETRY_DELAYS)
    pending.update(
        next_attempt_at=now + timedelta(seconds=delay),
        claimed_until=None,
        last_error=outcome.error[:500],
        enqueued_at=now,
    )
    # Retries beyond the broker's horizon are left to the sweep.
    if delay <= settings.CELERY_MAX_RETRY_DELAY:
        deliver_after_commit(
            [delivery.pk], queue=TRANSPORTS[delivery.channel].queue, countdown=delay
        )


def _record_partner_failure(
    delivery: Delivery, outcome: Outcome, *, pending: QuerySet[Delivery], now: datetime
) -> None:
    """A partner is not turned off by failures (other reports must still reach it once it is
    back): the delivery is retried with backoff and, after its last attempt, fails and the
    partner's transport tells whoever looks after it."""
    assert delivery.partner is not None
    Partner.objects.filter(pk=delivery.partner.pk).update(
        consecutive_failures=F("consecutive_failures") + 1, last_error=outcome.error[:500]
    )
    if outcome.gone or delivery.attempts >= settings.FANOUT_MAX_ATTEMPTS:
        pending.update(
            status=Delivery.Status.FAILED,
            finished_at=now,
            claimed_until=None,
            last_error=outcome.error[:500],
        )
        transport = TRANSPORTS[delivery.channel]
        assert isinstance(transport, PartnerTransport)
        transport.gave_up(delivery, f"{delivery.attempts} attempt(s) failed: {outcome.error}")
        return
    _retry_later(delivery, outcome, pending=pending, now=now)


def _give_up_unfinished(delivery: Delivery) -> None:
    # A delivery that keeps killing its worker stops here.
    Delivery.objects.filter(pk=delivery.pk).update(
        status=Delivery.Status.FAILED,
        finished_at=timezone.now(),
        claimed_until=None,
        last_error="Gave up: no attempt finished.",
    )


def deliveries_process(*, ids: Sequence[int]) -> int:
    """Send the given deliveries that are due; returns how many were delivered now.

    Each transport sends its part of the batch and hands back each send as it ends; the
    attempt is recorded then, so a slow receiver delays no one else's result or retry.
    """
    claim = _claim(ids)
    if claim is None:
        return 0
    permitted: dict[int, bool] = {}
    by_channel: dict[str, list[Delivery]] = {}
    for delivery in claim.deliveries:
        if delivery.attempts > settings.FANOUT_MAX_ATTEMPTS:
            _give_up_unfinished(delivery)
        elif reason := _why_not(delivery, permitted):
            _cancel(delivery, reason)
        else:
            by_channel.setdefault(delivery.channel, []).append(delivery)
            continue
        claim.recorded(delivery.pk)
    if not by_channel:
        return 0
    context = SendContext(allowed_networks=allowed_networks())
    keeper = _ClaimKeeper(claim)
    keeper.start()
    delivered = 0
    try:
        for channel, deliveries in by_channel.items():
            for ended in TRANSPORTS[channel].send_batch(deliveries, context):
                _record(ended)
                for sent in ended:
                    claim.recorded(sent.delivery.pk)
                    delivered += sent.outcome.ok
    finally:
        keeper.stop()
        context.close()
    return delivered


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
    context = SendContext(allowed_networks=allowed_networks())
    try:
        prepared = webhook_transport.prepare(
            subscription=subscription, msg_id=f"msg_test_{uuid.uuid4().hex}", body=body
        )
        return webhook_transport.deliver(prepared, context)
    finally:
        context.close()
