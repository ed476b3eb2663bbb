"""Writing the dashboards' figures: first reads of reports, and the periodic refresh.

Every figure is counted through sharing.policy. An organisation's figures are counted as one
of its people sees the material: below TLP:RED a report's audience admits or refuses a whole
organisation, so what one of its people may read, every one of them may (RED is counted by
nobody). ISAC-wide figures are counted as an ISAC admin sees them. The refresh replaces each
organisation's rows in one short transaction, so a page never sees half a refresh.
"""

import statistics
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.core.cache import cache
from django.db import connection, transaction
from django.db.models import Case, Count, IntegerField, Max, Q, QuerySet, Value, When
from django.db.models.functions import TruncMonth, TruncWeek
from django.utils import timezone

from accounts.models import Membership, Organisation
from portal.enqueue import REDIS_UNAVAILABLE
from sharing import policy
from sharing.insights import kinds as registry
from sharing.insights.kinds import KINDS, Side, readable_reports, received_reports
from sharing.models import Delivery, DeliveryAttempt, InsightFigure, Report, ReportRead
from sharing.tlp import TLP

# An organisation's figures cover this many months (the current one included); the ISAC's
# activity this many weeks.
MEMBER_MONTHS = 12
STAFF_WEEKS = 26
TOP_INDICATORS = 15
TOTAL = "total"  # the key of a kind's figure over the whole window

_LOCK = 7_421_117
READ_MARK_SECONDS = 7 * 24 * 3600  # PostgreSQL advisory lock: one refresh writes at a time


# --- First reads ---------------------------------------------------------------------------


def report_read_record(*, report: Report, by: Membership | None) -> None:
    """Record that the reader's organisation has opened the report, if it is the first time.

    The caller has read the report through the policy. A reader of the source organisation,
    or of a report not (or no longer) published, is not reach and is not recorded. One
    `INSERT ... ON CONFLICT DO NOTHING`, atomic by itself: no transaction (and no savepoint
    inside a request's) is opened for it, so a report page pays one query.
    """
    if by is None or by.organisation_id == report.organisation_id:
        return
    if report.status not in policy.READABLE_STATUSES:
        return
    # Only the first visit writes; later ones find the mark in the cache and cost no query.
    seen = f"report-read:{by.organisation.uuid}:{report.uuid}"
    try:
        if not cache.add(seen, 1, READ_MARK_SECONDS):
            return
    except REDIS_UNAVAILABLE:
        pass
    ReportRead.objects.bulk_create(
        [ReportRead(report=report, organisation_id=by.organisation_id)], ignore_conflicts=True
    )


# --- Periods ---------------------------------------------------------------------------


def month_start(day: date) -> date:
    return day.replace(day=1)


def months_back(today: date, count: int) -> list[date]:
    """The first days of the last `count` months, oldest first, this month last."""
    months = [month_start(today)]
    while len(months) < count:
        previous = months[-1] - timedelta(days=1)
        months.append(month_start(previous))
    return list(reversed(months))


def weeks_back(today: date, count: int) -> list[date]:
    """The Mondays of the last `count` weeks, oldest first, this week last."""
    monday = today - timedelta(days=today.weekday())
    return [monday - timedelta(weeks=n) for n in range(count - 1, -1, -1)]


def _day(value: datetime | date) -> date:
    if isinstance(value, datetime):
        return timezone.localtime(value).date() if timezone.is_aware(value) else value.date()
    return value


def _since(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, datetime.min.time()))


# --- The refresh -----------------------------------------------------------------------


@dataclass(frozen=True)
class RefreshResult:
    organisations: int
    rows: int


def insights_refresh(*, by: Membership | None = None) -> RefreshResult:
    """Recount every dashboard figure: each member organisation's, then the ISAC's.

    Run by Celery beat (`insights-refresh`, portal/settings.py) and after `seed_demo`;
    `by` is the ISAC admin who asked for it from the ISAC dashboard, or None.
    """
    now = timezone.now()
    today = timezone.localdate(now)
    organisations = Organisation.objects.filter(is_isac=False).exclude(
        status=Organisation.Status.OFFBOARDED
    )
    written = 0
    for organisation in organisations:
        reader = organisation_reader(organisation)
        rows = organisation_figures(reader, organisation, today) if reader else []
        written += _replace(organisation, rows, now)
    staff = staff_reader()
    written += _replace(None, staff_figures(staff, today) if staff else [], now)
    return RefreshResult(organisations=len(organisations), rows=written)


