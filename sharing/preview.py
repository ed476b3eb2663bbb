"""What the preview shows before anything is shared: exactly what recipients will read.

The analysis itself (indicators, personal data, warning lists, competitively sensitive
wording) belongs to sharing.normalize; this module asks it about the report's text, adds
what the report's uploads brought (their indicators, the values their normalisation set
aside, the personal data it removed) and puts the answer in the shape the preview page (and
the curator's checklist) needs.
"""

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.conf import settings

from sharing.models import Report, ReportIndicator, Submission
from sharing.normalize.analysis import analyse_for_organisation
from sharing.normalize.parsers import NormalisationError
from sharing.normalize.parsers.text import decode_text

TEXT_FIELDS = ("title", "summary", "body_markdown", "indicators_text")


@dataclass(frozen=True)
class PreviewIndicator:
    """One indicator recipients will receive, and where the report got it."""

    type: str
    value: str
    origin: str  # "upload" or "text"
    first_seen: datetime | None = None
    last_seen: datetime | None = None
    confidence: int | None = None
    warning_list: str = ""  # kept although listed, because the analyst insisted

    @property
    def origin_label(self) -> str:
        return "from the upload" if self.origin == ReportIndicator.Origin.UPLOAD else "in the text"


@dataclass(frozen=True)
class SetAside:
    """A value that will not be shared as an indicator, and why."""

    value: str
    type: str
    list_name: str
    origin: str


@dataclass
class PreviewFindings:
    indicators: list[PreviewIndicator] = field(default_factory=list)
    redactions: list[Any] = field(default_factory=list)
    warning_hits: list[SetAside] = field(default_factory=list)
    sensitive_hits: list[Any] = field(default_factory=list)
    # Why normalisation will not analyse the text (a line over NORMALIZE_MAX_LINE_CHARS ...):
    # the report would be shared with no indicators, so the author must choose first.
    unanalysable: str = ""
    # The text fields as recipients will read them, personal data already removed.
    redacted: dict[str, str] = field(default_factory=dict)


def report_text(report: Report) -> str:
    return "\n\n".join(part for part in (getattr(report, name) for name in TEXT_FIELDS) if part)


def preview_findings(report: Report) -> PreviewFindings:
    """The final indicator list (the uploads' and the text's), what is set aside, what is
    redacted and what must be confirmed, for the report as it stands."""
    text = report_text(report)
    unanalysable = ""
    try:
        decode_text(text.encode(), max_line_chars=settings.NORMALIZE_MAX_LINE_CHARS)
    except NormalisationError as refused:
        # Normalisation will not analyse this text (a line over NORMALIZE_MAX_LINE_CHARS...):
        # the author is told and chooses before anything is shared.
        unanalysable = refused.message
    links = list(
        ReportIndicator.objects.filter(report=report, origin=ReportIndicator.Origin.UPLOAD)
        .select_related("indicator")
        .order_by("indicator__type", "indicator__value")
    )
    indicators = [
        PreviewIndicator(
            type=link.indicator.type,
            value=link.indicator.value,
            origin=ReportIndicator.Origin.UPLOAD,
            first_seen=link.first_seen,
            last_seen=link.last_seen,
            confidence=link.confidence,
            warning_list=link.on_warning_list,
        )
        for link in links
    ]
    warning_hits: list[SetAside] = []
    redactions: list[Any] = []
    sensitive_hits: list[Any] = []
    if not unanalysable:
        analysis = analyse_for_organisation(text, organisation=report.organisation)
        carried = {(item.type, item.value) for item in indicators}
        for item in analysis.indicators:
            if (item.type.value, item.value) not in carried:
                carried.add((item.type.value, item.value))
                indicators.append(
                    PreviewIndicator(
                        type=item.type.value, value=item.value, origin=ReportIndicator.Origin.TEXT
                    )
                )
        warning_hits = [
            SetAside(hit.value, hit.type.value, hit.list_name, ReportIndicator.Origin.TEXT)
            for hit in analysis.warning_hits
        ]
        redactions = list(analysis.redactions)
        sensitive_hits = list(analysis.sensitive)
    for findings in _upload_findings(report):
        warning_hits += [
            SetAside(hit["value"], hit["type"], hit["list"], ReportIndicator.Origin.UPLOAD)
            for hit in findings.get("warning_hits", [])
        ]
        redactions += [
            {"kind": item["kind"], "original": item["original"], "replacement": item["replacement"]}
            for item in findings.get("redactions", [])
        ]
    return PreviewFindings(
        indicators=indicators,
        redactions=redactions,
        warning_hits=warning_hits,
        sensitive_hits=sensitive_hits,
        unanalysable=unanalysable,
        # Text that cannot be analysed cannot be scrubbed either: shown as it would be shared.
        redacted=(
            {name: getattr(report, name) for name in TEXT_FIELDS}
            if unanalysable
            else redacted_fields(report)
        ),
    )


def _upload_findings(report: Report) -> list[dict[str, Any]]:
    if report.pk is None:
        return []
    return [
        findings or {}
        for findings in report.submissions.exclude(kind=Submission.Kind.FORM)
        .filter(status__in=[Submission.Status.NEEDS_REVIEW, Submission.Status.PUBLISHED])
        .values_list("findings", flat=True)
    ]


def redacted_fields(report: Report) -> dict[str, str]:
    """Each text field with personal data removed, as it will be shared."""
    redacted = {}
    for name in TEXT_FIELDS:
        text = getattr(report, name)
        if text:
            text = analyse_for_organisation(text, organisation=report.organisation).redacted_text
        redacted[name] = text[:300] if name == "title" else text
    return redacted


def redact_report(report: Report) -> list[str]:
    """Remove personal data from every text field, as the preview announced; the fields
    changed are returned. Called when the analyst confirms, before anything is shared."""
    changed = []
    for name, redacted in redacted_fields(report).items():
        if redacted != getattr(report, name):
            setattr(report, name, redacted)
            changed.append(name)
    return changed
