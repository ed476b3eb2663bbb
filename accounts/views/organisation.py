"""Organisation admin pages: my organisation, its people and invitations, and the agreement
page where any member reads the agreement and an org admin accepts it."""

import uuid

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from accounts import policy
from accounts.consent import organisation_consent
from accounts.decorators import admin_required, client_ip, member_required, org_admin_required
from accounts.forms.members import (
    AcceptAgreementForm,
    ForwardingConsentForm,
    InviteForm,
    RoleForm,
)
from accounts.http import AuthenticatedRequest
from accounts.models import AgreementVersion, ForwardingConsent, Membership, Organisation
from accounts.services import agreements, invitations, organisations
from accounts.services import consent as consent_services
from accounts.services.people import (
    membership_deactivate,
    membership_reactivate,
    membership_set_role,
)
from accounts.standing import current_agreement_version, is_in_good_standing
from accounts.waiting import isac_contacts, organisations_without_admin
from accounts.web import run_service
from portal.markdown import render_markdown


@org_admin_required
def my_organisation(request: AuthenticatedRequest) -> HttpResponse:
    org = request.membership.organisation
    version = current_agreement_version()
    return render(
        request,
        "organisation/overview.html",
        {
            "organisation": org,
            "in_good_standing": is_in_good_standing(org),
            "current_version": version,
            "acceptance": (agreements.acceptance_in_force(org, version) if version else None),
            "acceptances": org.acceptances.select_related("version", "accepted_by")[:20],
            "people_count": org.memberships.filter(is_active=True).count(),
        },
    )


@org_admin_required
@require_POST
def require_mfa(request: AuthenticatedRequest) -> HttpResponse:
    org = request.membership.organisation
    run_service(
        request,
        lambda: organisations.organisation_require_mfa(
            organisation=org, by=request.membership, ip_address=client_ip(request)
        ),
        f"Everyone at {org.name} now signs in with two factors, you included.",
    )
    return redirect("org-overview")


@org_admin_required
def people(request: AuthenticatedRequest) -> HttpResponse:
    org = request.membership.organisation
    form = InviteForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        saved = run_service(
            request,
            lambda: invitations.invitation_create(
                organisation=org,
                email=form.cleaned_data["email"],
                role=form.cleaned_data["role"],
                by=request.membership,
                ip_address=client_ip(request),
            ),
            lambda invitation: f"Invitation sent to {invitation.email}.",
            form=form,
        )
        if saved:
            return redirect("org-people")
    return render(
        request,
        "organisation/people.html",
        {
            "organisation": org,
            "memberships": org.memberships.select_related("user").order_by(
                "-is_active", "user__email"
            ),
            "invitations": org.invitations.select_related("invited_by").filter(
                accepted_at__isnull=True
            )[:50],
            "form": form,
            "roles": [
                (r.value, r.label) for r in Membership.Role if r not in Membership.ISAC_ROLES
            ],
        },
    )


def _manageable_membership(request: AuthenticatedRequest, membership_uuid: uuid.UUID) -> Membership:
    """A membership the acting person may manage (accounts.policy); any other answers 404."""
    return get_object_or_404(
        policy.memberships_managed_by(request.membership), uuid=membership_uuid
    )


def _back(request: AuthenticatedRequest, membership: Membership) -> HttpResponse:
    next_url = request.POST.get("next", "")
    if url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}):
        return redirect(next_url)
    if policy.is_isac_admin(request.membership):
        return redirect("isac-organisation", org_uuid=membership.organisation.uuid)
    return redirect("org-people")


@admin_required
@require_POST
def membership_role(request: AuthenticatedRequest, membership_uuid: uuid.UUID) -> HttpResponse:
    membership = _manageable_membership(request, membership_uuid)
    form = RoleForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose a role.")
    else:
        run_service(
            request,
            lambda: membership_set_role(
                membership=membership,
                role=form.cleaned_data["role"],
                by=request.membership,
                ip_address=client_ip(request),
            ),
            f"{membership.user.email} is now {form.cleaned_data['role']}.",
        )
    return _back(request, membership)


