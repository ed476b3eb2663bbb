"""The report list's rows, rendered once for what they show and kept in the cache.

A row is about a sixth of a millisecond of template work, and every visit of the list draws
25 of them, mostly the same as at the last visit. Each row is kept under a digest of
everything it shows (the report's fields, the source line this reader is shown, the counts,
the sectors, the row template itself and the time zone), so a kept row is exactly what
rendering it now would give: nothing has to forget it when a report changes, and a row
is only ever drawn for a reader whose list (the access policy) holds its report.
"""

import functools
import hashlib
from collections.abc import Sequence

from django.template.loader import get_template, render_to_string
from django.utils import timezone
from django.utils.safestring import SafeString

from portal.kept import kept_fragments
from sharing.models import Report

ROW_TEMPLATE = "sharing/_report_row.html"
KEPT_SECONDS = 6 * 3600


@functools.cache
def _template_digest() -> str:
    """The row template's own text: a changed template never shows a row drawn by the old."""
    source = get_template(ROW_TEMPLATE).template.source  # type: ignore[attr-defined]
    return hashlib.sha256(source.encode()).hexdigest()[:16]


def _key(report: Report, source: str) -> str:
    shown = (
        report.pk,
        str(report.uuid),
        report.status,
        report.tlp,
        report.report_type,
        report.title,
        report.summary,
        report.published_at.isoformat() if report.published_at else "",
        source,
        report.sighting_count,  # type: ignore[attr-defined]  # annotated by the listing
        report.comment_count,  # type: ignore[attr-defined]
        tuple((sector.pk, sector.name) for sector in report.sectors.all()),
        timezone.get_current_timezone_name(),
        _template_digest(),
    )
    return "report-row:" + hashlib.sha256(repr(shown).encode()).hexdigest()


def drawn_report_rows(rows: Sequence[tuple[Report, str]]) -> list[SafeString]:
    """Each (report, source line) as its rendered row, from the cache where it was drawn
    before (one read of the cache for the page)."""
    return kept_fragments(
        {
            _key(report, source): functools.partial(
                render_to_string, ROW_TEMPLATE, {"report": report, "source": source}
            )
            for report, source in rows
        },
        KEPT_SECONDS,
    )
