"""The outbox: a report event becomes one delivery row per matching, permitted subscription,
and one per partner (outside the membership) its partner transports send it to.

`outbox_write` is called by the report services in the transaction that publishes, revises
or withdraws a report, so the rows exist exactly when the change does. Workers are
enqueued only after commit; `fanout_sweep` sends whatever a crash left behind.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from accounts.models import Membership
from sharing import policy
from sharing.fanout.enqueue import deliver_after_commit
from sharing.fanout.transports import TRANSPORTS, partner_transports, policy_channel
from sharing.feeds.selectors import feeds_matching, report_facts
from sharing.models import Delivery, Report, Subscription
from sharing.tlp import TLP


@dataclass(frozen=True)
class _Candidate:
    pk: int
    channel: str
    membership_id: int
    email_mode: str
    digest_hour: int
    time_zone: str


def _matching_subscriptions(report: Report, event: Delivery.Event) -> list[_Candidate]:
    # Channels with a transport are pushed; the others (TAXII) are polled.
    pushed = Subscription.objects.filter(is_active=True, channel__in=list(TRANSPORTS))
    if event == Delivery.Event.WITHDRAWN:
        # Only those who were sent the report hear that it was withdrawn.
        pushed = pushed.filter(
            deliveries__report=report, deliveries__status=Delivery.Status.DELIVERED
        ).distinct()
    else:
        pushed = pushed.filter(feed_id__in=feeds_matching(report_facts(report)))
    # Plain values: a publish may fan out to thousands of subscriptions.
    return [
        _Candidate(*row)
        for row in pushed.values_list(
            "pk", "channel", "membership_id", "email_mode", "digest_hour", "time_zone"
        )
    ]


def _channel_allowed(report: Report, subscription_channel: str) -> bool:
    channel = policy_channel(subscription_channel, TLP(report.tlp))
    if channel is None:
        return False
    # A withdrawal notice goes where the report went: judge the channel as published.
    probe = Report(tlp=report.tlp, status=Report.Status.PUBLISHED)
    return policy.can_forward(probe, channel)


@transaction.atomic
def outbox_write(*, report: Report, event: str) -> int:
    """Write the deliveries for a report event; returns how many new rows were written.

    Calling it twice for the same report version and event writes nothing the second time.
    """
    kind = Delivery.Event(event)
    if kind != Delivery.Event.WITHDRAWN and report.status != Report.Status.PUBLISHED:
        return 0
    subscriptions = _matching_subscriptions(report, kind)
    already = set(
        Delivery.objects.filter(
            report=report, report_version=report.version, event=kind
        ).values_list("subscription_id", flat=True)
    )
    memberships = Membership.objects.select_related("organisation", "user").in_bulk(
        {c.membership_id for c in subscriptions}
    )
    permitted = {pk: policy.can_view(m, report) for pk, m in memberships.items()}
    channel_ok = {
        channel: _channel_allowed(report, channel) for channel in {c.channel for c in subscriptions}
    }
    now = timezone.now()
    immediate: list[int] = []
    later: list[Delivery] = []
    for candidate in subscriptions:
        if (
            candidate.pk in already
            or not channel_ok[candidate.channel]
            or not permitted.get(candidate.membership_id)
        ):
            continue
        due = TRANSPORTS[candidate.channel].due_at(candidate, now)
        if due <= now:
            immediate.append(candidate.pk)
        else:
            later.append(
                Delivery(
                    report_id=report.pk,
                    report_version=report.version,
                    event=kind,
                    subscription_id=candidate.pk,
                    channel=candidate.channel,
                    next_attempt_at=due,
                    created_at=now,
                )
            )
    Delivery.objects.bulk_create(later, ignore_conflicts=True)
    written = _insert_due(report=report, event=kind, subscription_ids=immediate, now=now)
    written += _write_partner_deliveries(report=report, event=kind, now=now)
    deliveries_enqueue(written, mark=False)
    return len(written) + len(later)


def _write_partner_deliveries(
    *, report: Report, event: Delivery.Event, now: datetime
) -> list[tuple[int, str]]:
    """One delivery, due now, per partner a partner transport sends this event to; returns
    (pk, channel) of the rows new in this call (the unique key skips those already written)."""
    written: list[tuple[int, str]] = []
    for transport in partner_transports():
        partner_ids = list(transport.partners_for(report=report, event=event))
        if not partner_ids:
            continue
        existing = set(
            Delivery.objects.filter(
                report=report,
                report_version=report.version,
                event=event,
                partner_id__in=partner_ids,
            ).values_list("partner_id", flat=True)
        )
        rows = [
            Delivery(
                report_id=report.pk,
                report_version=report.version,
                event=event,
                partner_id=partner_id,
                channel=transport.kind,
                next_attempt_at=now,
                created_at=now,
                enqueued_at=now,
            )
            for partner_id in partner_ids
            if partner_id not in existing
        ]
        Delivery.objects.bulk_create(rows, ignore_conflicts=True)
        written += list(
            Delivery.objects.filter(
                report=report,
                report_version=report.version,
                event=event,
                partner_id__in=[row.partner_id for row in rows],
                created_at=now,
            ).values_list("pk", "channel")
        )
    return written


def _insert_due(
    *, report: Report, event: str, subscription_ids: list[int], now: datetime
) -> list[tuple[int, str]]:
    """Insert rows due now, already marked enqueued; returns (pk, channel) of the new ones.

    On PostgreSQL one INSERT ... SELECT writes thousands of rows without building a model
    instance for each (publishing must stay fast); rows another transaction wrote first are
    skipped by the unique key.
    """
    if not subscription_ids:
        return []
    if connection.vendor != "postgresql":
        Delivery.objects.bulk_create(
            [
                Delivery(
                    report_id=report.pk,
                    report_version=report.version,
                    event=event,
                    subscription_id=pk,
                    channel=channel,
                    next_attempt_at=now,
                    created_at=now,
                    enqueued_at=now,
                )
                for pk, channel in Subscription.objects.filter(pk__in=subscription_ids).values_list(
                    "pk", "channel"
                )
            ],
            ignore_conflicts=True,
        )
        return list(
            Delivery.objects.filter(
                report=report, report_version=report.version, event=event, enqueued_at=now
            )
            .order_by("pk")
            .values_list("pk", "channel")
        )
    deliveries = Delivery._meta.db_table
    subscriptions = Subscription._meta.db_table
    sql = f"""
        INSERT INTO {deliveries} (
            uuid, report_id, report_version, event, subscription_id, channel, status,
            attempts, next_attempt_at, enqueued_at, last_error, created_at
        )
        SELECT gen_random_uuid(), %s, %s, %s, s.id, s.channel, %s, 0, %s, %s, '', %s
        FROM {subscriptions} s WHERE s.id = ANY(%s)
        ORDER BY s.id
        ON CONFLICT DO NOTHING
        RETURNING id, channel
    """  # noqa: S608 (table names come from the models, values are parameters)
    with connection.cursor() as cursor:
        cursor.execute(
            sql,
            [
                report.pk,
                report.version,
                event,
                Delivery.Status.PENDING,
                now,
                now,
                now,
                subscription_ids,
            ],
        )
        return sorted((int(pk), str(channel)) for pk, channel in cursor.fetchall())


def _failing(ids: list[int]) -> set[int]:
    """Those of the deliveries whose subscription's (or partner's) last attempt failed (a
    receiver that was down or too slow)."""
    return set(
        Delivery.objects.filter(pk__in=ids)
        .filter(
            Q(subscription__consecutive_failures__gt=0) | Q(partner__consecutive_failures__gt=0)
        )
        .values_list("pk", flat=True)
    )


def deliveries_enqueue(rows: Iterable[tuple[int, str]], *, mark: bool = True) -> None:
    """Mark rows as enqueued and send them to the workers once the transaction commits,
    in batches of one channel on that channel's queue.

    A batch's task ends with its slowest send, so deliveries to receivers that have just
    failed go in batches of their own, after the others: a receiver that is too slow
    keeps no healthy delivery waiting for its batch to end.
    """
    by_channel: dict[str, list[int]] = {}
    for pk, channel in rows:
        by_channel.setdefault(channel, []).append(pk)
    if not by_channel:
        return
    all_ids = [pk for ids in by_channel.values() for pk in ids]
    if mark:
        Delivery.objects.filter(pk__in=all_ids).update(enqueued_at=timezone.now())
    failing = _failing(all_ids)
    size = settings.FANOUT_BATCH_SIZE
    for channel, ids in by_channel.items():
        queue = TRANSPORTS[channel].queue
        for group in (
            [pk for pk in ids if pk not in failing],
            [pk for pk in ids if pk in failing],
        ):
            for start in range(0, len(group), size):
                deliver_after_commit(group[start : start + size], queue=queue)