def organisation_reader(organisation: Organisation) -> Membership | None:
    """A person of the organisation to count as: any active one does (see the module's
    docstring); an analyst is preferred, as the narrowest role."""
    return (
        Membership.objects.filter(organisation=organisation, is_active=True, user__is_active=True)
        .select_related("user", "organisation")
        .order_by(
            Case(
                When(role=Membership.Role.ANALYST, then=Value(0)),
                default=Value(1),
                output_field=IntegerField(),
            ),
            "pk",
        )
        .first()
    )


def staff_reader() -> Membership | None:
    """An ISAC admin to count the ISAC-wide figures as."""
    return (
        Membership.objects.filter(
            organisation__is_isac=True,
            role=Membership.Role.ISAC_ADMIN,
            is_active=True,
            user__is_active=True,
        )
        .select_related("user", "organisation")
        .order_by("pk")
        .first()
    )


def _replace(organisation: Organisation | None, rows: list[InsightFigure], now: datetime) -> int:
    for row in rows:
        row.organisation = organisation
        row.computed_at = now
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_LOCK])
        InsightFigure.objects.filter(organisation=organisation).delete()
        InsightFigure.objects.bulk_create(rows, batch_size=1000)
    return len(rows)


def _figure(figure: str, period: date, value: float, key: str = "") -> InsightFigure:
    return InsightFigure(figure=figure, period=period, key=key[:300], value=value)


def organisation_figures(
    reader: Membership, organisation: Organisation, today: date
) -> list[InsightFigure]:
    """One organisation's figures, counted as `reader` (one of its people) may read."""
    since = _since(months_back(today, MEMBER_MONTHS)[0])
    rows: list[InsightFigure] = []
    last_given: datetime | None = None
    for kind in KINDS.values():
        counted = kind.rows(reader, organisation)
        window = counted.filter(at__gte=since)
        per_month = (
            window.annotate(month=TruncMonth("at"))
            .order_by()
            .values("month")
            .annotate(n=Count("counted", distinct=True))
        )
        rows += [_figure(kind.key, _day(r["month"]), r["n"]) for r in per_month]
        total = window.order_by().aggregate(n=Count("counted", distinct=True))["n"]
        rows.append(_figure(kind.key, today, total, TOTAL))
        if kind.side == Side.GIVEN:
            latest = counted.order_by().aggregate(latest=Max("at"))["latest"]
            if latest is not None and (last_given is None or latest > last_given):
                last_given = latest
    if last_given is not None:
        rows.append(_figure("last_given", today, last_given.timestamp()))

    received = received_reports(reader, organisation).filter(published_at__gte=since)
    by_tlp = (
        received.annotate(month=TruncMonth("published_at"))
        .order_by()
        .values("month", "tlp")
        .annotate(n=Count("pk"))
    )
    rows += [_figure("received_by_tlp", _day(r["month"]), r["n"], r["tlp"]) for r in by_tlp]
    indicators_by_tlp = (
        registry.KINDS["indicators_received"]
        .rows(reader, organisation)
        .filter(at__gte=since)
        .annotate(month=TruncMonth("at"))
        .order_by()
        .values("month", "report__tlp")
        .annotate(n=Count("indicator_id", distinct=True))
    )
    rows += [
        _figure("indicators_received_by_tlp", _day(r["month"]), r["n"], r["report__tlp"])
        for r in indicators_by_tlp
    ]
    by_sector = received.order_by().values("sectors__name").annotate(n=Count("pk", distinct=True))
    rows += [
        _figure("received_by_sector", today, r["n"], r["sectors__name"] or "No sector given")
        for r in by_sector
    ]
    rows += _receipt_times(reader, organisation, since, today)
    last_read = _last_read(reader, organisation)
    if last_read is not None:
        rows.append(_figure("last_read", today, last_read.timestamp()))
    return rows


def _deliveries_received(reader: Membership, organisation: Organisation) -> QuerySet[Delivery]:
    """Deliveries of other members' reports to the organisation's subscriptions."""
    delivered = Delivery.objects.filter(
        subscription__membership__organisation=organisation,
        status=Delivery.Status.DELIVERED,
        delivered_at__isnull=False,
    ).exclude(report__organisation=organisation)
    return policy.restrict(reader, delivered).exclude(report__tlp=TLP.RED)


