"""Reads for the dashboards: the refreshed figures as charts and tables.

A member's page reads only its own organisation's rows, and only while the organisation is
in good standing (otherwise its people read TLP:CLEAR material only, and the figures, which
count more, are not shown). The ISAC's page reads the ISAC-wide rows, every organisation's
totals, and the membership's state, which ISAC admins manage anyway.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.db.models import Count, Exists, Max, OuterRef
from django.utils import timezone

from accounts.models import AgreementAcceptance, Invitation, Membership, Organisation
from accounts.standing import current_agreement_version, organisations_in_good_standing
from accounts.waiting import EXPIRING_WITHIN_DAYS, Waiting, waiting_for
from sharing import policy
from sharing.insights.charts import Chart, Series, palette_series, tlp_series
from sharing.insights.kinds import KINDS, Kind, Side, of_side
from sharing.insights.refresh import (
    MEMBER_MONTHS,
    STAFF_WEEKS,
    TOTAL,
    months_back,
    weeks_back,
)
from sharing.models import InsightFigure, Report, ReportRead, Subscription

CHANNEL_LABELS: dict[str, str] = dict(Subscription.ChannelKind.choices)

QUIET_DAYS = 90
_SECTORS_CHARTED = 7

INDEX_DEFINITION = (
    "Reciprocity index = what the organisation gave ÷ what it received from other members "
    "over the last 12 months. Gave: {given}, one unit each. Received: {received}, one unit "
    "each. Indicators are listed but not counted, because one report can carry thousands. "
    "1.00 means it gives as much as it gets; above 1 it gives more than it gets. TLP:RED "
    "reports are for their named people only and are counted nowhere."
)


def index_definition() -> str:
    def words(side: Side) -> str:
        return ", ".join(k.label.lower() for k in of_side(side) if k.weight)

    return INDEX_DEFINITION.format(given=words(Side.GIVEN), received=words(Side.RECEIVED))


def reciprocity(totals: dict[str, float]) -> tuple[float, float, float | None]:
    """(given units, received units, index or None when nothing was received)."""
    given = sum(k.weight * totals.get(k.key, 0) for k in of_side(Side.GIVEN))
    received = sum(k.weight * totals.get(k.key, 0) for k in of_side(Side.RECEIVED))
    return given, received, (given / received if received else None)


def _month_label(day: date) -> str:
    return day.strftime("%b %Y")


def _week_label(day: date) -> str:
    return day.strftime("%d %b")


@dataclass
class KindFigures:
    kind: Kind
    total: float
    per_period: list[float]


@dataclass
class Receipt:
    channel: str
    label: str
    median_seconds: float
    reports: int

    @property
    def median_text(self) -> str:
        return duration_text(self.median_seconds)


def duration_text(seconds: float) -> str:
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 90 * 60:
        return f"{seconds / 60:.0f} min"
    if seconds < 48 * 3600:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 86400:.1f} days"


@dataclass
class MemberDashboard:
    organisation: Organisation
    shown: bool  # False: not in good standing, the figures are not shown
    computed_at: datetime | None = None
    months: list[str] = field(default_factory=list)
    given: list[KindFigures] = field(default_factory=list)
    received: list[KindFigures] = field(default_factory=list)
    reach: list[KindFigures] = field(default_factory=list)
    given_units: float = 0
    received_units: float = 0
    index: float | None = None
    charts: list[Chart] = field(default_factory=list)
    receipts: list[Receipt] = field(default_factory=list)
    definition: str = ""

    @property
    def every_kind(self) -> list[KindFigures]:
        return self.given + self.received + self.reach

    def monthly_rows(self) -> list[tuple[str, list[float]]]:
        """(month, one value per kind) for the month-by-month table."""
        kinds = self.every_kind
        return [(month, [f.per_period[i] for f in kinds]) for i, month in enumerate(self.months)]


def _rows(organisation: Organisation | None) -> list[InsightFigure]:
    return list(InsightFigure.objects.filter(organisation=organisation))


def _series(rows: list[InsightFigure], figure: str, periods: list[date]) -> dict[str, list[float]]:
    """A figure's values per key, one per period (0 where nothing was counted)."""
    position = {p: i for i, p in enumerate(periods)}
    by_key: dict[str, list[float]] = defaultdict(lambda: [0.0] * len(periods))
    for row in rows:
        if row.figure == figure and row.key != TOTAL and row.period in position:
            by_key[row.key][position[row.period]] += row.value
    return dict(by_key)


def _totals(rows: list[InsightFigure]) -> dict[str, float]:
    return {row.figure: row.value for row in rows if row.key == TOTAL}


