"""Guards on the shape of the hot queries: a TAXII page, the reports list, a search.

A small version of bench/taxii.py and bench/reports.py, checked by the work PostgreSQL
reports in `EXPLAIN ANALYZE` (rows produced and rows filtered away, in every node and loop)
rather than by the clock, so a shared or slow CI machine does not make it flaky. Each limit
is ten times what the query touches today: a plan that degrades by an order of magnitude
(the TAXII page that scanned a copy of every readable report per row, the search that
parsed every report's text) fails here long before anyone notices it in production.
"""

import json
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest
from django.db import connection
from django.db.models import QuerySet

from accounts.models import User
from bench.taxii import INSERT_SQL, REPORTS_SQL
from sharing.models import Report, StixObject
from sharing.search import REFRESH_ALL_SQL
from sharing.selectors import ReportFilters, report_list, report_listing
from sharing.taxii import selectors as taxii
from sharing.taxii.protocol import Cursor, ObjectQuery
from tests.fixtures.members import acting

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL query plans"),
]

REPORTS = 2_000  # a quarter of them TLP:AMBER for another member: not readable
OBJECTS = 40_000  # 20 per report, every 20th in two versions
PAGE = 1_000


def rows_touched(queryset: QuerySet[Any]) -> int:
    """Rows every plan node produced or filtered away, over all its loops, in the plan
    PostgreSQL makes for these values and in the generic plan a prepared statement may keep
    (the portal prepares its statements: settings, DATABASE_PREPARED_STATEMENTS): the larger
    of the two."""
    return max(_touched(queryset, generic=False), _touched(queryset, generic=True))


def _touched(queryset: QuerySet[Any], *, generic: bool) -> int:
    sql, params = queryset.query.sql_with_params()
    # Values written into the text (a client-side cursor), so EXECUTE can carry them.
    with psycopg.ClientCursor(connection.connection) as cursor:
        if not generic:
            cursor.execute(f"EXPLAIN (ANALYZE, FORMAT JSON) {sql}", params)
            (plan,) = cursor.fetchone()  # type: ignore[misc]
        else:
            # The statement prepared the way psycopg prepares the portal's, then explained
            # with the plan PostgreSQL builds without looking at the values.
            connection.ensure_connection()
            with psycopg.Cursor(connection.connection) as preparing:
                preparing.execute("SET LOCAL plan_cache_mode = force_generic_plan")
                preparing.execute(sql, params, prepare=True)
                preparing.fetchall()
                preparing.execute(
                    "SELECT name FROM pg_prepared_statements ORDER BY prepare_time DESC LIMIT 1"
                )
                (name,) = preparing.fetchone()  # type: ignore[misc]
            values = ", ".join(["%s"] * len(params))
            execute = f"EXECUTE {name}({values})" if params else f"EXECUTE {name}"
            cursor.execute(f"EXPLAIN (ANALYZE, FORMAT JSON) {execute}", params)
            (plan,) = cursor.fetchone()  # type: ignore[misc]
            cursor.execute("SET LOCAL plan_cache_mode = auto")
    if isinstance(plan, str):
        plan = json.loads(plan)

    def nodes(node: dict[str, Any]) -> Iterator[dict[str, Any]]:
        yield node
        for child in node.get("Plans", []):
            yield from nodes(child)

    return sum(
        (
            node.get("Actual Rows", 0)
            + node.get("Rows Removed by Filter", 0)
            + node.get("Rows Removed by Join Filter", 0)
        )
        * node.get("Actual Loops", 1)
        for node in nodes(plan[0]["Plan"])
    )


