"""Report pages in the browser. Each view asks the policy for the report (404 when the viewer
may not see it, whatever the method), parses the form, and calls one service."""

import difflib
import uuid
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from accounts.models import Membership
from sharing import policy, services
from sharing.forms import (
    CommentForm,
    CurationForm,
    ListFilterForm,
    ReasonForm,
    ReportForm,
    RevisionNoteForm,
    SightingForm,
)
from sharing.markdown import render_markdown
from sharing.models import Report, ReportIndicator, ReportRevision
from sharing.preview import preview_findings
from sharing.selectors import ReportFilters, audience_summary, report_list, revealed_source
from sharing.stix.bundle import report_bundle

PAGE_SIZE = 20


def _viewer(request: HttpRequest) -> Membership | None:
    viewer: Membership | None = request.membership  # type: ignore[attr-defined]
    return viewer


def _member(request: HttpRequest) -> Membership:
    """The acting membership for a write; someone acting for nobody sees nothing."""
    viewer = _viewer(request)
    if viewer is None:
        raise Http404("No such page.")
    return viewer


def _report(request: HttpRequest, report_uuid: uuid.UUID) -> Report:
    """The report if the viewer may see it; 404 otherwise (existence is information)."""
    report = (
        policy.visible_to(_viewer(request))
        .select_related("organisation", "author")
        .filter(uuid=report_uuid)
        .first()
    )
    if report is None:
        raise Http404("No such report.")
    return report


def _editable(request: HttpRequest, report_uuid: uuid.UUID) -> Report:
    report = _report(request, report_uuid)
    if not policy.can_edit(_viewer(request), report):
        raise Http404("No such report.")
    return report


def _errors(error: ValidationError) -> list[str]:
    return [str(m) for m in error.messages]


# --- Reading ------------------------------------------------------------------------


@login_required
@require_GET
def report_list_view(request: HttpRequest) -> HttpResponse:
    form = ListFilterForm(request.GET or None, viewer=_viewer(request))
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
    viewer = _viewer(request)
    page = Paginator(report_list(viewer, filters), PAGE_SIZE).get_page(request.GET.get("page"))
    rows = [(r, revealed_source(viewer, r)) for r in page.object_list]
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "sharing/report_list.html",
        {"form": form, "page": page, "rows": rows, "query": query.urlencode()},
    )


@login_required
@require_GET
def report_detail(request: HttpRequest, report_uuid: uuid.UUID) -> HttpResponse:
    viewer = _viewer(request)
    report = _report(request, report_uuid)
    drafting = report.status in (Report.Status.DRAFT, Report.Status.REJECTED)
    if drafting and policy.can_edit(viewer, report):
        return redirect("report-edit", report_uuid=report.uuid)
    sightings = list(
        policy.visible_sightings(viewer)
        .filter(report=report)
        .select_related("organisation", "reported_by", "indicator")
    )
    staff = viewer is not None and viewer.is_isac_staff
    links: list[ReportIndicator] = list(
        policy.visible_report_indicators(viewer)  # type: ignore[arg-type]
        .filter(report=report)
        .select_related("indicator")
        .order_by("indicator__type", "indicator__value")
    )
    counts = policy.indicator_counts(viewer, report)
    indicators = [(link, counts.get(link.indicator_id, {})) for link in links]
    context: dict[str, Any] = {
        "indicators": indicators,
        "report": report,
        "tlp": report.tlp_label,
        "body_html": render_markdown(report.body_markdown),
        "source": revealed_source(viewer, report),
        "source_visible": policy.can_see_source(viewer, report),
        "show_submitter": staff
        or (viewer is not None and viewer.organisation_id == report.organisation_id),
        "attachments": list(policy.visible_attachments(viewer).filter(report=report)),
        "revisions": list(
            policy.visible_revisions(viewer).filter(report=report).select_related("created_by")
        ),
        "comments": list(
            policy.visible_comments(viewer)
            .filter(report=report)
            .select_related("author", "organisation")
        ),
        "sightings": sightings,
        "sighting_orgs": len({s.organisation_id for s in sightings}),
        "show_sighting_names": staff,
        "can_interact": policy.can_interact(viewer, report),
        "can_edit": policy.can_edit(viewer, report),
        "can_curate": policy.can_curate(viewer, report),
        # What the reviewer must look at: the same analysis the author confirmed.
        "review_findings": preview_findings(report) if policy.can_curate(viewer, report) else None,
        "curation_visible": policy.curation_thread_visible(viewer, report),
        "curation_events": list(report.curation_events.select_related("by")),
        "audience": audience_summary(report),
        "comment_form": CommentForm(),
        "sighting_form": SightingForm(indicators=[link.indicator for link in links]),
        "reason_form": ReasonForm(),
        "curation_form": CurationForm(),
    }
    return render(request, "sharing/report_detail.html", context)