def member_dashboard(viewer: Membership) -> MemberDashboard:
    """The viewer's own organisation's figures: what it gave, what it got, how far it went."""
    organisation = viewer.organisation
    if not policy.can_post(viewer):
        return MemberDashboard(organisation=organisation, shown=False)
    rows = _rows(organisation)
    periods = months_back(timezone.localdate(), MEMBER_MONTHS)
    totals = _totals(rows)

    def figures(side: Side) -> list[KindFigures]:
        return [
            KindFigures(
                kind=k,
                total=totals.get(k.key, 0),
                per_period=_series(rows, k.key, periods).get("", [0.0] * len(periods)),
            )
            for k in of_side(side)
        ]

    given, received, index = reciprocity(totals)
    labels = [_month_label(p) for p in periods]
    weighted_given = {f.kind.label: f.per_period for f in figures(Side.GIVEN) if f.kind.weight}
    charts = [
        Chart(
            slug="contribution",
            title="Contribution per month",
            x_label="Month",
            y_label="Items shared",
            categories=labels,
            series=palette_series(weighted_given),
        ),
        Chart(
            slug="received-tlp",
            title="Reports received per month, by TLP",
            x_label="Month of publication",
            y_label="Reports",
            categories=labels,
            series=tlp_series(_series(rows, "received_by_tlp", periods)),
        ),
        Chart(
            slug="indicators-tlp",
            title="Indicators received per month, by TLP",
            x_label="Month of publication",
            y_label="Distinct indicators",
            categories=labels,
            series=tlp_series(_series(rows, "indicators_received_by_tlp", periods)),
        ),
        _ranking(
            "received-sector",
            "Reports received in the last 12 months, by affected sector",
            "Reports",
            "Sector",
            {r.key: r.value for r in rows if r.figure == "received_by_sector"},
        ),
    ]
    receipts = _receipts(rows)
    return MemberDashboard(
        organisation=organisation,
        shown=True,
        computed_at=max((r.computed_at for r in rows), default=None),
        months=labels,
        given=figures(Side.GIVEN),
        received=figures(Side.RECEIVED),
        reach=figures(Side.REACH),
        given_units=given,
        received_units=received,
        index=index,
        charts=charts,
        receipts=receipts,
        definition=index_definition(),
    )


def _receipts(rows: list[InsightFigure]) -> list[Receipt]:
    medians = {r.key: r.value for r in rows if r.figure == "receipt_median_seconds"}
    counts = {r.key: r.value for r in rows if r.figure == "receipt_reports"}
    found = [
        Receipt(
            channel=key,
            label=CHANNEL_LABELS.get(key, key) if key else "Any channel (first receipt)",
            median_seconds=seconds,
            reports=int(counts.get(key, 0)),
        )
        for key, seconds in medians.items()
    ]
    return sorted(found, key=lambda r: (r.channel != "", r.label))


def _ranking(slug: str, title: str, x_label: str, y_label: str, values: dict[str, float]) -> Chart:
    ordered = sorted(values.items(), key=lambda item: (-item[1], item[0]))
    return Chart(
        slug=slug,
        title=title,
        x_label=x_label,
        y_label=y_label,
        categories=[name for name, _ in ordered],
        series=[Series(name=x_label, values=[v for _, v in ordered], colour="#0072B2")],
        horizontal=True,
    )


# --- The ISAC's dashboard ----------------------------------------------------------------


@dataclass
class MemberRow:
    organisation: Organisation
    in_good_standing: bool
    totals: dict[str, float]
    given_units: float
    received_units: float
    index: float | None

    def values(self, kinds: list[Kind]) -> list[float]:
        return [self.totals.get(k.key, 0) for k in kinds]

    @property
    def totals_list(self) -> list[float]:
        """One total per registered kind, in the registry's order."""
        return self.values(list(KINDS.values()))


@dataclass
class Health:
    by_status: list[tuple[str, str, int]]
    expiring_count: int
    quiet: list[Organisation]
    open_invitations: int
    waiting: Waiting


@dataclass
class StaffDashboard:
    computed_at: datetime | None
    health: Health
    kinds: list[Kind]
    members: list[MemberRow]
    definition: str


def member_table(rows: list[InsightFigure] | None = None) -> tuple[list[Kind], list[MemberRow]]:
    """Every member organisation's totals over the last 12 months and its reciprocity index,
    for ISAC staff (the page and the CSV export)."""
    if rows is None:
        rows = list(
            InsightFigure.objects.filter(organisation__isnull=False, key=TOTAL).select_related(
                "organisation"
            )
        )
    by_org: dict[int, dict[str, float]] = defaultdict(dict)
    for row in rows:
        if row.organisation_id is not None and row.key == TOTAL:
            by_org[row.organisation_id][row.figure] = row.value
    organisations = list(
        Organisation.objects.filter(is_isac=False)
        .exclude(status=Organisation.Status.OFFBOARDED)
        .order_by("name")
    )
    standing = set(organisations_in_good_standing().values_list("pk", flat=True))
    members = []
    for organisation in organisations:
        totals = by_org.get(organisation.pk, {})
        given, received, index = reciprocity(totals)
        members.append(
            MemberRow(
                organisation=organisation,
                in_good_standing=organisation.pk in standing,
                totals=totals,
                given_units=given,
                received_units=received,
                index=index,
            )
        )
    return list(KINDS.values()), members


