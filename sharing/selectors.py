"""Reads of reports for pages: lists, search, the dashboard. Every one starts from the policy."""

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import connection
from django.db.models import (
    Case,
    Count,
    Exists,
    IntegerField,
    Max,
    Min,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.utils import timezone

from accounts.models import AgreementAcceptance, Membership, Sector
from accounts.standing import current_agreement_version
from portal.kept import kept_for_membership
from sharing import policy, search
from sharing.models import Comment, CurationEvent, Report, ReportIndicator, Rfi, Sighting
from sharing.normalize.extract import extract
from sharing.normalize.parsers.stix import SCO_TYPES
from sharing.tlp import TLP

SORTS = {
    "newest": ("-published_at", "-id"),
    "oldest": ("published_at", "id"),
    "title": ("title", "id"),
    "tlp": ("-tlp_rank", "-published_at", "-id"),
    "relevance": ("-rank", "-published_at", "-id"),
}
LISTED_STATUSES = (Report.Status.PUBLISHED, Report.Status.WITHDRAWN)


# The Source filter's choices are kept this long per membership. Finding them probes every
# organisation for a report the viewer may read, which reads an organisation's reports to
# the end when none is readable (tens of milliseconds at 100,000 reports), on every visit
# of the list. A kept answer names only sources the viewer could see a minute ago, and the
# list itself is always filtered by the policy afresh: a source picked after it stopped
# being readable finds nothing.
SOURCE_CHOICES_KEPT_SECONDS = 60


def source_choices(viewer: Membership | None) -> list[tuple[str, str]]:
    """(uuid, name) of the organisations the viewer may see as the source of a report they
    can read (`policy.visible_sources`), by name; kept for a minute per membership."""
    if viewer is None or viewer.pk is None:
        return []

    def compute() -> list[tuple[str, str]]:
        sources = policy.visible_sources(viewer).order_by("name").values_list("uuid", "name")
        return [(str(uuid), name) for uuid, name in sources]

    return kept_for_membership(
        "report-source-choices", viewer, SOURCE_CHOICES_KEPT_SECONDS, compute
    )


@dataclass(frozen=True)
class ReportFilters:
    q: str = ""
    tlp: str = ""
    sector: str = ""  # sector slug
    report_type: str = ""
    source: str = ""  # organisation uuid, or "isac" for reports shared without attribution
    group: str = ""  # trust group uuid
    date_from: date | None = None
    date_to: date | None = None
    sort: str = ""  # empty: best match when searching, else newest


def _count(model: Any, *, distinct_field: str | None = None) -> Coalesce:
    rows = model.objects.filter(report=OuterRef("pk")).order_by().values("report")
    counted = Count(distinct_field, distinct=True) if distinct_field else Count("pk")
    return Coalesce(
        Subquery(rows.annotate(n=counted).values("n"), output_field=IntegerField()), Value(0)
    )


def with_counts(reports: QuerySet[Report]) -> QuerySet[Report]:
    """Sighting organisations and comments per report, in the same query as the list."""
    return reports.annotate(
        sighting_count=_count(Sighting, distinct_field="organisation"),
        comment_count=_count(Comment),
    )


def _has(through_rows: QuerySet[Any]) -> Q:
    """A report-level condition on many-to-many rows, as EXISTS (no repeated reports)."""
    return Q(Exists(through_rows.filter(report_id=OuterRef("pk"))))


def sector_slugs_of(report_ids: list[int]) -> dict[int, list[str]]:
    """The slugs of each report's sectors (in the sectors' order, by name), for reports the
    caller already took from the access policy."""
    if not report_ids:
        return {}
    # Written as SQL: every API list page asks, and building the same two-table query with
    # the ORM took three times as long as running it.
    links = Report.sectors.through._meta.db_table
    sectors = Sector._meta.db_table
    ids = ", ".join(["%s"] * len(report_ids))
    sql = f"""
        SELECT link.report_id, sector.slug FROM {links} link
        JOIN {sectors} sector ON sector.id = link.sector_id
        WHERE link.report_id IN ({ids}) ORDER BY sector.name
    """  # noqa: S608 (table names come from the models, ids are parameters)
    slugs: dict[int, list[str]] = {}
    with connection.cursor() as cursor:
        cursor.execute(sql, report_ids)
        for report_id, slug in cursor.fetchall():
            slugs.setdefault(report_id, []).append(slug)
    return slugs


def indicator_values_in(text: str) -> list[tuple[str, str]]:
    """The indicator values a search or lookup names, refanged and normalised the way
    normalisation stores them: `45.9.148[.]203` and `45.9.148.203` are the same value."""
    found: dict[tuple[str, str], None] = {}
    for item in extract(text):
        found.setdefault((item.type.value, item.value), None)
    return list(found)


# Reports one searched value matches at most (the newest first are not guaranteed beyond).
INDICATOR_SEARCH_MAX_REPORTS = 10_000


def _carrying_indicators(reports: QuerySet[Report], q: str) -> QuerySet[Report]:
    """Those of `reports` that carry one of the indicator values `q` names."""
    values = indicator_values_in(q)
    if not values:
        return reports.none()
    wanted = Q()
    for kind, value in values:
        wanted |= Q(indicator__type=kind, indicator__value=value)
    # The ids as a list, not a subquery: OR-ed with the full-text match, a subquery would make
    # PostgreSQL scan every report (computing its text vector); a list lets it combine the
    # GIN index with the primary key. The ids only narrow `reports`, which the policy made.
    report_ids = list(
        ReportIndicator.objects.filter(wanted)
        .values_list("report_id", flat=True)
        .distinct()[:INDICATOR_SEARCH_MAX_REPORTS]
    )
    return reports.filter(pk__in=report_ids) if report_ids else reports.none()


def search_reports(reports: QuerySet[Report], q: str) -> QuerySet[Report]:
    """`reports` matching the search text, or carrying an indicator value it names (written
    defanged or clean). `reports` must come from the policy; this only narrows them."""
    return search.matching(reports, q) | _carrying_indicators(reports, q)


@dataclass(frozen=True)
class ReportListing:
    """A page-ready reports list: the sorted reports and how many there are, bounded by
    settings.REPORT_LIST_COUNT_CAP (a count reads every row it counts) and
    settings.REPORT_LIST_RANKED_MAX (relevance needs every match ranked before the first page;
    beyond that many matches they are listed newest first, from the publication-time index)."""

    reports: QuerySet[Report]
    count: int  # exact up to the cap; cap + 1 means "more than the cap"
    count_cap: int
    sort: str
    # Relevance was asked for but too many reports match to rank them all.
    relevance_skipped: bool = False

    @property
    def count_capped(self) -> bool:
        return self.count > self.count_cap


def report_listing(viewer: Membership | None, filters: ReportFilters) -> ReportListing:
    """`report_list` for the reports page, with a bounded count and bounded ranking."""
    matches = _listed_matches(viewer, filters)
    cap = settings.REPORT_LIST_COUNT_CAP
    count = matches.order_by().values("pk")[: cap + 1].count()
    sort = _sort(filters)
    skipped = sort == "relevance" and count > settings.REPORT_LIST_RANKED_MAX
    if skipped:
        sort = "newest"
    return ReportListing(
        reports=_sorted(matches, filters, sort),
        count=count,
        count_cap=cap,
        sort=sort,
        relevance_skipped=skipped,
    )


def report_list(viewer: Membership | None, filters: ReportFilters) -> QuerySet[Report]:
    """The reports list: what the viewer may read, filtered, searched and sorted."""
    return _sorted(_listed_matches(viewer, filters), filters, _sort(filters))


def _sort(filters: ReportFilters) -> str:
    return filters.sort or ("relevance" if filters.q.strip() else "newest")


def _listed_matches(viewer: Membership | None, filters: ReportFilters) -> QuerySet[Report]:
    reports = policy.visible_to(viewer).filter(status__in=LISTED_STATUSES)
    if filters.q.strip():
        reports = search_reports(reports, filters.q.strip()[:200])
    if filters.tlp:
        reports = reports.filter(tlp=filters.tlp)
    if filters.report_type:
        reports = reports.filter(report_type=filters.report_type)
    # Many-to-many filters as EXISTS, never joins: a join repeats reports, and removing the
    # repeats with `pk IN (...)` lets PostgreSQL re-run the whole policy query per row.
    if filters.sector:
        reports = reports.filter(
            _has(Report.sectors.through.objects.filter(sector__slug=filters.sector))
        )
    if filters.group:
        reports = reports.filter(
            _has(Report.audience_groups.through.objects.filter(trustgroup__uuid=filters.group))
        )
    if filters.source == "isac":
        reports = reports.filter(attributed=False)
    elif filters.source and viewer is not None:
        # Never let a filter reveal who shared an unattributed report.
        revealed = Q(attributed=True) | Q(organisation_id=viewer.organisation_id)
        if viewer.is_isac_staff:
            revealed = Q()
        reports = reports.filter(revealed, organisation__uuid=filters.source)
    if filters.date_from:
        reports = reports.filter(published_at__date__gte=filters.date_from)
    if filters.date_to:
        reports = reports.filter(published_at__date__lte=filters.date_to)
    return reports


def _sorted(reports: QuerySet[Report], filters: ReportFilters, sort: str) -> QuerySet[Report]:
    listed = with_counts(reports).annotate(
        tlp_rank=Case(
            *[When(tlp=label.value, then=Value(label.rank)) for label in TLP],
            default=Value(0),
            output_field=IntegerField(),
        )
    )
    if sort == "relevance":
        relevance = search.rank(filters.q.strip()[:200]) if filters.q.strip() else None
        if relevance is not None:
            listed = listed.annotate(rank=relevance)
        else:
            sort = "newest"
    # A row shows the summary, never the body or the pasted indicators: a report's text runs
    # to tens of kilobytes, read and sent for every row of every page otherwise.
    return (
        listed.select_related("organisation")
        .defer("body_markdown", "indicators_text")
        .prefetch_related("sectors")
        .order_by(*SORTS.get(sort, SORTS["newest"]))
    )


def revealed_source(viewer: Membership | None, report: Report) -> str:
    """The source line shown to the viewer: the organisation, or the ISAC."""
    if policy.can_see_source(viewer, report):
        return report.organisation.name
    return "the ISAC"


_AUDIENCE_KINDS = (
    ("audience_sectors", "sector", "sectors"),
    ("audience_groups", "trust group", "trust groups"),
    ("audience_organisations", "organisation", "organisations"),
    ("audience_people", "named person", "named people"),
)


def audience_counts_of(model: type[Report] | type[Rfi], ids: list[int]) -> dict[int, list[int]]:
    """How many sectors, trust groups, organisations and people each report (or request for
    information) is addressed to, in `_AUDIENCE_KINDS`' order, in one query (four queries
    of whole rows otherwise, for a summary line)."""
    if not ids:
        return {}
    placeholders = ", ".join(["%s"] * len(ids))
    parts = []
    for kind, (relation, _one, _many) in enumerate(_AUDIENCE_KINDS):
        field = model._meta.get_field(relation)
        table = field.remote_field.through._meta.db_table  # type: ignore[union-attr]
        column = field.m2m_column_name()  # type: ignore[union-attr]
        parts.append(
            f"SELECT {column}, {kind}, COUNT(*) FROM {table} "  # noqa: S608 (model names)
            f"WHERE {column} IN ({placeholders}) GROUP BY {column}"
        )
    counts = {pk: [0] * len(_AUDIENCE_KINDS) for pk in ids}
    with connection.cursor() as cursor:
        cursor.execute(" UNION ALL ".join(parts), ids * len(parts))
        for pk, kind, count in cursor.fetchall():
            counts[pk][kind] = count
    return counts


def audience_summary(report: "Report | Rfi", counts: list[int] | None = None) -> str:
    """A short description of who receives the report (or request for information), for
    its authors; `counts` as `audience_counts_of` gives them (read here when not given)."""
    if report.tlp == TLP.CLEAR:
        # The policy lets everyone signed in read TLP:CLEAR, whatever audience was picked.
        return "everyone signed in"
    if report.audience_everyone:
        return "the whole membership"
    if counts is None:
        counts = audience_counts_of(type(report), [report.pk])[report.pk]
    parts = [
        f"{count} {one if count == 1 else many}"
        for count, (_relation, one, many) in zip(counts, _AUDIENCE_KINDS, strict=True)
        if count
    ]
    return ", ".join(parts) or "nobody yet"


def dashboard(viewer: Membership | None) -> dict[str, Any]:
    """What the home page shows: new reports for me, my organisation's posts, my to-dos."""
    if viewer is None:
        return {}
    since = timezone.now() - timedelta(days=30)
    organisation_sectors = list(viewer.organisation.sectors.all())
    sector_ids = [sector.pk for sector in organisation_sectors]
    groups = Report.audience_groups.through.objects
    # The reports addressed to me, as one set of ids from the rows that address them: the
    # planner starts from those rows (a reader is addressed by few reports) instead of
    # walking every report of the last 30 days to test each path on it.
    addressed = [
        Report.audience_organisations.through.objects.filter(
            organisation_id=viewer.organisation_id
        ),
        Report.audience_people.through.objects.filter(user_id=viewer.user_id),
        groups.filter(trustgroup__memberships__organisation_id=viewer.organisation_id),
    ]
    if sector_ids:
        addressed += [
            Report.sectors.through.objects.filter(sector_id__in=sector_ids),
            Report.audience_sectors.through.objects.filter(sector_id__in=sector_ids),
            groups.filter(trustgroup__sector_id__in=sector_ids),
        ]
    first, *rest = (rows.values("report_id") for rows in addressed)
    for_me = Q(pk__in=first.union(*rest, all=True))
    new_reports = (
        with_counts(
            policy.visible_to(viewer)
            .filter(status=Report.Status.PUBLISHED, published_at__gte=since)
            .exclude(organisation=viewer.organisation)
            .filter(for_me)
        )
        .select_related("organisation")
        .order_by("-published_at")[:8]
    )
    own = (
        with_counts(
            policy.visible_to(viewer).filter(
                organisation=viewer.organisation, status__in=LISTED_STATUSES
            )
        )
        .select_related("organisation")
        .order_by("-published_at")[:6]
    )
    drafts = (
        policy.editable_by(viewer)
        .filter(author=viewer.user, status__in=[Report.Status.DRAFT, Report.Status.REJECTED])
        .order_by("-updated_at")[:8]
    )
    # EXISTS, not a join: a report asked about twice is listed once, without DISTINCT over
    # every column of the report.
    asked = CurationEvent.objects.filter(
        report=OuterRef("pk"), action=CurationEvent.Action.QUESTION
    )
    questions = policy.visible_to(viewer).filter(
        Exists(asked), author=viewer.user, status=Report.Status.PENDING_REVIEW
    )
    own_reports = list(own)
    audiences = audience_counts_of(Report, [report.pk for report in own_reports])
    return {
        "organisation_sectors": organisation_sectors,
        "new_reports": list(new_reports),
        "own_reports": [(r, audience_summary(r, audiences[r.pk])) for r in own_reports],
        "drafts": list(drafts),
        "questions": list(questions),
        "curation_count": policy.curation_queue(viewer).count(),
        "agreement_renewal": _agreement_renewal(viewer),
    }


def _agreement_renewal(viewer: Membership) -> AgreementAcceptance | None:
    """The organisation's acceptance when it runs out within 30 days (org admins only)."""
    if not viewer.is_org_admin or viewer.organisation.is_isac:
        return None
    version = current_agreement_version()
    if version is None:
        return None
    return (
        AgreementAcceptance.objects.filter(
            organisation=viewer.organisation,
            version=version,
            revoked_at__isnull=True,
            expires_at__lte=timezone.now() + timedelta(days=30),
        )
        .order_by("expires_at")
        .first()
    )


# Shown elsewhere on the report page (indicators, source, TLP) or not meant for people.
_NOT_LISTED_STIX_TYPES = (
    "marking-definition",
    "identity",
    "report",
    "indicator",
    *SCO_TYPES,
)
THREAT_OBJECTS_SHOWN = 200


@dataclass(frozen=True)
class ThreatObject:
    """A STIX object of a report as its page lists it: malware, attack patterns, threat
    actors, vulnerabilities, relationships, sightings ..."""

    stix_id: str
    type: str
    label: str
    description: str


def _observable_link(data: dict[str, Any]) -> bool:
    """An indicator's link to its own observable: the indicator list shows that already."""
    if data.get("type") != "relationship":
        return False
    source = str(data.get("source_ref", "")).partition("--")[0]
    target = str(data.get("target_ref", "")).partition("--")[0]
    return source == "indicator" and target in SCO_TYPES


def _object_name(data: dict[str, Any]) -> str:
    return str(data.get("name") or data.get("value") or data.get("id", ""))


def report_threat_objects(
    viewer: Membership | None, report: Report
) -> tuple[list[ThreatObject], int]:
    """The report's current objects other than indicators and observables, read through the
    policy (latest version of each, revoked ones left out), and how many there are in all."""
    rows = (
        policy.stix_objects_of(viewer, report)
        .exclude(type__in=_NOT_LISTED_STIX_TYPES)
        .order_by("stix_id", "-modified", "-id")
        .values_list("stix_id", "data")
    )
    # Read at once, not through a server-side cursor: every object is kept below anyway,
    # and the cursor cost two more round trips and a plan per page.
    latest: dict[str, dict[str, Any]] = {}
    for stix_id, data in rows:
        latest.setdefault(stix_id, data)
    current = [
        data for data in latest.values() if not data.get("revoked") and not _observable_link(data)
    ]
    shown = sorted(current, key=lambda d: (d["type"], _object_name(d)))[:THREAT_OBJECTS_SHOWN]
    refs = {
        ref
        for data in shown
        for ref in (data.get("source_ref"), data.get("target_ref"), data.get("sighting_of_ref"))
        if isinstance(ref, str)
    }
    names: dict[str, str] = {}
    for stix_id, data in (
        policy.stix_objects_of(viewer, report)
        .filter(stix_id__in=refs)
        .order_by("stix_id", "-modified")
        .values_list("stix_id", "data")
    ):
        names.setdefault(stix_id, _object_name(data))
    listed = []
    for data in shown:
        if data["type"] == "relationship":
            label = (
                f"{names.get(data.get('source_ref', ''), data.get('source_ref', ''))} "
                f"{data.get('relationship_type', 'related-to')} "
                f"{names.get(data.get('target_ref', ''), data.get('target_ref', ''))}"
            )
        elif data["type"] == "sighting":
            ref = data.get("sighting_of_ref", "")
            label = f"Sighting of {names.get(ref, ref)}"
            if data.get("count"):
                label += f" ({data['count']} times)"
        else:
            label = _object_name(data)
        listed.append(
            ThreatObject(
                stix_id=data["id"],
                type=data["type"],
                label=label,
                description=str(data.get("description") or "")[:500],
            )
        )
    return listed, len(current)


# --- Looking indicators up by value ------------------------------------------------------

BULK_LOOKUP_LIMIT = 1000


@dataclass(frozen=True)
class IndicatorFacts:
    """What the viewer may know about one indicator value: counted over readable reports."""

    type: str
    value: str
    stix_id: str
    reports: int
    first_seen: datetime
    last_seen: datetime
    reporting_organisations: int
    sighting_organisations: int


@dataclass(frozen=True)
class LookupAnswer:
    """One looked-up line: what was asked, the value it names, and the facts if known."""

    asked: str
    type: str = ""
    value: str = ""
    facts: IndicatorFacts | None = None

    @property
    def known(self) -> bool:
        return self.facts is not None


def _readable_links(viewer: Membership | None) -> QuerySet[ReportIndicator]:
    return policy.visible_report_indicators(viewer).filter(
        report__status__in=policy.READABLE_STATUSES
    )


def indicator_facts(
    viewer: Membership | None, values: list[tuple[str, str]]
) -> dict[tuple[str, str], IndicatorFacts]:
    """Facts per (type, value) the viewer may read; values no readable report carries are
    absent. Three queries whatever the number of values."""
    if not values:
        return {}
    wanted = set(values)
    links = _readable_links(viewer).filter(
        indicator__value__in=sorted({value for _, value in values})
    )
    rows = links.values("indicator_id", "indicator__type", "indicator__value", "indicator__stix_id")
    totals = rows.annotate(
        reports=Count("report_id", distinct=True),
        first=Min("first_seen"),
        last=Max("last_seen"),
        organisations=Count("report__organisation_id", distinct=True),
    ).order_by()
    found = [row for row in totals if (row["indicator__type"], row["indicator__value"]) in wanted]
    sighted = dict(
        policy.visible_sightings(viewer)
        .filter(
            indicator_id__in=[row["indicator_id"] for row in found],
            report__status__in=policy.READABLE_STATUSES,
        )
        .values("indicator_id")
        .annotate(n=Count("organisation_id", distinct=True))
        .order_by()
        .values_list("indicator_id", "n")
    )
    return {
        (row["indicator__type"], row["indicator__value"]): IndicatorFacts(
            type=row["indicator__type"],
            value=row["indicator__value"],
            stix_id=row["indicator__stix_id"],
            reports=row["reports"],
            first_seen=row["first"],
            last_seen=row["last"],
            reporting_organisations=row["organisations"],
            sighting_organisations=sighted.get(row["indicator_id"], 0),
        )
        for row in found
    }


def indicator_lookup(viewer: Membership | None, lines: list[str]) -> list[LookupAnswer]:
    """Each pasted line (up to BULK_LOOKUP_LIMIT) looked up: the value it names, refanged,
    and what the viewer may know of it."""
    asked = [line.strip() for line in lines if line.strip()][:BULK_LOOKUP_LIMIT]
    named = {line: indicator_values_in(line)[:1] for line in asked}
    facts = indicator_facts(viewer, [pair for pairs in named.values() for pair in pairs])
    answers = []
    for line in asked:
        if not named[line]:
            answers.append(LookupAnswer(asked=line))
            continue
        kind, value = named[line][0]
        answers.append(
            LookupAnswer(asked=line, type=kind, value=value, facts=facts.get((kind, value)))
        )
    return answers


def indicator_reports(
    viewer: Membership | None, *, kind: str, value: str
) -> QuerySet[ReportIndicator]:
    """The readable reports carrying one value, as links with each report's context."""
    return (
        _readable_links(viewer)
        .filter(indicator__type=kind, indicator__value=value)
        .select_related("report", "report__organisation", "indicator")
        .order_by("-report__published_at", "-report_id")
    )


def indicator_sightings(viewer: Membership | None, *, kind: str, value: str) -> QuerySet[Sighting]:
    """Sightings of one value in reports the viewer may read."""
    return (
        policy.visible_sightings(viewer)
        .filter(
            indicator__type=kind,
            indicator__value=value,
            report__status__in=policy.READABLE_STATUSES,
        )
        .select_related("organisation", "report")
        .order_by("-created_at")
    )
