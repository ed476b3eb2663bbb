"""Posting pages: the report form with autosave, attachments, the preview that must be
confirmed before anything is shared, revisions and withdrawal."""

import uuid
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from accounts.decorators import member_required
from accounts.http import AuthenticatedRequest, SignedInRequest
from accounts.models import Membership
from accounts.web import attempt, run_service
from portal.markdown import render_markdown
from sharing import policy, services
from sharing.attribution import review_required
from sharing.forms import (
    ReasonForm,
    ReportForm,
    RevisionNoteForm,
)
from sharing.models import Report
from sharing.preview import preview_findings
from sharing.selectors import audience_summary, report_threat_objects
from sharing.views import editable_or_404


def _save_form(
    viewer: Membership, form: ReportForm, report: Report | None
) -> tuple[Report | None, list[str]]:
    """Save what was typed, then the attachment; a refused file never loses the text."""
    if report is None:
        saved = attempt(lambda: services.report_create_draft(by=viewer, content=form.content()))
    else:
        draft = report
        saved = attempt(
            lambda: services.report_update_draft(report=draft, by=viewer, content=form.content())
        )
    if not saved:
        return report, list(saved.errors)
    report = saved.value
    upload = form.cleaned_data.get("attachment")
    if upload:
        attached = attempt(lambda: services.attachment_add(report=report, by=viewer, upload=upload))
        return report, list(attached.errors)
    return report, []


def _form_page(
    request: SignedInRequest,
    form: ReportForm,
    report: Report | None,
    errors: list[str],
    **extra: Any,
) -> HttpResponse:
    context = {
        "form": form,
        "report": report,
        "errors": errors,
        "attachments": list(report.attachments.all()) if report else [],
        "curation_events": list(report.curation_events.select_related("by")) if report else [],
        # The most text the server reads from a form; the page checks before sending.
        "form_max_bytes": settings.DATA_UPLOAD_MAX_MEMORY_SIZE,
        **extra,
    }
    return render(request, "sharing/report_form.html", context, status=400 if errors else 200)


@login_required
def report_new(request: SignedInRequest) -> HttpResponse:
    viewer = request.membership
    if viewer is None or not policy.can_post(viewer):
        messages.warning(request, "Your organisation can share once it is in good standing.")
        return redirect("home")
    if request.method != "POST":
        return _form_page(request, ReportForm(viewer=viewer), None, [])
    form = ReportForm(request.POST, request.FILES, viewer=viewer)
    if not form.is_valid():
        return _form_page(request, form, None, [])
    report, errors = _save_form(viewer, form, None)
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
    request: SignedInRequest, form: ReportForm, report: Report | None, errors: list[str]
) -> HttpResponse:
    if errors or report is None:
        # Re-show exactly what was typed; the draft itself is already saved.
        return _form_page(request, form, report, errors)
    if "preview" in request.POST:
        return redirect("report-preview", report_uuid=report.uuid)
    messages.success(request, "Draft saved. Nothing is shared until you confirm the preview.")
    return redirect("report-edit", report_uuid=report.uuid)


@member_required
def report_edit(request: AuthenticatedRequest, report_uuid: uuid.UUID) -> HttpResponse:
    report = editable_or_404(request, report_uuid)
    if report.status == Report.Status.PUBLISHED:
        return report_revise_view(request, report)
    if report.status == Report.Status.WITHDRAWN:
        raise Http404("A withdrawn report cannot be edited.")
    if request.method != "POST":
        return _form_page(
            request,
            ReportForm(
                initial=ReportForm.initial_for(report), viewer=request.membership, report=report
            ),
            report,
            [],
        )
    form = ReportForm(request.POST, request.FILES, viewer=request.membership, report=report)
    if not form.is_valid():
        return _form_page(request, form, report, [])
    saved, errors = _save_form(request.membership, form, report)
    if saved is not None and saved.status == Report.Status.PENDING_REVIEW and not errors:
        messages.success(request, "Your edits are saved; the report still waits for review.")
        return redirect("report-detail", report_uuid=saved.uuid)
    return _after_save(request, form, saved, errors)