@admin_required
@require_POST
def membership_active(request: AuthenticatedRequest, membership_uuid: uuid.UUID) -> HttpResponse:
    membership = _manageable_membership(request, membership_uuid)
    remove = request.POST.get("action") == "remove"
    change = membership_deactivate if remove else membership_reactivate
    verb = "removed from" if remove else "back in"
    run_service(
        request,
        lambda: change(membership=membership, by=request.membership, ip_address=client_ip(request)),
        f"{membership.user.email} is {verb} {membership.organisation}.",
    )
    return _back(request, membership)


@admin_required
@require_POST
def invitation_revoke(request: AuthenticatedRequest, invitation_uuid: uuid.UUID) -> HttpResponse:
    invitation = get_object_or_404(
        policy.invitations_managed_by(request.membership), uuid=invitation_uuid
    )
    run_service(
        request,
        lambda: invitations.invitation_revoke(
            invitation=invitation, by=request.membership, ip_address=client_ip(request)
        ),
        f"Invitation of {invitation.email} withdrawn.",
    )
    if policy.is_isac_admin(request.membership):
        return redirect("isac-organisation", org_uuid=invitation.organisation.uuid)
    return redirect("org-people")


def _consent_initial(org: Organisation) -> dict[str, object]:
    """The last consent the organisation chose (under any acceptance), to start from."""
    last = ForwardingConsent.objects.filter(organisation=org).order_by("-chosen_at", "-id").first()
    if last is None:
        return {"forwarding_scope": ForwardingConsent.Scope.NONE}
    return {"forwarding_scope": last.scope, "cisa_proprietary": last.cisa_proprietary}


@org_admin_required
@require_POST
def forwarding_consent(request: AuthenticatedRequest) -> HttpResponse:
    """An org admin changes the government forwarding consent under the acceptance in force."""
    org = request.membership.organisation
    form = ForwardingConsentForm(request.POST)
    if form.is_valid():
        run_service(
            request,
            lambda: consent_services.forwarding_consent_set(
                organisation=org,
                scope=form.cleaned_data["forwarding_scope"],
                cisa_proprietary=bool(form.cleaned_data.get("cisa_proprietary")),
                by=request.membership,
                ip_address=client_ip(request),
            ),
            "Forwarding consent saved; it applies to every report from now on.",
        )
    else:
        messages.error(request, "Choose who the ISAC may forward your reports to.")
    return redirect("org-agreement")


@member_required
def agreement(request: AuthenticatedRequest) -> HttpResponse:
    """Every member reads the current agreement here; an org admin accepts it."""
    org = request.membership.organisation
    if org.is_isac:
        raise Http404
    version = current_agreement_version()
    can_accept = policy.is_member_org_admin(request.membership)
    standing_consent = organisation_consent(org)
    forwarding = bool(version and version.may_forward_to_government)
    form = AcceptAgreementForm(
        request.POST or None,
        forwarding=forwarding,
        initial={
            "version": version.uuid if version else None,
            **_consent_initial(org),
        },
    )
    if request.method == "POST":
        if not can_accept:
            raise Http404
        if form.is_valid():
            read = AgreementVersion.objects.filter(uuid=form.cleaned_data["version"]).first()
            if read is None:
                form.add_error(None, "That agreement version does not exist.")
            elif run_service(
                request,
                lambda: agreements.agreement_accept(
                    organisation=org,
                    version=read,
                    by=request.membership,
                    typed_full_name=form.cleaned_data["typed_full_name"],
                    ip_address=client_ip(request),
                    forwarding_scope=form.cleaned_data.get("forwarding_scope"),
                    cisa_proprietary=bool(form.cleaned_data.get("cisa_proprietary")),
                ),
                f"Thank you: {org.name} accepted version {read.version_label}.",
                form=form,
            ):
                return redirect("org-agreement")
    return render(
        request,
        "organisation/agreement.html",
        {
            "organisation": org,
            "version": version,
            "body_html": render_markdown(version.body_markdown) if version else "",
            "acceptance": agreements.acceptance_in_force(org, version) if version else None,
            "renewable_from_days": agreements.RENEWAL_WINDOW_DAYS,
            "can_accept": can_accept,
            "form": form,
            "consent": standing_consent,
            "consent_form": ForwardingConsentForm(initial=_consent_initial(org))
            if forwarding and standing_consent.acceptance is not None
            else None,
            "in_good_standing": is_in_good_standing(org),
            "isac_contacts": (
                isac_contacts() if organisations_without_admin().filter(pk=org.pk).exists() else []
            ),
        },
    )
