"""Posting pages: the report form with autosave, attachments, the preview that must be
confirmed before anything is shared, revisions and withdrawal."""

import uuid
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from accounts.web import acting_member, acting_membership
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
from sharing.views import editable_or_404, error_messages


def _save_form(
    request: HttpRequest, form: ReportForm, report: Report | None
) -> tuple[Report | None, list[str]]:
    """Save what was typed, then the attachment; a refused file never loses the text."""
    viewer = acting_membership(request)
    assert viewer is not None
    errors: list[str] = []
    try:
        if report is None:
            report = services.report_create_draft(by=viewer, content=form.content())
        else:
            report = services.report_update_draft(report=report, by=viewer, content=form.content())
    except (ValidationError, PermissionDenied) as error:
        return report, error_messages(error) if isinstance(error, ValidationError) else [str(error)]
    upload = form.cleaned_data.get("attachment")
    if upload:
        try:
            services.attachment_add(report=report, by=viewer, upload=upload)
        except ValidationError as error:
            errors += error_messages(error)
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
        # The most text the server reads from a form; the page checks before sending.
        "form_max_bytes": settings.DATA_UPLOAD_MAX_MEMORY_SIZE,
        **extra,
    }
    return render(request, "sharing/report_form.html", context, status=400 if errors else 200)


@login_required
def report_new(request: HttpRequest) -> HttpResponse:
    viewer = acting_membership(request)
    if not policy.can_post(viewer):
        messages.warning(request, "Your organisation can share once it is in good standing.")
        return redirect("home")
    if request.method != "POST":
        return _form_page(request, ReportForm(viewer=acting_member(request)), None, [])
    form = ReportForm(request.POST, request.FILES, viewer=acting_member(request))
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
    report = editable_or_404(request, report_uuid)
    if report.status == Report.Status.PUBLISHED:
        return report_revise_view(request, report)
    if report.status == Report.Status.WITHDRAWN:
        raise Http404("A withdrawn report cannot be edited.")
    if request.method != "POST":
        return _form_page(
            request,
            ReportForm(
                initial=ReportForm.initial_for(report), viewer=acting_member(request), report=report
            ),
            report,
            [],
        )
    form = ReportForm(request.POST, request.FILES, viewer=acting_member(request), report=report)
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
    report = editable_or_404(request, report_uuid)
    form = ReportForm(request.POST, viewer=acting_member(request), report=report)
    if not form.is_valid():
        return JsonResponse({"saved": False, "errors": form.errors}, status=400)
    try:
        services.report_update_draft(
            report=report, by=acting_member(request), content=form.content()
        )
    except ValidationError as error:
        return JsonResponse({"saved": False, "errors": error_messages(error)}, status=400)
    return JsonResponse({"saved": True})


def report_revise_view(request: HttpRequest, report: Report) -> HttpResponse:
    viewer = acting_member(request)
    note_form = RevisionNoteForm(request.POST or None)
    if request.method != "POST":
        form = ReportForm(
            initial=ReportForm.initial_for(report), viewer=acting_member(request), report=report
        )
        return _form_page(request, form, report, [], revising=True, note_form=note_form)
    form = ReportForm(request.POST, viewer=acting_member(request), report=report)
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
            errors = error_messages(error)
        else:
            messages.success(
                request, f"Version {report.version + 1} is published; recipients are told."
            )
            return redirect("report-detail", report_uuid=report.uuid)
    return _form_page(request, form, report, errors, revising=True, note_form=note_form)


@login_required
def report_preview(request: HttpRequest, report_uuid: uuid.UUID) -> HttpResponse:
    viewer = acting_member(request)
    report = editable_or_404(request, report_uuid)
    if report.status not in services.EDITABLE_STATUSES:
        return redirect("report-detail", report_uuid=report.uuid)
    findings = preview_findings(report)
    threat_objects, threat_object_count = report_threat_objects(viewer, report)
    errors: list[str] = []
    if request.method == "POST":
        try:
            report = services.report_submit(
                report=report,
                by=viewer,
                sensitive_confirmed=bool(request.POST.get("confirm_sensitive")),
                unanalysed_confirmed=bool(request.POST.get("confirm_unanalysed")),
            )
        except ValidationError as error:
            errors = error_messages(error)
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


@login_required
@require_POST
def report_withdraw_view(request: HttpRequest, report_uuid: uuid.UUID) -> HttpResponse:
    report = editable_or_404(request, report_uuid)
    form = ReasonForm(request.POST)
    try:
        if not form.is_valid():
            raise ValidationError("Say why the report is withdrawn: recipients will read it.")
        services.report_withdraw(
            report=report, by=acting_member(request), reason=form.cleaned_data["reason"]
        )
    except ValidationError as error:
        for message in error_messages(error):
            messages.error(request, message)
    else:
        messages.success(request, "Withdrawn. It stays here for the record; recipients are told.")
    return redirect("report-detail", report_uuid=report.uuid)


@login_required
@require_POST
def attachment_remove_view(request: HttpRequest, attachment_uuid: uuid.UUID) -> HttpResponse:
    viewer = acting_member(request)
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
        for message in error_messages(error):
            messages.error(request, message)
    return redirect("report-edit", report_uuid=attachment.report.uuid)