def _receipt_times(
    reader: Membership, organisation: Organisation, since: datetime, today: date
) -> list[InsightFigure]:
    """Median time from a report's publication to its first delivery to the organisation,
    over all its channels and per channel."""
    first: dict[int, float] = {}
    per_channel: dict[str, dict[int, float]] = defaultdict(dict)
    deliveries = (
        _deliveries_received(reader, organisation)
        .filter(event=Delivery.Event.PUBLISHED, report__published_at__gte=since)
        .values_list("report_id", "channel", "report__published_at", "delivered_at")
    )
    for report_id, channel, published_at, delivered_at in deliveries.iterator():
        if published_at is None or delivered_at is None:
            continue
        seconds = max(0.0, (delivered_at - published_at).total_seconds())
        if report_id not in first or seconds < first[report_id]:
            first[report_id] = seconds
        if report_id not in per_channel[channel] or seconds < per_channel[channel][report_id]:
            per_channel[channel][report_id] = seconds
    rows = []
    if first:
        rows.append(_figure("receipt_median_seconds", today, statistics.median(first.values())))
        rows.append(_figure("receipt_reports", today, len(first)))
    for channel, times in per_channel.items():
        rows.append(
            _figure("receipt_median_seconds", today, statistics.median(times.values()), channel)
        )
        rows.append(_figure("receipt_reports", today, len(times), channel))
    return rows


def _last_read(reader: Membership, organisation: Organisation) -> datetime | None:
    """When the organisation last opened or was delivered a report of another member."""
    opened = (
        policy.restrict(reader, ReportRead.objects.filter(organisation=organisation))
        .order_by()
        .aggregate(latest=Max("first_read_at"))["latest"]
    )
    delivered = (
        _deliveries_received(reader, organisation)
        .order_by()
        .aggregate(latest=Max("delivered_at"))["latest"]
    )
    found = [moment for moment in (opened, delivered) if moment is not None]
    return max(found) if found else None


def staff_figures(staff: Membership, today: date) -> list[InsightFigure]:
    """The ISAC's activity figures, counted as an ISAC admin may read (never TLP:RED)."""
    since = _since(weeks_back(today, STAFF_WEEKS)[0])
    rows: list[InsightFigure] = []
    reports = readable_reports(staff).filter(published_at__gte=since)
    weekly = reports.annotate(week=TruncWeek("published_at")).order_by()
    for figure, column in (("reports_by_tlp", "tlp"), ("reports_by_type", "report_type")):
        counted = weekly.values("week", column).annotate(n=Count("pk"))
        rows += [_figure(figure, _day(r["week"]), r["n"], r[column]) for r in counted]
    by_sector = weekly.values("week", "sectors__name").annotate(n=Count("pk", distinct=True))
    rows += [
        _figure("reports_by_sector", _day(r["week"]), r["n"], r["sectors__name"] or "")
        for r in by_sector
    ]
    sightings = (
        policy.visible_sightings(staff)
        .filter(created_at__gte=since)
        .exclude(report__tlp=TLP.RED)
        .annotate(week=TruncWeek("created_at"))
        .order_by()
        .values("week")
        .annotate(n=Count("pk"))
    )
    rows += [_figure("sightings", _day(r["week"]), r["n"]) for r in sightings]
    top = (
        policy.visible_report_indicators(staff)
        .filter(
            ~Q(report__tlp=TLP.RED),
            report__status__in=policy.READABLE_STATUSES,
            report__published_at__gte=since,
        )
        .order_by()
        .values("indicator__type", "indicator__value")
        .annotate(n=Count("report__organisation_id", distinct=True))
        .order_by("-n", "indicator__value")[:TOP_INDICATORS]
    )
    rows += [
        _figure("top_indicators", today, r["n"], f"{r['indicator__type']} {r['indicator__value']}")
        for r in top
    ]
    deliveries = policy.visible_deliveries(staff).exclude(report__tlp=TLP.RED)
    sent = (
        deliveries.filter(created_at__gte=since)
        .annotate(week=TruncWeek("created_at"))
        .order_by()
        .values("week", "channel", "status")
        .annotate(n=Count("pk"))
    )
    for r in sent:
        figure = "deliveries_failed" if r["status"] == Delivery.Status.FAILED else "deliveries"
        rows.append(_figure(figure, _day(r["week"]), r["n"], f"{r['channel']}"))
    failed_attempts = (
        DeliveryAttempt.objects.filter(
            delivery__in=deliveries.values("pk"), ok=False, started_at__gte=since
        )
        .annotate(week=TruncWeek("started_at"))
        .order_by()
        .values("week", "delivery__channel")
        .annotate(n=Count("pk"))
    )
    rows += [
        _figure("failed_attempts", _day(r["week"]), r["n"], r["delivery__channel"])
        for r in failed_attempts
    ]
    return _merge(rows)


def _merge(rows: list[InsightFigure]) -> list[InsightFigure]:
    """Add up rows that fall on the same figure, period and key (the `deliveries` figure
    groups delivered, pending and cancelled rows together)."""
    merged: dict[tuple[str, date, str], InsightFigure] = {}
    for row in rows:
        found = merged.get((row.figure, row.period, row.key))
        if found is None:
            merged[(row.figure, row.period, row.key)] = row
        else:
            found.value += row.value
    return list(merged.values())
