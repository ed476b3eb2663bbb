"""Reads for matching: what a published report says, and the watch lists as an index."""

import threading

from django.db.models import Count, Max, Q, QuerySet

from accounts.models import Organisation
from sharing.alerts.matching import Asset, ProfileIndex, Published
from sharing.alerts.products import stix_cve_products
from sharing.models import Report, ReportIndicator, StixObject, WatchedAsset

_cache_lock = threading.Lock()
_cached: tuple[tuple[int, int], ProfileIndex] | None = None


def published_facts(report: Report) -> Published:
    """The report's current indicators (not those held back by a warning list), its text and
    the (CVE, CPE) pairs of its STIX objects."""
    links = (
        ReportIndicator.objects.filter(report=report)
        .filter(Q(on_warning_list="") | Q(kept_by_insistence=True))
        .values_list("indicator__type", "indicator__value")
    )
    text = "\n".join(
        part
        for part in (report.title, report.summary, report.body_markdown, report.indicators_text)
        if part
    )
    objects = list(
        StixObject.objects.filter(
            report=report, type__in=("vulnerability", "software", "relationship")
        ).values_list("data", flat=True)
    )
    return Published(
        observables=tuple((str(kind), str(value)) for kind, value in links),
        text=text,
        cve_products=frozenset(stix_cve_products(objects)),
    )


def watched_assets_for_matching() -> list[Asset]:
    """Every watch-list entry of a member organisation that may still receive anything."""
    rows = (
        WatchedAsset.objects.filter(organisation__is_isac=False)
        .exclude(organisation__status=Organisation.Status.OFFBOARDED)
        .values_list("pk", "organisation_id", "kind", "value", "cpe")
        .order_by("pk")
    )
    return [Asset(*row) for row in rows]


def profile_index() -> ProfileIndex:
    """The watch lists as an index, built again only when an entry was added or removed
    (every change adds or deletes a row: the count and the highest id tell)."""
    global _cached
    stamp_row = WatchedAsset.objects.aggregate(n=Count("pk"), top=Max("pk"))
    stamp = (int(stamp_row["n"] or 0), int(stamp_row["top"] or 0))
    with _cache_lock:
        if _cached is not None and _cached[0] == stamp:
            return _cached[1]
    index = ProfileIndex(watched_assets_for_matching())
    with _cache_lock:
        _cached = (stamp, index)
    return index


def watched_assets_of(organisation: Organisation) -> QuerySet[WatchedAsset]:
    """An organisation's watch list (its admins' pages and API)."""
    return WatchedAsset.objects.filter(organisation=organisation).select_related("created_by")
