"""A report's indicators as CSV, for a SIEM, a firewall list or a spreadsheet.

One row per indicator with the report's context (first and last seen, confidence, why it
was warning-listed) and its lifecycle (score now, valid until, state). A block list must
not keep blocking what is no longer valid, so indicators revoked or past their valid_until
are left out unless asked for (`?include_expired=1`). Cells that a spreadsheet would run as
a formula are quoted.
"""

import csv
import io

from django.utils import timezone

from sharing.formats.base import Export, ReportFormat
from sharing.lifecycle.selectors import lifecycle_of, rules_in_force, still_valid
from sharing.models import Report, ReportIndicator
from sharing.stix.objects import timestamp

COLUMNS = (
    "type",
    "value",
    "first_seen",
    "last_seen",
    "confidence",
    "warning_list",
    "description",
    "stix_id",
    "report_id",
    "tlp",
    "score",
    "valid_until",
    "state",
)
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(text: str) -> str:
    """A cell a spreadsheet shows as text, never evaluates (CSV injection)."""
    return "'" + text if text.startswith(_FORMULA_STARTS) else text


class IndicatorCsv(ReportFormat):
    identifier = "csv"
    label = "indicators (CSV)"

    def export(self, report: Report, *, include_expired: bool = False) -> Export:
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(COLUMNS)
        rules, now = rules_in_force(), timezone.now()
        links = (
            ReportIndicator.objects.filter(report=report)
            .select_related("indicator")
            .order_by("indicator__type", "indicator__value")
        )
        if not include_expired:
            links = links.filter(still_valid(now))
        for link in links:
            indicator = link.indicator
            life = lifecycle_of(link, kind=indicator.type, rules=rules, now=now)
            writer.writerow(
                [
                    indicator.type,
                    safe_cell(indicator.value),
                    timestamp(link.first_seen),
                    timestamp(link.last_seen),
                    "" if link.confidence is None else link.confidence,
                    safe_cell(link.on_warning_list),
                    safe_cell(link.description),
                    indicator.stix_id,
                    str(report.uuid),
                    report.tlp,
                    "" if life.score is None else life.score,
                    timestamp(life.valid_until) if life.valid_until else "",
                    life.state,
                ]
            )
        return Export(
            content=out.getvalue().encode(),
            content_type="text/csv; charset=utf-8",
            filename=f"report-{report.uuid}-indicators.csv",
        )
