"""ISAC admin pages: organisations, their people, domains, status and acceptances."""

import csv
import uuid
from typing import Any

from django.contrib import messages
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from accounts.decorators import client_ip, isac_admin_required
from accounts.forms.members import (
    DomainForm,
    IsacInviteForm,
    OrganisationCreateForm,
    OrganisationFilterForm,
    OrganisationForm,
    ReasonForm,
    StatusForm,
)
from accounts.http import AuthenticatedRequest
from accounts.models import (
    AgreementAcceptance,
    Membership,
    Organisation,
    User,
)
from accounts.selectors.members import organisations_with_agreement_state
from accounts.services import agreements, invitations, organisations, people, signin
from accounts.standing import current_agreement_version
from accounts.web import run_service


def _filtered_organisations(request: HttpRequest) -> tuple[OrganisationFilterForm, Any]:
    form = OrganisationFilterForm(request.GET or None)
    organisations: Any = organisations_with_agreement_state()
    form.is_valid()
    # Each valid filter applies; an invalid one is shown as an error on the form.
    data = getattr(form, "cleaned_data", {})
    if data.get("q"):
        organisations = organisations.filter(
            Q(name__icontains=data["q"]) | Q(short_name__icontains=data["q"])
        )
    if data.get("status"):
        organisations = organisations.filter(status=data["status"])
    if data.get("sector"):
        organisations = organisations.filter(sectors=data["sector"])
    if data.get("agreement"):
        organisations = organisations.filter(agreement_state=data["agreement"])
    return form, organisations


@isac_admin_required
def organisation_list(request: AuthenticatedRequest) -> HttpResponse:
    form, organisations = _filtered_organisations(request)
    return render(
        request,
        "isac/organisation_list.html",
        {
            "form": form,
            "organisations": organisations,
            "query": request.GET.urlencode(),
            "current_version": current_agreement_version(),
        },
    )


@isac_admin_required
def organisation_export(request: AuthenticatedRequest) -> HttpResponse:
    """The filtered organisations list as CSV."""
    _, organisations = _filtered_organisations(request)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    stamp = timezone.now().strftime("%Y%m%d")
    response["Content-Disposition"] = f'attachment; filename="organisations-{stamp}.csv"'
    writer = csv.writer(response)
    writer.writerow(
        [
            "id",
            "name",
            "short_name",
            "status",
            "country",
            "sectors",
            "domains",
            "agreement_state",
            "accepted_at",
            "expires_at",
            "people",
        ]
    )
    for org in organisations:
        writer.writerow(
            [
                org.uuid,
                csv_cell(org.name),
                csv_cell(org.short_name),
                org.status,
                org.country,
                ";".join(s.slug for s in org.sectors.all()),
                ";".join(d.domain for d in org.domains.all()),
                org.agreement_state,
                org.agreement_accepted_at.isoformat() if org.agreement_accepted_at else "",
                org.agreement_expires_at.isoformat() if org.agreement_expires_at else "",
                org.people,
            ]
        )
    return response


def csv_cell(text: str) -> str:
    """Spreadsheets run cells that start with = + - @ as formulas; quote them as text."""
    return "'" + text if text[:1] in {"=", "+", "-", "@", "\t", "\r"} else text


@isac_admin_required
def organisation_create(request: AuthenticatedRequest) -> HttpResponse:
    form = OrganisationCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        created = run_service(
            request,
            lambda: organisations.organisation_create(
                name=data["name"],
                short_name=data["short_name"],
                country=data["country"],
                sectors=data["sectors"],
                domains=form.domain_list(),
                status=data["status"],
                require_mfa=data["require_mfa"],
                by=request.membership,
                ip_address=client_ip(request),
            ),
            lambda org: f"{org.name} created.",
            form=form,
        )
        if created:
            return redirect("isac-organisation", org_uuid=created.value.uuid)
    return render(request, "isac/organisation_form.html", {"form": form, "organisation": None})


def _organisation(org_uuid: uuid.UUID) -> Organisation:
    return get_object_or_404(Organisation, uuid=org_uuid)


@isac_admin_required
def organisation_detail(request: AuthenticatedRequest, org_uuid: uuid.UUID) -> HttpResponse:
    org = get_object_or_404(organisations_with_agreement_state(), uuid=org_uuid)
    memberships = org.memberships.select_related("user").order_by("-is_active", "user__email")
    return render(
        request,
        "isac/organisation_detail.html",
        {
            "organisation": org,
            "memberships": memberships,
            "invitations": org.invitations.select_related("invited_by")[:50],
            "acceptances": org.acceptances.select_related("version", "accepted_by", "revoked_by"),
            "events": org.audit_events.select_related("actor", "organisation")[:50],
            "status_form": StatusForm(initial={"status": org.status}),
            "domain_form": DomainForm(),
            "invite_form": IsacInviteForm(),
            "revoke_form": ReasonForm(),
            "roles": _roles_for(org),
        },
    )


def _roles_for(org: Organisation) -> list[tuple[str, str]]:
    if org.is_isac:
        return [(r.value, r.label) for r in Membership.Role if r in Membership.ISAC_ROLES]
    return [(r.value, r.label) for r in Membership.Role if r not in Membership.ISAC_ROLES]


