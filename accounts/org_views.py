"""Organisation admin pages: my organisation, its people and invitations, and the agreement
page where any member reads the agreement and an org admin accepts it."""

import uuid

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from accounts import agreement_services, invitation_services, services
from accounts.decorators import client_ip, org_admin_required
from accounts.forms import AcceptAgreementForm, InviteForm, RoleForm
from accounts.models import AgreementVersion, Invitation, Membership
from accounts.standing import current_agreement_version, is_in_good_standing
from accounts.waiting import isac_contacts, organisations_without_admin
from accounts.web import acting_member, acting_membership, error_text
from portal.markdown import render_markdown


@org_admin_required
def my_organisation(request: HttpRequest) -> HttpResponse:
    org = acting_member(request).organisation
    version = current_agreement_version()
    return render(
        request,
        "organisation/overview.html",
        {
            "organisation": org,
            "in_good_standing": is_in_good_standing(org),
            "current_version": version,
            "acceptance": (
                agreement_services.acceptance_in_force(org, version) if version else None
            ),
            "acceptances": org.acceptances.select_related("version", "accepted_by")[:20],
            "people_count": org.memberships.filter(is_active=True).count(),
        },
    )


@org_admin_required
@require_POST
def require_mfa(request: HttpRequest) -> HttpResponse:
    org = acting_member(request).organisation
    try:
        services.organisation_require_mfa(
            organisation=org,
            by=request.user,  # type: ignore[arg-type]
            ip_address=client_ip(request),
        )
    except (ValidationError, PermissionDenied) as error:
        messages.error(request, error_text(error))
    else:
        messages.success(
            request, f"Everyone at {org.name} now signs in with two factors, you included."
        )
    return redirect("org-overview")


@org_admin_required
def people(request: HttpRequest) -> HttpResponse:
    org = acting_member(request).organisation
    form = InviteForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            invitation = invitation_services.invitation_create(
                organisation=org,
                email=form.cleaned_data["email"],
                role=form.cleaned_data["role"],
                by=request.user,  # type: ignore[arg-type]
                ip_address=client_ip(request),
            )
        except (ValidationError, PermissionDenied) as error:
            form.add_error(None, error_text(error))
        else:
            messages.success(request, f"Invitation sent to {invitation.email}.")
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


def _manageable_membership(request: HttpRequest, membership_uuid: uuid.UUID) -> Membership:
    """A membership the acting person may manage: in their own organisation, or any for an
    ISAC admin. Any other answers 404."""
    acting = acting_membership(request)
    if acting is None or not acting.is_org_admin:
        raise Http404
    memberships = Membership.objects.select_related("user", "organisation")
    if not acting.is_isac_admin:
        memberships = memberships.filter(organisation=acting.organisation)
    return get_object_or_404(memberships, uuid=membership_uuid)


def _back(request: HttpRequest, membership: Membership) -> HttpResponse:
    next_url = request.POST.get("next", "")
    if url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}):
        return redirect(next_url)
    if acting_member(request).is_isac_admin:
        return redirect("isac-organisation", org_uuid=membership.organisation.uuid)
    return redirect("org-people")


@login_required
@require_POST
def membership_role(request: HttpRequest, membership_uuid: uuid.UUID) -> HttpResponse:
    membership = _manageable_membership(request, membership_uuid)
    form = RoleForm(request.POST)
    try:
        if not form.is_valid():
            raise ValidationError("Choose a role.")
        services.membership_set_role(
            membership=membership,
            role=form.cleaned_data["role"],
            by=request.user,  # type: ignore[arg-type]
            ip_address=client_ip(request),
        )
    except (ValidationError, PermissionDenied) as error:
        messages.error(request, error_text(error))
    else:
        messages.success(request, f"{membership.user.email} is now {form.cleaned_data['role']}.")
    return _back(request, membership)


@login_required
@require_POST
def membership_active(request: HttpRequest, membership_uuid: uuid.UUID) -> HttpResponse:
    membership = _manageable_membership(request, membership_uuid)
    remove = request.POST.get("action") == "remove"
    try:
        if remove:
            services.membership_deactivate(
                membership=membership,
                by=request.user,  # type: ignore[arg-type]
                ip_address=client_ip(request),
            )
        else:
            services.membership_reactivate(
                membership=membership,
                by=request.user,  # type: ignore[arg-type]
                ip_address=client_ip(request),
            )
    except (ValidationError, PermissionDenied) as error:
        messages.error(request, error_text(error))
    else:
        verb = "removed from" if remove else "back in"
        messages.success(request, f"{membership.user.email} is {verb} {membership.organisation}.")
    return _back(request, membership)


@login_required
@require_POST
def invitation_revoke(request: HttpRequest, invitation_uuid: uuid.UUID) -> HttpResponse:
    acting = acting_membership(request)
    if acting is None or not acting.is_org_admin:
        raise Http404
    invitations = Invitation.objects.select_related("organisation")
    if not acting.is_isac_admin:
        invitations = invitations.filter(organisation=acting.organisation)
    invitation = get_object_or_404(invitations, uuid=invitation_uuid)
    try:
        invitation_services.invitation_revoke(
            invitation=invitation,
            by=request.user,  # type: ignore[arg-type]
            ip_address=client_ip(request),
        )
    except (ValidationError, PermissionDenied) as error:
        messages.error(request, error_text(error))
    else:
        messages.success(request, f"Invitation of {invitation.email} withdrawn.")
    if acting.is_isac_admin:
        return redirect("isac-organisation", org_uuid=invitation.organisation.uuid)
    return redirect("org-people")


@login_required
def agreement(request: HttpRequest) -> HttpResponse:
    """Every member reads the current agreement here; an org admin accepts it."""
    acting = acting_membership(request)
    if acting is None or acting.organisation.is_isac:
        raise Http404
    org = acting.organisation
    version = current_agreement_version()
    can_accept = acting.role == Membership.Role.ORG_ADMIN
    form = AcceptAgreementForm(
        request.POST or None, initial={"version": version.uuid if version else None}
    )
    if request.method == "POST":
        if not can_accept:
            raise Http404
        if form.is_valid():
            read = AgreementVersion.objects.filter(uuid=form.cleaned_data["version"]).first()
            try:
                if read is None:
                    raise ValidationError("That agreement version does not exist.")
                agreement_services.agreement_accept(
                    organisation=org,
                    version=read,
                    by=request.user,  # type: ignore[arg-type]
                    typed_full_name=form.cleaned_data["typed_full_name"],
                    ip_address=client_ip(request),
                )
            except (ValidationError, PermissionDenied) as error:
                form.add_error(None, error_text(error))
            else:
                messages.success(
                    request,
                    f"Thank you: {org.name} accepted version {read.version_label}.",
                )
                return redirect("org-agreement")
    return render(
        request,
        "organisation/agreement.html",
        {
            "organisation": org,
            "version": version,
            "body_html": render_markdown(version.body_markdown) if version else "",
            "acceptance": agreement_services.acceptance_in_force(org, version) if version else None,
            "renewable_from_days": agreement_services.RENEWAL_WINDOW_DAYS,
            "can_accept": can_accept,
            "form": form,
            "in_good_standing": is_in_good_standing(org),
            "isac_contacts": (
                isac_contacts() if organisations_without_admin().filter(pk=org.pk).exists() else []
            ),
        },
    )
