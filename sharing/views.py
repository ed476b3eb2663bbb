"""Report pages in the browser. Each view asks the policy for the report (404 when the viewer
may not see it, whatever the method), parses the form, and calls one service."""

import difflib
import uuid
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET

from accounts.http import PortalRequest, SignedInRequest
from accounts.models import Membership
from portal.markdown import render_markdown
from sharing import policy, services
from sharing.formats import FORMATS
from sharing.forms import (
    CommentForm,
    CurationForm,
    ListFilterForm,
    ReasonForm,
    SightingForm,
)
from sharing.insights.refresh import report_read_record
from sharing.lifecycle.selectors import state_of
from sharing.list_rows import drawn_report_rows
from sharing.models import Report, ReportIndicator, ReportRevision, Rfi, RfiAnswer
from sharing.peers.selectors import also_reported_by, peer_origin
from sharing.preview import preview_findings
from sharing.selectors import (
    ReportFilters,
    audience_summary,
    report_listing,
    report_threat_objects,
    revealed_source,
)
from sharing.tlp import TLP

PAGE_SIZE = 20


def report_or_404(request: PortalRequest, report_uuid: uuid.UUID) -> Report:
    """The report if the viewer may see it; 404 otherwise (existence is information)."""
    report = policy.visible_report(request.membership, uuid=report_uuid)
    if report is None:
        raise Http404("No such report.")
    return report


def editable_or_404(request: PortalRequest, report_uuid: uuid.UUID) -> Report:
    report = report_or_404(request, report_uuid)
    if not policy.can_edit(request.membership, report):
        raise Http404("No such report.")
    return report


# --- Reading ------------------------------------------------------------------------


@login_required
@require_GET
def report_list_view(request: SignedInRequest) -> HttpResponse:
    form = ListFilterForm(request.GET or None, viewer=request.membership)
    data = form.cleaned_data if form.is_valid() else {}
    filters = ReportFilters(
        q=data.get("q") or "",
        tlp=data.get("tlp") or "",
        sector=data.get("sector") or "",
        report_type=data.get("report_type") or "",
        source=data.get("source") or "",
        group=data.get("group") or "",
        date_from=data.get("date_from"),
        date_to=data.get("date_to"),
        sort=data.get("sort") or "",
    )
    viewer = request.membership
    listing = report_listing(viewer, filters)
    paginator = CountedPaginator(listing.reports, PAGE_SIZE, count=listing.count)
    page = paginator.get_page(request.GET.get("page"))
    rows = drawn_report_rows([(r, revealed_source(viewer, r)) for r in page.object_list])
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "sharing/report_list.html",
        {
            "form": form,
            "page": page,
            "rows": rows,
            "query": query.urlencode(),
            "listing": listing,
            "count_cap": f"{listing.count_cap:,}",
            "ranked_max": f"{settings.REPORT_LIST_RANKED_MAX:,}",
        },
    )


if TYPE_CHECKING:
    _ReportPaginator = Paginator[Report]
else:  # Django's Paginator takes no type argument at run time
    _ReportPaginator = Paginator


class CountedPaginator(_ReportPaginator):
    """A paginator told the count (bounded by the selector) instead of counting itself."""

    def __init__(self, object_list: Any, per_page: int, *, count: int) -> None:
        super().__init__(object_list, per_page)
        self._known_count = count

    @property
    def count(self) -> int:
        return self._known_count


@login_required
@require_GET
def report_detail(request: SignedInRequest, report_uuid: uuid.UUID) -> HttpResponse:
    viewer = request.membership
    report = report_or_404(request, report_uuid)
    drafting = report.status in (Report.Status.DRAFT, Report.Status.REJECTED)
    if drafting and policy.can_edit(viewer, report):
        return redirect("report-edit", report_uuid=report.uuid)
    # Reach for the source's dashboard: this organisation's first read, counted, never named.
    report_read_record(report=report, by=viewer)
    sightings = list(
        policy.sightings_of(viewer, report).select_related(
            "organisation", "reported_by", "indicator"
        )
    )
    comments = list(policy.comments_of(viewer, report).select_related("author", "organisation"))
    # Who wrote what is the policy's answer (anonymity, hidden sources), never the template's.
    for sighting in sightings:
        sighting.report = report
    for comment in comments:
        comment.report = report
    named_sightings = [(s, policy.can_see_sighter(viewer, s)) for s in sightings]
    named_comments = [(c, policy.can_see_commenter(viewer, c)) for c in comments]
    staff = viewer is not None and viewer.is_isac_staff
    owner_or_staff = staff or (
        viewer is not None and viewer.organisation_id == report.organisation_id
    )
    links: list[ReportIndicator] = list(
        policy.report_indicators_of(viewer, report)
        .select_related("indicator")
        .order_by("indicator__type", "indicator__value")
    )
    counts = policy.indicator_counts(viewer, report) if links else {}
    # Validity only, from the rows: the score (and the rule it needs) is on the indicator page.
    now = timezone.now()
    indicators = [
        (link, counts.get(link.indicator_id, {}), state_of(link, now=now)) for link in links
    ]
    threat_objects, threat_object_count = report_threat_objects(viewer, report)
    curation_visible = policy.curation_thread_visible(viewer, report)
    context: dict[str, Any] = {
        "indicators": indicators,
        "export_formats": list(FORMATS.values()),
        "threat_objects": threat_objects,
        "threat_object_count": threat_object_count,
        "report": report,
        "tlp": report.tlp_label,
        "body_html": render_markdown(report.body_markdown),
        "source": revealed_source(viewer, report),
        # Reports received from a peer ISAC name the peer; members' reports list the peers
        # that reported the same ("also reported by").
        "peer_origin": peer_origin(viewer, report),
        "also_reported_by": also_reported_by(viewer, report),
        "source_visible": policy.can_see_source(viewer, report),
        "show_submitter": owner_or_staff,
        "attachments": list(policy.attachments_of(viewer, report)),
        "revisions": list(policy.revisions_of(viewer, report).select_related("created_by")),
        # Only the source organisation and ISAC staff may learn where a report went; anyone
        # else is not asked about it at all (the policy would answer nothing).
        "forwards": list(
            policy.visible_forwards(viewer).filter(report=report).select_related("partner")
        )
        if owner_or_staff and getattr(report, "has_forwards", True)
        else [],
        "comments": named_comments,
        "sightings": named_sightings,
        "sighting_orgs": len({s.organisation_id for s in sightings}),
        "can_interact": policy.can_interact(viewer, report),
        # Read receipt and impact answer: the organisation's own, and counts where allowed.
        "can_acknowledge": policy.can_acknowledge(viewer, report),
        "acknowledgement": policy.own_acknowledgement(viewer, report),
        "acknowledgement_counts": policy.acknowledgement_counts(viewer, report),
        "can_edit": policy.can_edit(viewer, report),
        "can_curate": policy.can_curate(viewer, report),
        # What the reviewer must look at: the same analysis the author confirmed.
        "review_findings": preview_findings(report) if policy.can_curate(viewer, report) else None,
        "curation_visible": curation_visible,
        "curation_events": (
            list(report.curation_events.select_related("by"))
            if curation_visible and getattr(report, "has_curation_events", True)
            else []
        ),
        "audience": audience_summary(report),
        "on_public_feed": report.public_release
        and policy.public_reports().filter(pk=report.pk).exists(),
        # The request for information this report answers, for those who may read it.
        "answers_rfi": _answered_rfi(viewer, report),
        "comment_form": CommentForm(),
        "sighting_form": SightingForm(indicators=[link.indicator for link in links]),
        "reason_form": ReasonForm(),
        "curation_form": CurationForm(),
    }
    return render(request, "sharing/report_detail.html", context)


