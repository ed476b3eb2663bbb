"""Pages of the government lane: ISAC admins configure partners and preview what would
leave (the dry run); an organisation reads and exports the record of its own forwards."""

import uuid

from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from accounts.decorators import client_ip, isac_admin_required, member_required
from accounts.http import AuthenticatedRequest
from accounts.web import run_service
from sharing import policy
from sharing.government import selectors, services
from sharing.government.forms import DryRunForm, PartnerForm
from sharing.models import Delivery, Partner


def _settings(form: PartnerForm) -> services.PartnerSettings:
    data = form.cleaned_data
    return services.PartnerSettings(
        name=data["name"],
        api_root=data["api_root"],
        collection_id=data["collection_id"],
        auth_kind=data["auth_kind"],
        username=data["username"],
        password=data["password"],
        token=data["token"],
        certificate_pem=data["certificate_pem"],
        key_pem=data["key_pem"],
        ca_certificate_pem=data["ca_certificate_pem"],
        is_us_government=data["is_us_government"],
    )


def _partner(partner_uuid: uuid.UUID) -> Partner:
    return get_object_or_404(Partner, uuid=partner_uuid)


@isac_admin_required
def partner_list(request: AuthenticatedRequest) -> HttpResponse:
    return render(
        request,
        "government/partner_list.html",
        {"partners": selectors.partners_with_counts()},
    )


@isac_admin_required
def partner_create(request: AuthenticatedRequest) -> HttpResponse:
    form = PartnerForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        created = run_service(
            request,
            lambda: services.partner_create(
                values=_settings(form), by=request.membership, ip_address=client_ip(request)
            ),
            lambda partner: (
                f"Partner “{partner.name}” saved. It is off: look at a dry run, "
                "check the connection, then turn it on."
            ),
            form=form,
        )
        if created:
            return redirect("government:partner", partner_uuid=created.value.uuid)
    return render(request, "government/partner_form.html", {"form": form, "partner": None})


@isac_admin_required
def partner_detail(request: AuthenticatedRequest, partner_uuid: uuid.UUID) -> HttpResponse:
    partner = _partner(partner_uuid)
    initial = {
        "name": partner.name,
        "is_us_government": partner.is_us_government,
        "api_root": partner.api_root,
        "collection_id": partner.collection_id,
        "auth_kind": partner.auth_kind,
        "username": partner.username,
        "ca_certificate_pem": partner.ca_certificate_pem,
    }
    form = PartnerForm(request.POST or None, initial=initial, partner=partner)
    if request.method == "POST" and form.is_valid():
        saved = run_service(
            request,
            lambda: services.partner_update(
                partner=partner,
                values=_settings(form),
                by=request.membership,
                ip_address=client_ip(request),
            ),
            "Partner settings saved.",
            form=form,
        )
        if saved:
            return redirect("government:partner", partner_uuid=partner.uuid)
    forwards = (
        policy.visible_forwards(request.membership)
        .filter(partner=partner)
        .select_related("report", "organisation")[:50]
    )
    failed = (
        Delivery.objects.filter(partner=partner, status=Delivery.Status.FAILED)
        .select_related("report")
        .order_by("-created_at")[:50]
    )
    return render(
        request,
        "government/partner_detail.html",
        {
            "partner": partner,
            "form": form,
            "forwards": forwards,
            "failed": failed,
            "dry_run_form": DryRunForm(),
        },
    )


@isac_admin_required
@require_POST
def partner_toggle(request: AuthenticatedRequest, partner_uuid: uuid.UUID) -> HttpResponse:
    partner = _partner(partner_uuid)
    active = not partner.is_active
    run_service(
        request,
        lambda: services.partner_set_active(
            partner=partner, active=active, by=request.membership, ip_address=client_ip(request)
        ),
        "Forwarding to the partner is on." if active else "Forwarding to the partner is off.",
    )
    return redirect("government:partner", partner_uuid=partner.uuid)


@isac_admin_required
@require_POST
def partner_check(request: AuthenticatedRequest, partner_uuid: uuid.UUID) -> HttpResponse:
    partner = _partner(partner_uuid)
    run_service(
        request,
        lambda: services.partner_check(partner=partner, by=request.membership),
        lambda message: message,
    )
    return redirect("government:partner", partner_uuid=partner.uuid)


@isac_admin_required
@require_POST
def partner_retry(request: AuthenticatedRequest, partner_uuid: uuid.UUID) -> HttpResponse:
    partner = _partner(partner_uuid)
    run_service(
        request,
        lambda: services.partner_retry_failed(
            partner=partner, by=request.membership, ip_address=client_ip(request)
        ),
        lambda n: f"{n} failed forward(s) queued again.",
    )
    return redirect("government:partner", partner_uuid=partner.uuid)


@isac_admin_required
def dry_run(request: AuthenticatedRequest, partner_uuid: uuid.UUID) -> HttpResponse:
    """Exactly the bundle that would leave for a report; nothing is sent."""
    partner = _partner(partner_uuid)
    form = DryRunForm(request.GET or None)
    preview = None
    report = None
    if form.is_valid():
        # Read through the policy like every other page: an ISAC admin never sees a RED
        # report here, and RED never leaves anyway.
        report = policy.visible_report(request.membership, uuid=form.cleaned_data["report"])
        if report is None:
            form.add_error("report", "No report with that id that you may read.")
        else:
            preview = selectors.dry_run(report=report, partner=partner)
    if preview is not None and request.GET.get("download"):
        response = HttpResponse(
            preview.prepared.content, content_type="application/stix+json;version=2.1"
        )
        response["Content-Disposition"] = (
            f'attachment; filename="dry-run-{report.uuid if report else "report"}.json"'
        )
        return response
    return render(
        request,
        "government/dry_run.html",
        {"partner": partner, "form": form, "report": report, "preview": preview},
    )


@member_required
def org_forwards(request: AuthenticatedRequest) -> HttpResponse:
    """The organisation's own reports forwarded to government partners: which version,
    under which consent and acceptance, what left (its hash), when, and what the partner
    said."""
    forwards = (
        policy.visible_forwards(request.membership)
        .filter(organisation_id=request.membership.organisation_id)
        .select_related("report", "partner", "acceptance__version", "consent_choice")
    )
    return render(
        request,
        "government/org_forwards.html",
        {"forwards": forwards[:500], "organisation": request.membership.organisation},
    )


@member_required
def org_forwards_csv(request: AuthenticatedRequest) -> HttpResponse:
    forwards = (
        policy.visible_forwards(request.membership)
        .filter(organisation_id=request.membership.organisation_id)
        .select_related("report", "partner", "acceptance__version", "consent_choice")
        .order_by("sent_at", "id")
    )
    response = HttpResponse(selectors.forwards_csv(forwards), content_type="text/csv")
    stamp = timezone.localdate().isoformat()
    response["Content-Disposition"] = f'attachment; filename="government-forwards-{stamp}.csv"'
    return response
