"""What the preview shows before anything is shared, from the normalisation's text analysis.

The analysis itself (indicators, personal data, warning lists, competitively sensitive
wording) belongs to sharing.normalize; this module only asks it about a report's text and
puts the answer in the shape the preview page needs.
"""

from dataclasses import dataclass, field
from typing import Any

from sharing.models import Report


@dataclass
class PreviewFindings:
    available: bool = True
    indicators: list[Any] = field(default_factory=list)
    redactions: list[Any] = field(default_factory=list)
    warning_hits: list[Any] = field(default_factory=list)
    sensitive_hits: list[Any] = field(default_factory=list)


def report_text(report: Report) -> str:
    return "\n\n".join(
        part
        for part in (report.title, report.summary, report.body_markdown, report.indicators_text)
        if part
    )


def preview_findings(report: Report) -> PreviewFindings:
    try:
        from sharing.normalize.analysis import analyse_for_organisation
    except ImportError:
        return PreviewFindings(available=False)
    analysis = analyse_for_organisation(report_text(report), organisation=report.organisation)
    return PreviewFindings(
        indicators=list(getattr(analysis, "indicators", [])),
        redactions=list(getattr(analysis, "redactions", [])),
        warning_hits=list(getattr(analysis, "warning_hits", [])),
        sensitive_hits=list(
            getattr(analysis, "sensitive_hits", None) or getattr(analysis, "antitrust_hits", [])
        ),
    )