def _answered_rfi(viewer: Membership | None, report: Report) -> Rfi | None:
    """The request for information the report answers, if the viewer may read it (no query
    for a report that answers none: `visible_report` read the link)."""
    try:
        rfi = report.rfi_answer.rfi
    except RfiAnswer.DoesNotExist:
        return None
    return rfi if policy.can_view_rfi(viewer, rfi) else None


@login_required
@require_GET
def report_version(request: SignedInRequest, report_uuid: uuid.UUID, number: int) -> HttpResponse:
    report = report_or_404(request, report_uuid)
    revisions = policy.visible_revisions(request.membership).filter(report=report)
    revision = revisions.filter(number=number).first()
    if revision is None:
        raise Http404("No such version.")
    # A diff shows both sides' text, so it is shown only against the version just before
    # when the viewer may read that one too; never against one they may not read.
    previous = revisions.filter(number=number - 1).first()
    hidden_previous = previous is None and number > 1
    if hidden_previous:
        diff = [("same", line) for line in _revision_text(revision)]
    else:
        diff = _diff(previous, revision)
    return render(
        request,
        "sharing/report_version.html",
        {
            "report": report,
            "revision": revision,
            "tlp": TLP(revision.tlp),
            "previous": previous,
            "hidden_previous": hidden_previous,
            "diff": diff,
        },
    )


def _revision_text(revision: ReportRevision | None) -> list[str]:
    if revision is None:
        return []
    text = (
        f"TLP: {revision.tlp}\nTitle: {revision.title}\n\nSummary:\n{revision.summary}\n\n"
        f"{revision.body_markdown}\n\nIndicators:\n{revision.indicators_text}"
    )
    return text.splitlines()


def _diff(old: ReportRevision | None, new: ReportRevision) -> list[tuple[str, str]]:
    """Line diff as (css class, text) pairs; the template escapes the text."""
    lines = []
    for line in difflib.unified_diff(_revision_text(old), _revision_text(new), lineterm="", n=3):
        if line.startswith(("---", "+++")):
            continue
        kind = {"+": "added", "-": "removed", "@": "hunk"}.get(line[:1], "same")
        lines.append((kind, line))
    return lines


@login_required
@require_GET
def attachment_download(request: SignedInRequest, attachment_uuid: uuid.UUID) -> FileResponse:
    attachment = policy.visible_attachments(request.membership).filter(uuid=attachment_uuid).first()
    if attachment is None:
        raise Http404("No such file.")
    path = services.attachment_path(attachment)
    if not path.exists():
        raise Http404("The file is missing.")
    response = FileResponse(
        path.open("rb"),
        as_attachment=True,
        filename=attachment.original_name,
        content_type="application/octet-stream",
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
@require_GET
def report_export(
    request: SignedInRequest, report_uuid: uuid.UUID, identifier: str
) -> HttpResponse:
    """The report in one of the output formats (sharing.formats), as a download."""
    report = report_or_404(request, report_uuid)
    if report.status not in (Report.Status.PUBLISHED, Report.Status.WITHDRAWN):
        raise Http404("No export of an unpublished report.")
    include_expired = request.GET.get("include_expired", "").lower() in ("1", "true", "yes")
    export = FORMATS[identifier].export(report, include_expired=include_expired)
    response = HttpResponse(export.content, content_type=export.content_type)
    response["Content-Disposition"] = f'attachment; filename="{export.filename}"'
    response["Cache-Control"] = "private, no-store"
    return response