@member_required
@require_POST
def report_autosave(request: AuthenticatedRequest, report_uuid: uuid.UUID) -> JsonResponse:
    report = editable_or_404(request, report_uuid)
    form = ReportForm(request.POST, viewer=request.membership, report=report)
    if not form.is_valid():
        return JsonResponse({"saved": False, "errors": form.errors}, status=400)
    saved = attempt(
        lambda: services.report_update_draft(
            report=report, by=request.membership, content=form.content()
        )
    )
    if not saved:
        return JsonResponse({"saved": False, "errors": list(saved.errors)}, status=400)
    return JsonResponse({"saved": True})


def report_revise_view(request: AuthenticatedRequest, report: Report) -> HttpResponse:
    viewer = request.membership
    note_form = RevisionNoteForm(request.POST or None)
    if request.method != "POST":
        form = ReportForm(initial=ReportForm.initial_for(report), viewer=viewer, report=report)
        return _form_page(request, form, report, [], revising=True, note_form=note_form)
    form = ReportForm(request.POST, viewer=viewer, report=report)
    errors: list[str] = []
    if form.is_valid() and note_form.is_valid():
        revised = attempt(
            lambda: services.report_revise(
                report=report,
                by=viewer,
                content=form.content(),
                note=note_form.cleaned_data["note"],
                widen_reason=note_form.cleaned_data["widen_reason"],
            )
        )
        if revised:
            messages.success(
                request, f"Version {report.version + 1} is published; recipients are told."
            )
            return redirect("report-detail", report_uuid=report.uuid)
        errors = list(revised.errors)
    return _form_page(request, form, report, errors, revising=True, note_form=note_form)


@member_required
def report_preview(request: AuthenticatedRequest, report_uuid: uuid.UUID) -> HttpResponse:
    viewer = request.membership
    report = editable_or_404(request, report_uuid)
    if report.status not in services.EDITABLE_STATUSES:
        return redirect("report-detail", report_uuid=report.uuid)
    findings = preview_findings(report)
    threat_objects, threat_object_count = report_threat_objects(viewer, report)
    errors: list[str] = []
    if request.method == "POST":
        draft = report
        submitted = attempt(
            lambda: services.report_submit(
                report=draft,
                by=viewer,
                sensitive_confirmed=bool(request.POST.get("confirm_sensitive")),
                unanalysed_confirmed=bool(request.POST.get("confirm_unanalysed")),
            )
        )
        errors = list(submitted.errors)
        if submitted:
            report = submitted.value
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
            "body_html": render_markdown(findings.redacted["body_markdown"]),
            "findings": findings,
            "threat_objects": threat_objects,
            "threat_object_count": threat_object_count,
            "problems": errors or services.report_problems(report, by=viewer),
            "audience": audience_summary(report),
            "attachments": list(report.attachments.all()),
            "review_required": review_required(report.organisation),
        },
        status=400 if errors else 200,
    )


@member_required
@require_POST
def report_withdraw_view(request: AuthenticatedRequest, report_uuid: uuid.UUID) -> HttpResponse:
    report = editable_or_404(request, report_uuid)
    form = ReasonForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Say why the report is withdrawn: recipients will read it.")
    else:
        run_service(
            request,
            lambda: services.report_withdraw(
                report=report, by=request.membership, reason=form.cleaned_data["reason"]
            ),
            "Withdrawn. It stays here for the record; recipients are told.",
        )
    return redirect("report-detail", report_uuid=report.uuid)


@member_required
@require_POST
def attachment_remove_view(
    request: AuthenticatedRequest, attachment_uuid: uuid.UUID
) -> HttpResponse:
    viewer = request.membership
    attachment = (
        policy.visible_attachments(viewer)
        .filter(uuid=attachment_uuid)
        .select_related("report")
        .first()
    )
    if attachment is None or not policy.can_edit(viewer, attachment.report):
        raise Http404("No such file.")
    run_service(request, lambda: services.attachment_remove(attachment=attachment, by=viewer))
    return redirect("report-edit", report_uuid=attachment.report.uuid)