@pytest.fixture
def many_reports(analyst_a: User, outsider_c: User) -> list[int]:
    """REPORTS published reports and OBJECTS STIX objects, written with SQL as the
    benchmark does."""
    mine, other = acting(analyst_a), acting(outsider_c)
    with connection.cursor() as cursor:
        cursor.execute(
            REPORTS_SQL,
            {
                "count": REPORTS,
                "user": mine.user_id,
                "org": mine.organisation_id,
                "other_user": other.user_id,
                "other_org": other.organisation_id,
            },
        )
        reports = [row[0] for row in cursor.fetchall()]
        cursor.execute(
            INSERT_SQL,
            {
                "reports": reports,
                "per_report": OBJECTS // REPORTS,
                "revised": 20,
                "start": 1,
                "stop": OBJECTS,
            },
        )
        cursor.execute(REFRESH_ALL_SQL)  # what the report services keep for each report
        cursor.execute("ANALYZE sharing_report")
        cursor.execute("ANALYZE sharing_stixobject")
    return reports


def test_a_taxii_page_deep_in_the_collection_touches_about_a_page_of_rows(
    many_reports: list[int], peer_b: User
) -> None:
    # given a cursor halfway through the collection
    middle = StixObject.objects.order_by("date_added", "pk")[OBJECTS // 2]
    cursor = Cursor(date_added=middle.date_added, row_id=middle.pk)
    query = ObjectQuery(limit=PAGE, after=cursor)
    collection = taxii.collection_for(acting(peer_b), str(taxii.SHARED_WITH_ME_ID))
    assert collection is not None

    # when the page query runs
    touched = rows_touched(taxii.page_queryset(collection.objects(), query))

    # then it walks about a page (plus the unreadable and superseded rows in between and a
    # report probe per row), not the collection: 3,922 rows when this was written
    assert len(taxii.object_page(collection.objects(), query).rows) == PAGE
    assert touched <= 40_000, touched


def test_the_reports_list_and_a_search_matching_everything_stay_within_their_budget(
    many_reports: list[int], peer_b: User
) -> None:
    viewer = acting(peer_b)
    newest = report_list(viewer, ReportFilters())
    everything = report_list(viewer, ReportFilters(q="Bench report"))
    rare = report_list(viewer, ReportFilters(q="nowhere-to-be-found"))

    first_page = rows_touched(newest[:20])
    count = rows_touched(newest.values("pk"))
    search_page = rows_touched(everything[:20])
    rare_search = rows_touched(rare[:20])

    # When this was written: the first page walked the publication-time index (241 rows),
    # the count read the readable reports once (3,525), the search ranked every match from
    # its stored document (11,088) and the rare word came from the GIN index alone (0).
    # Sorting the whole list for a page, or parsing every report's text, touches ten times
    # more.
    assert Report.objects.count() == REPORTS
    assert first_page <= 2_500, first_page
    assert count <= 36_000, count
    assert search_page <= 110_000, search_page
    assert rare_search <= 100, rare_search


def test_a_search_matching_more_than_can_be_ranked_walks_the_newest_first_and_counts_to_the_cap(
    many_reports: list[int], peer_b: User, settings: Any
) -> None:
    # given limits below the ~1,500 reports peer B can read
    settings.REPORT_LIST_COUNT_CAP = 500
    settings.REPORT_LIST_RANKED_MAX = 200
    viewer = acting(peer_b)

    # when peer B searches for words in every report, sorted by relevance
    listing = report_listing(viewer, ReportFilters(q="Bench report"))

    # then the count stops after the cap and the page is the newest matches, read from the
    # publication-time index instead of ranking every match (11,088 rows touched above)
    assert listing.count == 501
    assert listing.count_capped
    assert listing.relevance_skipped
    assert listing.sort == "newest"
    published = [report.published_at for report in listing.reports[:20]]
    assert None not in published
    assert published == sorted(published, reverse=True)  # type: ignore[type-var]
    assert rows_touched(listing.reports[:20]) <= 2_500
    # and a search with fewer matches than the limit is still ranked
    rare = report_listing(viewer, ReportFilters(q="nowhere-to-be-found"))
    assert rare.count == 0
    assert rare.sort == "relevance"
    assert not rare.relevance_skipped
