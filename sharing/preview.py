"""What the preview shows before anything is shared, from the normalisation's text analysis.

The analysis itself (indicators, personal data, warning lists, competitively sensitive
wording) belongs to sharing.normalize; this module only asks it about a report's text and
puts the answer in the shape the preview page needs.
"""

from dataclasses import dataclass, field
from typing import Any

from django.conf import settings

from sharing.models import Report
from sharing.normalize.analysis import analyse_for_organisation
from sharing.normalize.parsers import NormalisationError
from sharing.normalize.parsers.text import decode_text


@dataclass
class PreviewFindings:
    indicators: list[Any] = field(default_factory=list)
    redactions: list[Any] = field(default_factory=list)
    warning_hits: list[Any] = field(default_factory=list)
    sensitive_hits: list[Any] = field(default_factory=list)
    # Why normalisation will not analyse the text (a line over NORMALIZE_MAX_LINE_CHARS ...):
    # the report would be shared with no indicators, so the author must choose first.
    unanalysable: str = ""


def report_text(report: Report) -> str:
    return "\n\n".join(
        part
        for part in (report.title, report.summary, report.body_markdown, report.indicators_text)
        if part
    )


def preview_findings(report: Report) -> PreviewFindings:
    text = report_text(report)
    try:
        decode_text(text.encode(), max_line_chars=settings.NORMALIZE_MAX_LINE_CHARS)
    except NormalisationError as refused:
        return PreviewFindings(unanalysable=refused.message)
    analysis = analyse_for_organisation(text, organisation=report.organisation)
    return PreviewFindings(
        indicators=list(analysis.indicators),
        redactions=list(analysis.redactions),
        warning_hits=list(analysis.warning_hits),
        sensitive_hits=list(analysis.sensitive),
    )


def redact_report(report: Report) -> list[str]:
    """Remove personal data from every text field, as the preview announced; the fields
    changed are returned. Called when the analyst confirms, before anything is shared."""
    changed = []
    for name in ("title", "summary", "body_markdown", "indicators_text"):
        text = getattr(report, name)
        if not text:
            continue
        redacted = analyse_for_organisation(text, organisation=report.organisation).redacted_text
        if redacted != text:
            setattr(report, name, redacted[:300] if name == "title" else redacted)
            changed.append(name)
    return changed