@isac_admin_required
def organisation_edit(request: AuthenticatedRequest, org_uuid: uuid.UUID) -> HttpResponse:
    org = _organisation(org_uuid)
    initial = {
        "name": org.name,
        "short_name": org.short_name,
        "country": org.country,
        "sectors": org.sectors.all(),
        "require_mfa": org.require_mfa,
        "allow_any_invite_domain": org.allow_any_invite_domain,
    }
    form = OrganisationForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        if run_service(
            request,
            lambda: organisations.organisation_update(
                organisation=org,
                by=request.membership,
                name=data["name"],
                short_name=data["short_name"],
                country=data["country"],
                sectors=data["sectors"],
                require_mfa=data["require_mfa"],
                allow_any_invite_domain=data["allow_any_invite_domain"],
                ip_address=client_ip(request),
            ),
            "Organisation saved.",
            form=form,
        ):
            return redirect("isac-organisation", org_uuid=org.uuid)
    return render(request, "isac/organisation_form.html", {"form": form, "organisation": org})


@isac_admin_required
@require_POST
def organisation_status(request: AuthenticatedRequest, org_uuid: uuid.UUID) -> HttpResponse:
    org = _organisation(org_uuid)
    form = StatusForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose a status.")
    else:
        run_service(
            request,
            lambda: organisations.organisation_set_status(
                organisation=org,
                status=form.cleaned_data["status"],
                reason=form.cleaned_data["reason"],
                by=request.membership,
                ip_address=client_ip(request),
            ),
            f"{org.name} is now {form.cleaned_data['status']}.",
        )
    return redirect("isac-organisation", org_uuid=org.uuid)


@isac_admin_required
@require_POST
def organisation_domain_add(request: AuthenticatedRequest, org_uuid: uuid.UUID) -> HttpResponse:
    org = _organisation(org_uuid)
    form = DomainForm(request.POST)
    if form.is_valid():
        run_service(
            request,
            lambda: organisations.organisation_domain_add(
                organisation=org,
                domain=form.cleaned_data["domain"],
                by=request.membership,
                ip_address=client_ip(request),
            ),
            lambda row: f"{row.domain} registered.",
        )
    else:
        messages.error(request, "Enter a domain.")
    return redirect("isac-organisation", org_uuid=org.uuid)


@isac_admin_required
@require_POST
def organisation_domain_remove(request: AuthenticatedRequest, org_uuid: uuid.UUID) -> HttpResponse:
    org = _organisation(org_uuid)
    run_service(
        request,
        lambda: organisations.organisation_domain_remove(
            organisation=org,
            domain=request.POST.get("domain", ""),
            by=request.membership,
            ip_address=client_ip(request),
        ),
        "Domain removed.",
    )
    return redirect("isac-organisation", org_uuid=org.uuid)


@isac_admin_required
@require_POST
def organisation_invite(request: AuthenticatedRequest, org_uuid: uuid.UUID) -> HttpResponse:
    org = _organisation(org_uuid)
    form = IsacInviteForm(request.POST)
    if form.is_valid():
        run_service(
            request,
            lambda: invitations.invitation_create(
                organisation=org,
                email=form.cleaned_data["email"],
                role=form.cleaned_data["role"],
                by=request.membership,
                ip_address=client_ip(request),
            ),
            lambda invitation: f"Invitation sent to {invitation.email}.",
        )
    else:
        messages.error(request, "Enter a valid e-mail address and role.")
    return redirect("isac-organisation", org_uuid=org.uuid)


@isac_admin_required
@require_POST
def acceptance_revoke(request: AuthenticatedRequest, acceptance_uuid: uuid.UUID) -> HttpResponse:
    acceptance = get_object_or_404(
        AgreementAcceptance.objects.select_related("organisation"), uuid=acceptance_uuid
    )
    form = ReasonForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Say why the acceptance is revoked.")
    else:
        run_service(
            request,
            lambda: agreements.agreement_acceptance_revoke(
                acceptance=acceptance,
                reason=form.cleaned_data["reason"],
                by=request.membership,
                ip_address=client_ip(request),
            ),
            f"Acceptance revoked: {acceptance.organisation.name} is no longer in good standing.",
        )
    return redirect("isac-organisation", org_uuid=acceptance.organisation.uuid)


@isac_admin_required
@require_POST
def user_suspend(request: AuthenticatedRequest, user_uuid: uuid.UUID, action: str) -> HttpResponse:
    person = get_object_or_404(User, uuid=user_uuid)
    if action == "mfa-reset":
        run_service(
            request,
            lambda: signin.mfa_reset(
                user=person, by=request.membership, ip_address=client_ip(request)
            ),
            f"Two-factor sign-in of {person.email} reset.",
        )
    elif action in {"suspend", "reinstate"}:
        run_service(
            request,
            lambda: people.user_set_active(
                user=person,
                active=action == "reinstate",
                reason=request.POST.get("reason", ""),
                by=request.membership,
                ip_address=client_ip(request),
            ),
            f"{person.email} {'reinstated' if action == 'reinstate' else 'suspended'}.",
        )
    else:
        raise Http404
    org_uuid = request.POST.get("organisation", "")
    try:
        return redirect("isac-organisation", org_uuid=uuid.UUID(org_uuid))
    except ValueError:
        return redirect("isac-organisations")
