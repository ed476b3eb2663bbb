"""Full-text search over reports: the stored document and the query that matches it.

On PostgreSQL each report keeps its document in `Report.search_document` (a `tsvector`
under a GIN index), so a search is an index lookup and ranking reads the stored vector
instead of parsing every report's text per query. The services that write a report's text
or link its indicators call `report_search_refresh` in the same transaction; nothing else
(no signal, no save()) keeps it.

The document holds the title (weight A), the summary (B), the body and the pasted
indicators as written (D), and the clean (refanged) value of each indicator extracted from
the report (C). So `185.220.101.47` finds a report that wrote `185.220.101[.]47`, and the
defanged spelling finds it too (the words of the text are in the document as written).

SQLite (the embedded mode) has no `tsvector`: the column stays empty there and search
falls back to substring matching (see sharing.selectors).
"""

from collections.abc import Iterable

from django.db import connection
from django.db.models import BooleanField, FloatField, Q, QuerySet
from django.db.models.expressions import RawSQL
from psycopg import sql

from sharing.models import Report
from sharing.normalize.refang import refang

# Constant SQL (no user input is ever formatted into these strings).
_DOCUMENT_SQL = """
setweight(to_tsvector('english'::regconfig, sharing_report.title), 'A')
|| setweight(to_tsvector('english'::regconfig, sharing_report.summary), 'B')
|| setweight(to_tsvector('english'::regconfig, coalesce((
    SELECT string_agg(indicator.value, ' ' ORDER BY indicator.value)
    FROM sharing_reportindicator AS link
    JOIN sharing_indicator AS indicator ON indicator.id = link.indicator_id
    WHERE link.report_id = sharing_report.id), '')), 'C')
|| to_tsvector('english'::regconfig,
               sharing_report.body_markdown || ' ' || sharing_report.indicators_text)
"""

REFRESH_ALL_SQL = f"UPDATE sharing_report SET search_document = {_DOCUMENT_SQL}"  # noqa: S608
REFRESH_SQL = REFRESH_ALL_SQL + " WHERE id = ANY(%s)"

# The query as typed and, when it holds defanged values, as refanged: either may match.
_QUERY_SQL = (
    "(websearch_to_tsquery('english'::regconfig, %s) "
    "|| websearch_to_tsquery('english'::regconfig, %s))"
)


def report_search_refresh(*, report_ids: Iterable[int]) -> None:
    """Recompute the stored search document of the reports (PostgreSQL; nothing on SQLite).

    Called by the services that change a report's text or its indicators, inside their
    transaction, so the document never lags behind what was written.
    """
    ids = sorted(set(report_ids))
    if not ids or connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute(REFRESH_SQL, [ids])


def _query_params(text: str) -> tuple[str, str]:
    return text, " ".join(refang(word) for word in text.split())


def _query_sql(text: str) -> str:
    """The search query with the typed text written into the statement as quoted literals,
    not bound as parameters.

    The portal's statements are prepared (settings: DATABASE_PREPARED_STATEMENTS), and a
    prepared statement may be run with a plan made without its values. For a search the
    value decides the plan: a word in every report is listed newest first from the
    publication-time index, a rare word from the full-text index. With the text in the
    statement each search is its own statement, planned knowing what it looks for
    (tests/test_query_plans.py checks both plans)."""
    connection.ensure_connection()
    quoted = [
        # psycopg quotes for this connection; % doubled, as the statement still has
        # placeholders for the access policy's values.
        sql.Literal(value).as_string(connection.connection).replace("%", "%%")
        for value in _query_params(text)
    ]
    return _QUERY_SQL % tuple(quoted)


def matching(reports: QuerySet[Report], text: str) -> QuerySet[Report]:
    """Reports whose document matches the text (web-search syntax: words, "phrases", -not,
    or)."""
    if connection.vendor == "postgresql":
        matches = RawSQL(  # noqa: S611 (the text quoted by psycopg: _query_sql)
            f"sharing_report.search_document @@ {_query_sql(text)}",
            (),
            output_field=BooleanField(),
        )
        return reports.filter(matches)
    words = {text, *_query_params(text)}
    condition = Q()
    for word in words:
        condition |= (
            Q(title__icontains=word)
            | Q(summary__icontains=word)
            | Q(body_markdown__icontains=word)
            | Q(indicators_text__icontains=word)
            | Q(report_indicators__indicator__value__iexact=word)
        )
    return reports.filter(pk__in=Report.objects.filter(condition).values("pk"))


def rank(text: str) -> RawSQL | None:
    """How well each report matches, from its stored document; None without PostgreSQL."""
    if connection.vendor != "postgresql":
        return None
    return RawSQL(  # noqa: S611 (the text quoted by psycopg: _query_sql)
        f"ts_rank(sharing_report.search_document, {_query_sql(text)})",
        (),
        output_field=FloatField(),
    )