@login_required
@require_GET
def report_version(request: HttpRequest, report_uuid: uuid.UUID, number: int) -> HttpResponse:
    report = _report(request, report_uuid)
    revisions = policy.visible_revisions(_viewer(request)).filter(report=report)
    revision = revisions.filter(number=number).first()
    if revision is None:
        raise Http404("No such version.")
    previous = revisions.filter(number__lt=number).order_by("-number").first()
    diff = _diff(previous, revision)
    return render(
        request,
        "sharing/report_version.html",
        {"report": report, "revision": revision, "previous": previous, "diff": diff},
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
def attachment_download(request: HttpRequest, attachment_uuid: uuid.UUID) -> FileResponse:
    attachment = policy.visible_attachments(_viewer(request)).filter(uuid=attachment_uuid).first()
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
def report_stix(request: HttpRequest, report_uuid: uuid.UUID) -> HttpResponse:
    """The report's current STIX 2.1 bundle, as a download."""
    report = _report(request, report_uuid)
    if report.status not in (Report.Status.PUBLISHED, Report.Status.WITHDRAWN):
        raise Http404("No STIX for an unpublished report.")
    response = JsonResponse(report_bundle(report), json_dumps_params={"indent": 2})
    response["Content-Type"] = "application/stix+json;version=2.1"
    response["Content-Disposition"] = f'attachment; filename="report-{report.uuid}.stix.json"'
    response["Cache-Control"] = "private, no-store"
    return response


# --- Posting ------------------------------------------------------------------------


def _save_form(
    request: HttpRequest, form: ReportForm, report: Report | None
) -> tuple[Report | None, list[str]]:
    """Save what was typed, then the attachment; a refused file never loses the text."""
    viewer = _viewer(request)
    assert viewer is not None
    errors: list[str] = []
    try:
        if report is None:
            report = services.report_create_draft(by=viewer, content=form.content())
        else:
            report = services.report_update_draft(report=report, by=viewer, content=form.content())
    except (ValidationError, PermissionDenied) as error:
        return report, _errors(error) if isinstance(error, ValidationError) else [str(error)]
    upload = form.cleaned_data.get("attachment")
    if upload:
        try:
            services.attachment_add(report=report, by=viewer, upload=upload)
        except ValidationError as error:
            errors += _errors(error)
    return report, errors


def _form_page(
    request: HttpRequest, form: ReportForm, report: Report | None, errors: list[str], **extra: Any
) -> HttpResponse:
    context = {
        "form": form,
        "report": report,
        "errors": errors,
        "attachments": list(report.attachments.all()) if report else [],
        "curation_events": list(report.curation_events.select_related("by")) if report else [],
        **extra,
    }
    return render(request, "sharing/report_form.html", context, status=400 if errors else 200)


@login_required
def report_new(request: HttpRequest) -> HttpResponse:
    viewer = _viewer(request)
    if not policy.can_post(viewer):
        messages.warning(request, "Your organisation can share once it is in good standing.")
        return redirect("home")
    if request.method != "POST":
        return _form_page(request, ReportForm(viewer=_member(request)), None, [])
    form = ReportForm(request.POST, request.FILES, viewer=_member(request))
    if not form.is_valid():
        return _form_page(request, form, None, [])
    report, errors = _save_form(request, form, None)
    if request.POST.get("autosave") and report is not None:
        return JsonResponse(
            {
                "saved": True,
                "edit_url": reverse("report-edit", args=[report.uuid]),
                "autosave_url": reverse("report-autosave", args=[report.uuid]),
            }
        )
    return _after_save(request, form, report, errors)


def _after_save(
    request: HttpRequest, form: ReportForm, report: Report | None, errors: list[str]
) -> HttpResponse:
    if errors or report is None:
        # Re-show exactly what was typed; the draft itself is already saved.
        return _form_page(request, form, report, errors)
    if "preview" in request.POST:
        return redirect("report-preview", report_uuid=report.uuid)
    messages.success(request, "Draft saved. Nothing is shared until you confirm the preview.")
    return redirect("report-edit", report_uuid=report.uuid)


@login_required
def report_edit(request: HttpRequest, report_uuid: uuid.UUID) -> HttpResponse:
    report = _editable(request, report_uuid)
    if report.status == Report.Status.PUBLISHED:
        return report_revise_view(request, report)
    if report.status == Report.Status.WITHDRAWN:
        raise Http404("A withdrawn report cannot be edited.")
    if request.method != "POST":
        return _form_page(
            request,
            ReportForm(initial=ReportForm.initial_for(report), viewer=_member(request)),
            report,
            [],
        )
    form = ReportForm(request.POST, request.FILES, viewer=_member(request))
    if not form.is_valid():
        return _form_page(request, form, report, [])
    saved, errors = _save_form(request, form, report)
    if saved is not None and saved.status == Report.Status.PENDING_REVIEW and not errors:
        messages.success(request, "Your edits are saved; the report still waits for review.")
        return redirect("report-detail", report_uuid=saved.uuid)
    return _after_save(request, form, saved, errors)


@login_required
@require_POST
def report_autosave(request: HttpRequest, report_uuid: uuid.UUID) -> JsonResponse:
    report = _editable(request, report_uuid)
    form = ReportForm(request.POST, viewer=_member(request))
    if not form.is_valid():
        return JsonResponse({"saved": False, "errors": form.errors}, status=400)
    try:
        services.report_update_draft(report=report, by=_member(request), content=form.content())
    except ValidationError as error:
        return JsonResponse({"saved": False, "errors": _errors(error)}, status=400)
    return JsonResponse({"saved": True})


def report_revise_view(request: HttpRequest, report: Report) -> HttpResponse:
    viewer = _member(request)
    note_form = RevisionNoteForm(request.POST or None)
    if request.method != "POST":
        form = ReportForm(initial=ReportForm.initial_for(report), viewer=_member(request))
        return _form_page(request, form, report, [], revising=True, note_form=note_form)
    form = ReportForm(request.POST, viewer=_member(request))
    errors: list[str] = []
    if form.is_valid() and note_form.is_valid():
        try:
            services.report_revise(
                report=report,
                by=viewer,
                content=form.content(),
                note=note_form.cleaned_data["note"],
                widen_reason=note_form.cleaned_data["widen_reason"],
            )
        except ValidationError as error:
            errors = _errors(error)
        else:
            messages.success(
                request, f"Version {report.version + 1} is published; recipients are told."
            )
            return redirect("report-detail", report_uuid=report.uuid)
    return _form_page(request, form, report, errors, revising=True, note_form=note_form)


@login_required
def report_preview(request: HttpRequest, report_uuid: uuid.UUID) -> HttpResponse:
    viewer = _member(request)
    report = _editable(request, report_uuid)
    if report.status not in services.EDITABLE_STATUSES:
        return redirect("report-detail", report_uuid=report.uuid)
    findings = preview_findings(report)
    errors: list[str] = []
    if request.method == "POST":
        try:
            report = services.report_submit(
                report=report,
                by=viewer,
                sensitive_confirmed=bool(request.POST.get("confirm_sensitive")),
            )
        except ValidationError as error:
            errors = _errors(error)
        else:
            if report.status == Report.Status.PENDING_REVIEW:
                messages.success(
                    request, "Sent to the ISAC for review. You will be told when it is published."
                )
            else:
                messages.success(request, "Shared. Recipients can read it now.")
            return redirect("report-detail", report_uuid=report.uuid)
    return render(
        request,
        "sharing/report_preview.html",
        {
            "report": report,
            "tlp": report.tlp_label if report.tlp else None,
            "body_html": render_markdown(report.body_markdown),
            "findings": findings,
            "problems": errors or services.report_problems(report, by=viewer),
            "audience": audience_summary(report),
            "attachments": list(report.attachments.all()),
            "review_required": services.review_required(report.organisation),
        },
        status=400 if errors else 200,
    )


@login_required
@require_POST
def report_withdraw_view(request: HttpRequest, report_uuid: uuid.UUID) -> HttpResponse:
    report = _editable(request, report_uuid)
    form = ReasonForm(request.POST)
    try:
        if not form.is_valid():
            raise ValidationError("Say why the report is withdrawn: recipients will read it.")
        services.report_withdraw(
            report=report, by=_member(request), reason=form.cleaned_data["reason"]
        )
    except ValidationError as error:
        for message in _errors(error):
            messages.error(request, message)
    else:
        messages.success(request, "Withdrawn. It stays here for the record; recipients are told.")
    return redirect("report-detail", report_uuid=report.uuid)


@login_required
@require_POST
def attachment_remove_view(request: HttpRequest, attachment_uuid: uuid.UUID) -> HttpResponse:
    viewer = _member(request)
    attachment = (
        policy.visible_attachments(viewer)
        .filter(uuid=attachment_uuid)
        .select_related("report")
        .first()
    )
    if attachment is None or not policy.can_edit(viewer, attachment.report):
        raise Http404("No such file.")
    try:
        services.attachment_remove(attachment=attachment, by=viewer)
    except ValidationError as error:
        for message in _errors(error):
            messages.error(request, message)
    return redirect("report-edit", report_uuid=attachment.report.uuid)


# --- Comments, sightings, curation --------------------------------------------------


def _service_call(request: HttpRequest, call: Any, success: str) -> None:
    try:
        call()
    except ValidationError as error:
        for message in _errors(error):
            messages.error(request, message)
    except PermissionDenied as error:
        messages.error(request, str(error))
    else:
        messages.success(request, success)


@login_required
@require_POST
def comment_create_view(request: HttpRequest, report_uuid: uuid.UUID) -> HttpResponse:
    report = _report(request, report_uuid)
    form = CommentForm(request.POST)
    if form.is_valid():
        _service_call(
            request,
            lambda: services.comment_create(
                report=report, by=_member(request), body=form.cleaned_data["body"]
            ),
            "Comment added.",
        )
    else:
        messages.error(request, "Write a comment first.")
    return redirect(reverse("report-detail", args=[report.uuid]) + "#comments")


@login_required
@require_POST
def sighting_create_view(request: HttpRequest, report_uuid: uuid.UUID) -> HttpResponse:
    report = _report(request, report_uuid)
    links = ReportIndicator.objects.filter(
        pk__in=policy.visible_report_indicators(_viewer(request)).filter(report=report).values("pk")
    ).select_related("indicator")
    form = SightingForm(request.POST, indicators=[link.indicator for link in links])
    if form.is_valid():
        data = form.cleaned_data
        _service_call(
            request,
            lambda: services.sighting_create(
                report=report,
                by=_member(request),
                seen_on=data["seen_on"],
                note=data["note"],
                anonymous=data["anonymous"],
                indicator=data["indicator"],
            ),
            "Thank you: your sighting is counted.",
        )
    else:
        messages.error(request, "Check the date of the sighting.")
    return redirect(reverse("report-detail", args=[report.uuid]) + "#sightings")


@login_required
@require_POST
def curation_action(request: HttpRequest, report_uuid: uuid.UUID) -> HttpResponse:
    viewer = _member(request)
    report = _report(request, report_uuid)
    if not policy.curation_thread_visible(viewer, report):
        raise Http404("No such report.")
    form = CurationForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose what to do.")
        return redirect("report-detail", report_uuid=report.uuid)
    action, message = form.cleaned_data["action"], form.cleaned_data["message"]
    calls = {
        "approve": (
            lambda: services.report_approve(report=report, by=viewer, message=message),
            "Approved and published.",
        ),
        "reject": (
            lambda: services.report_reject(report=report, by=viewer, reason=message),
            "Rejected; the author can read why.",
        ),
        "question": (
            lambda: services.report_question(report=report, by=viewer, question=message),
            "Question sent to the author.",
        ),
        "answer": (
            lambda: services.report_answer(report=report, by=viewer, answer=message),
            "Answer sent to the ISAC.",
        ),
    }
    call, success = calls[action]
    _service_call(request, call, success)
    if action in {"approve", "reject"}:
        return redirect("curation-queue")
    return redirect("report-detail", report_uuid=report.uuid)


@login_required
@require_GET
def curation_queue_view(request: HttpRequest) -> HttpResponse:
    viewer = _viewer(request)
    if viewer is None or not viewer.is_isac_staff:
        raise Http404("No such page.")
    reports = (
        policy.curation_queue(viewer)
        .select_related("organisation", "author")
        .order_by("submitted_at", "id")
    )
    return render(request, "sharing/curation_queue.html", {"reports": reports})
