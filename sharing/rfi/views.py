"""Request-for-information pages. Each view asks the policy for the RFI (404 when the viewer
may not read it, whatever the method), parses the form and calls one service."""

import uuid

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from accounts.decorators import member_required
from accounts.http import AuthenticatedRequest
from accounts.web import run_service
from portal.markdown import render_markdown
from sharing import policy
from sharing.models import Rfi
from sharing.rfi import services
from sharing.rfi.forms import (
    RfiAnswerForm,
    RfiCloseForm,
    RfiForm,
    RfiListForm,
    RfiMergeForm,
    RfiRouteForm,
)
from sharing.rfi.selectors import rfi_answers, rfi_counts, rfi_list
from sharing.selectors import audience_summary

PAGE_SIZE = 20


def rfi_or_404(request: AuthenticatedRequest, rfi_uuid: uuid.UUID) -> Rfi:
    rfi = policy.visible_rfi(request.membership, uuid=rfi_uuid)
    if rfi is None:
        raise Http404("No such request.")
    return rfi


def _detail_url(rfi: Rfi) -> str:
    return reverse("rfi-detail", args=[rfi.uuid])


@member_required
@require_GET
def rfi_list_view(request: AuthenticatedRequest) -> HttpResponse:
    form = RfiListForm(request.GET or None)
    data = form.cleaned_data if form.is_valid() else {}
    viewer = request.membership
    rfis = rfi_list(viewer, status=data.get("status") or "", q=data.get("q") or "")
    page = Paginator(rfis, PAGE_SIZE).get_page(request.GET.get("page"))
    rows = [(rfi, policy.can_see_asker(viewer, rfi)) for rfi in page.object_list]
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "sharing/rfi/list.html",
        {
            "form": form,
            "page": page,
            "rows": rows,
            "counts": rfi_counts(viewer),
            "status": data.get("status") or "",
            "query": query.urlencode(),
            "can_ask": policy.can_post(viewer),
        },
    )


@member_required
def rfi_new(request: AuthenticatedRequest) -> HttpResponse:
    viewer = request.membership
    if not policy.can_post(viewer):
        messages.warning(request, "Your organisation can ask once it is in good standing.")
        return redirect("rfi-list")
    form = RfiForm(request.POST or None, viewer=viewer)
    if request.method == "POST" and form.is_valid():
        outcome = run_service(
            request,
            lambda: services.rfi_ask(
                by=viewer,
                question=form.question(),
                sensitive_confirmed=form.cleaned_data["sensitive_confirmed"],
            ),
            "Your question is asked; you will be told when it is answered.",
            form=form,
        )
        if outcome:
            return redirect(_detail_url(outcome.value))
    status = 400 if request.method == "POST" else 200
    return render(request, "sharing/rfi/form.html", {"form": form}, status=status)


@member_required
@require_GET
def rfi_detail(request: AuthenticatedRequest, rfi_uuid: uuid.UUID) -> HttpResponse:
    viewer = request.membership
    rfi = rfi_or_404(request, rfi_uuid)
    answers = [
        (
            answer,
            named,
            render_markdown(answer.body_markdown),
            answer.report if answer.report and policy.can_view(viewer, answer.report) else None,
        )
        for answer, named in rfi_answers(viewer, rfi)
    ]
    merged_into = (
        rfi.merged_into
        if rfi.merged_into_id and policy.visible_rfi(viewer, pk=rfi.merged_into_id)
        else None
    )
    staff = policy.can_manage_rfi(viewer, rfi)
    own = viewer.organisation_id == rfi.organisation_id
    answer_form = RfiAnswerForm()
    if not viewer.is_isac_staff:
        del answer_form.fields["for_isac"]
    context = {
        "rfi": rfi,
        "tlp": rfi.tlp_label,
        "body_html": render_markdown(rfi.body_markdown),
        "asker_visible": policy.can_see_asker(viewer, rfi),
        "answers": answers,
        "merged_into": merged_into,
        "can_answer": policy.can_answer_rfi(viewer, rfi),
        "can_close": policy.can_close_rfi(viewer, rfi),
        "can_manage": staff,
        # Who else it went to is for the asking organisation and the ISAC.
        "audience": audience_summary(rfi) if own or viewer.is_isac_staff else "",
        "answer_form": answer_form,
        "close_form": RfiCloseForm(),
        "merge_form": RfiMergeForm(),
        "route_form": RfiRouteForm(initial=RfiRouteForm.initial_for(rfi), viewer=viewer)
        if staff
        else None,
    }
    return render(request, "sharing/rfi/detail.html", context)