def membership_health(viewer: Membership) -> Health:
    counts = dict(
        Organisation.objects.filter(is_isac=False)
        .order_by()
        .values_list("status")
        .annotate(n=Count("pk"))
    )
    by_status = [
        (value, label, counts.get(value, 0)) for value, label in Organisation.Status.choices
    ]
    version = current_agreement_version()
    expiring = 0
    if version is not None:
        now = timezone.now()
        expiring = AgreementAcceptance.objects.filter(
            version=version,
            revoked_at__isnull=True,
            expires_at__gt=now,
            expires_at__lte=now + timedelta(days=EXPIRING_WITHIN_DAYS),
        ).count()
    open_invitations = Invitation.objects.filter(
        accepted_at__isnull=True, revoked_at__isnull=True, expires_at__gt=timezone.now()
    ).count()
    return Health(
        by_status=by_status,
        expiring_count=expiring,
        quiet=quiet_organisations(),
        open_invitations=open_invitations,
        waiting=waiting_for(viewer),
    )


def quiet_organisations() -> list[Organisation]:
    """Active members that neither shared nor read anything in the last 90 days: no report,
    sighting or comment given, no report of another member opened or delivered to them."""
    since = timezone.now() - timedelta(days=QUIET_DAYS)
    cutoff = since.timestamp()
    recent = InsightFigure.objects.filter(
        organisation=OuterRef("pk"), figure__in=["last_given", "last_read"], value__gte=cutoff
    )
    opened = ReportRead.objects.filter(organisation=OuterRef("pk"), first_read_at__gte=since)
    return list(
        Organisation.objects.filter(is_isac=False, status=Organisation.Status.ACTIVE)
        .exclude(Exists(recent))
        .exclude(Exists(opened))
        .order_by("name")
    )


def computed_at(organisation: Organisation | None) -> datetime | None:
    """When the figures of the organisation (None: the ISAC-wide ones) were last counted."""
    latest: datetime | None = (
        InsightFigure.objects.filter(organisation=organisation)
        .order_by()
        .aggregate(latest=Max("computed_at"))["latest"]
    )
    return latest


def staff_dashboard(viewer: Membership) -> StaffDashboard:
    """The membership's health (read live) and every member's totals, for ISAC admins."""
    kinds, members = member_table()
    return StaffDashboard(
        computed_at=computed_at(None),
        health=membership_health(viewer),
        kinds=kinds,
        members=members,
        definition=index_definition(),
    )


def activity_charts() -> list[Chart]:
    """The ISAC-wide activity of the last 26 weeks, as charts."""
    rows = _rows(None)
    periods = weeks_back(timezone.localdate(), STAFF_WEEKS)
    labels = [_week_label(p) for p in periods]
    type_labels = dict(_report_types())
    by_type = {
        type_labels.get(key, key): values
        for key, values in _series(rows, "reports_by_type", periods).items()
    }
    sectors = _series(rows, "reports_by_sector", periods)
    top_sectors = sorted(sectors, key=lambda k: -sum(sectors[k]))
    charted = {
        (name or "No sector given"): sectors[name] for name in top_sectors[:_SECTORS_CHARTED]
    }
    rest = top_sectors[_SECTORS_CHARTED:]
    if rest:
        charted["Other sectors"] = [sum(sectors[n][i] for n in rest) for i in range(len(periods))]

    def by_channel(figure: str) -> dict[str, list[float]]:
        return {
            CHANNEL_LABELS.get(key, key): values
            for key, values in sorted(_series(rows, figure, periods).items())
        }

    charts = [
        Chart(
            slug="weekly-tlp",
            title="Reports published per week, by TLP",
            x_label="Week starting",
            y_label="Reports",
            categories=labels,
            series=tlp_series(_series(rows, "reports_by_tlp", periods)),
        ),
        Chart(
            slug="weekly-sector",
            title="Reports published per week, by affected sector",
            x_label="Week starting",
            y_label="Reports (one per sector named)",
            categories=labels,
            series=palette_series(charted),
        ),
        Chart(
            slug="weekly-type",
            title="Reports published per week, by type",
            x_label="Week starting",
            y_label="Reports",
            categories=labels,
            series=palette_series(by_type),
        ),
        _ranking(
            "top-indicators",
            "Top indicators of the last 26 weeks, by organisations reporting them",
            "Organisations reporting it",
            "Indicator",
            {r.key: r.value for r in rows if r.figure == "top_indicators"},
        ),
        Chart(
            slug="weekly-sightings",
            title="Sightings reported per week",
            x_label="Week starting",
            y_label="Sightings",
            categories=labels,
            series=palette_series(
                {"Sightings": _series(rows, "sightings", periods).get("", [0.0] * len(periods))}
            ),
        ),
        Chart(
            slug="weekly-deliveries",
            title="Deliveries per week, by channel",
            x_label="Week starting",
            y_label="Deliveries",
            categories=labels,
            series=palette_series(by_channel("deliveries")),
        ),
        Chart(
            slug="weekly-failures",
            title="Failed delivery attempts per week, by channel",
            x_label="Week starting",
            y_label="Failed attempts",
            categories=labels,
            series=palette_series(by_channel("failed_attempts")),
        ),
    ]
    return charts


def _report_types() -> list[tuple[str, str]]:
    return list(Report.Type.choices)
