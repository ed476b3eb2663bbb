"""Comments, sightings and ISAC curation on a report page."""

import uuid

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from accounts.decorators import member_required
from accounts.http import AuthenticatedRequest, SignedInRequest
from accounts.web import run_service
from sharing import policy, services
from sharing.forms import (
    CommentForm,
    CurationForm,
    SightingForm,
)
from sharing.models import Sighting
from sharing.views import report_or_404


@member_required
@require_POST
def comment_create_view(request: AuthenticatedRequest, report_uuid: uuid.UUID) -> HttpResponse:
    report = report_or_404(request, report_uuid)
    form = CommentForm(request.POST)
    if form.is_valid():
        run_service(
            request,
            lambda: services.comment_create(
                report=report, by=request.membership, body=form.cleaned_data["body"]
            ),
            "Comment added.",
        )
    else:
        messages.error(request, "Write a comment first.")
    return redirect(reverse("report-detail", args=[report.uuid]) + "#comments")


@member_required
@require_POST
def sighting_create_view(request: AuthenticatedRequest, report_uuid: uuid.UUID) -> HttpResponse:
    report = report_or_404(request, report_uuid)
    links = (
        policy.visible_report_indicators(request.membership)
        .filter(report=report)
        .select_related("indicator")
    )
    form = SightingForm(request.POST, indicators=[link.indicator for link in links])
    if form.is_valid():
        data = form.cleaned_data
        run_service(
            request,
            lambda: services.sighting_create(
                report=report,
                by=request.membership,
                seen_on=data["seen_on"],
                note=data["note"],
                anonymous=data["anonymous"],
                indicator=data["indicator"],
                kind=data["kind"] or Sighting.Kind.SEEN,
            ),
            "Thank you: your sighting is counted.",
        )
    else:
        messages.error(request, "Check the date and the kind of the sighting.")
    return redirect(reverse("report-detail", args=[report.uuid]) + "#sightings")


@member_required
@require_POST
def curation_action(request: AuthenticatedRequest, report_uuid: uuid.UUID) -> HttpResponse:
    viewer = request.membership
    report = report_or_404(request, report_uuid)
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
    run_service(request, call, success)
    if action in {"approve", "reject"}:
        return redirect("curation-queue")
    return redirect("report-detail", report_uuid=report.uuid)


@login_required
@require_GET
def curation_queue_view(request: SignedInRequest) -> HttpResponse:
    viewer = request.membership
    if viewer is None or not viewer.is_isac_staff:
        raise Http404("No such page.")
    reports = (
        policy.curation_queue(viewer)
        .select_related("organisation", "author")
        .order_by("submitted_at", "id")
    )
    stopped = (
        policy.submissions_for_staff(viewer)
        .defer("raw")
        .select_related("organisation")
        .order_by("-staff_alerted_at")[:50]
    )
    return render(request, "sharing/curation_queue.html", {"reports": reports, "stopped": stopped})