@member_required
@require_POST
def rfi_answer_view(request: AuthenticatedRequest, rfi_uuid: uuid.UUID) -> HttpResponse:
    rfi = rfi_or_404(request, rfi_uuid)
    form = RfiAnswerForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        run_service(
            request,
            lambda: services.rfi_answer(
                rfi=rfi,
                by=request.membership,
                body=data["body"],
                anonymous=data["anonymous"],
                for_isac=data["for_isac"],
                sensitive_confirmed=data["sensitive_confirmed"],
            ),
            "Your answer is shared with those who can read the request.",
        )
    else:
        messages.error(request, "Write your answer first.")
    return redirect(_detail_url(rfi) + "#answers")


@member_required
@require_POST
def rfi_answer_report(
    request: AuthenticatedRequest, rfi_uuid: uuid.UUID, answer_uuid: uuid.UUID
) -> HttpResponse:
    """One step from an answer to a draft report, then the report form to finish it."""
    rfi = rfi_or_404(request, rfi_uuid)
    answers = policy.visible_rfi_answers(request.membership)
    answer = answers.filter(rfi=rfi, uuid=answer_uuid).first()
    if answer is None:
        raise Http404("No such answer.")
    outcome = run_service(
        request,
        lambda: services.rfi_answer_to_report(answer=answer, by=request.membership),
        "A draft report was made of your answer: check it, then confirm the preview to share.",
    )
    if outcome:
        return redirect("report-edit", report_uuid=outcome.value.uuid)
    return redirect(_detail_url(rfi) + "#answers")


@member_required
@require_POST
def rfi_close_view(request: AuthenticatedRequest, rfi_uuid: uuid.UUID) -> HttpResponse:
    rfi = rfi_or_404(request, rfi_uuid)
    form = RfiCloseForm(request.POST)
    if form.is_valid():
        run_service(
            request,
            lambda: services.rfi_close(
                rfi=rfi, by=request.membership, summary=form.cleaned_data["summary"]
            ),
            "The request is closed.",
        )
    else:
        messages.error(request, "Summarise what was learnt before closing.")
    return redirect(_detail_url(rfi))


@member_required
@require_POST
def rfi_merge_view(request: AuthenticatedRequest, rfi_uuid: uuid.UUID) -> HttpResponse:
    rfi = rfi_or_404(request, rfi_uuid)
    form = RfiMergeForm(request.POST)
    into = (
        policy.visible_rfi(request.membership, uuid=form.cleaned_data["into"])
        if form.is_valid()
        else None
    )
    if into is None:
        messages.error(request, "Name another request you can read.")
        return redirect(_detail_url(rfi))
    run_service(
        request,
        lambda: services.rfi_merge(
            rfi=rfi, into=into, by=request.membership, summary=form.cleaned_data["summary"]
        ),
        "Closed as a duplicate.",
    )
    return redirect(_detail_url(rfi))


@member_required
@require_POST
def rfi_route_view(request: AuthenticatedRequest, rfi_uuid: uuid.UUID) -> HttpResponse:
    rfi = rfi_or_404(request, rfi_uuid)
    form = RfiRouteForm(request.POST, viewer=request.membership)
    if not form.is_valid():
        messages.error(request, " ".join(str(e) for errors in form.errors.values() for e in errors))
        return redirect(_detail_url(rfi))
    data = form.cleaned_data
    run_service(
        request,
        lambda: services.rfi_route(
            rfi=rfi,
            by=request.membership,
            everyone=data["audience_everyone"],
            sectors=list(data["audience_sectors"]),
            organisations=list(data["audience_organisations"]),
            groups=list(data["audience_groups"]),
            people=form.named_people(),
            reason=data["reason"],
        ),
        "The request was routed.",
    )
    return redirect(_detail_url(rfi))
