"""Inviting people into an organisation by e-mail, and accepting an invitation.

The link's secret is made when the e-mail is sent (by a task, after the invitation row is
committed) and only its hash is stored; a link works once and until it expires.
"""

import hashlib
import secrets
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage
from django.core.validators import validate_email
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from accounts.audit import audit_record
from accounts.models import Invitation, Membership, Organisation, User
from accounts.policy import USABLE_STATUSES, require_isac_admin, require_manages_people_of
from accounts.services.people import membership_create, user_create, user_set_password
from portal.enqueue import enqueue_on_commit

MEMBER_ROLES = (Membership.Role.ANALYST, Membership.Role.ORG_ADMIN)


class InvitationUnusable(ValidationError):
    """The link is unknown, expired, revoked or already used; the message says which."""


def _sha256(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


@transaction.atomic
def invitation_create(
    *,
    organisation: Organisation,
    email: str,
    role: str,
    by: Membership,
    ip_address: str | None = None,
) -> Invitation:
    """Invite someone; the e-mail goes out after commit (accounts.tasks.send_invitation_email)."""
    require_manages_people_of(
        by, organisation, "You can only invite people to your own organisation."
    )
    email = email.strip().lower()
    try:
        validate_email(email)
    except ValidationError:
        raise ValidationError(f"“{email}” is not a valid e-mail address.") from None
    if organisation.status not in USABLE_STATUSES:
        raise ValidationError(
            f"{organisation.name} is {organisation.get_status_display().lower()}."
        )
    if organisation.is_isac:
        allowed_roles: tuple[str, ...] = tuple(Membership.ISAC_ROLES)
        require_isac_admin(by, "Only ISAC admins invite ISAC staff.")
    else:
        allowed_roles = MEMBER_ROLES
    if role not in allowed_roles:
        raise ValidationError(f"People of {organisation.name} cannot be given that role.")
    domain = email.rsplit("@", 1)[1]
    registered = set(organisation.domains.values_list("domain", flat=True))
    if domain not in registered and not organisation.allow_any_invite_domain:
        listed = ", ".join(sorted(registered)) or "none registered yet"
        raise ValidationError(
            f"{email} is not at one of {organisation.name}'s registered domains ({listed}). "
            "An ISAC admin can allow invitations to other domains."
        )
    if Membership.objects.filter(
        organisation=organisation, user__email__iexact=email, is_active=True
    ).exists():
        raise ValidationError(f"{email} is already a member of {organisation.name}.")
    now = timezone.now()
    # A new invitation replaces any open one for the same address.
    Invitation.objects.filter(
        organisation=organisation, email=email, accepted_at__isnull=True, revoked_at__isnull=True
    ).update(revoked_at=now)
    invitation = Invitation.objects.create(
        organisation=organisation,
        email=email,
        role=role,
        invited_by=by.user,
        expires_at=now + timedelta(days=settings.INVITATION_VALID_DAYS),
    )
    audit_record(
        action="invitation.create",
        obj=invitation,
        by=by,
        organisation=organisation,
        ip_address=ip_address,
        after={"email": email, "role": role, "expires_at": invitation.expires_at.isoformat()},
    )
    enqueue_on_commit("accounts.tasks.send_invitation_email", invitation.pk)
    return invitation


@transaction.atomic
def invitation_send(*, invitation_id: int) -> bool:
    """Make the link's secret, store its hash and e-mail the link; False if nothing to send.

    The row stays locked while the e-mail goes out, so two workers never send the same one;
    if sending fails the transaction rolls back and the sweep tries again.
    """
    invitation = (
        Invitation.objects.select_for_update(skip_locked=True, of=("self",))
        .select_related("organisation", "invited_by")
        .filter(pk=invitation_id, sent_at__isnull=True)
        .first()
    )
    if invitation is None or not invitation.is_open:
        return False
    secret = secrets.token_urlsafe(32)
    invitation.token_sha256 = _sha256(secret)
    invitation.sent_at = timezone.now()
    invitation.save(update_fields=["token_sha256", "sent_at"])
    link = settings.PORTAL_BASE_URL.rstrip("/") + reverse("invitation-accept", args=[secret])
    context = {"invitation": invitation, "link": link}
    EmailMessage(
        subject=f"You are invited to {invitation.organisation.name} on the ISAC portal",
        body=render_to_string("accounts/email/invitation.txt", context),
        to=[invitation.email],
    ).send()
    return True


def invitation_for_token(secret: str) -> Invitation:
    """The invitation a link stands for, if it can still be used; else InvitationUnusable."""
    invitation = (
        Invitation.objects.select_related("organisation")
        .filter(token_sha256=_sha256(secret))
        .exclude(token_sha256="")
        .first()
    )
    if invitation is None:
        raise InvitationUnusable("This invitation link is not valid. Check you copied all of it.")
    if invitation.accepted_at is not None:
        raise InvitationUnusable("This invitation has already been used. Sign in instead.")
    if invitation.revoked_at is not None:
        raise InvitationUnusable("This invitation was withdrawn. Ask for a new one.")
    if invitation.is_expired:
        raise InvitationUnusable(
            "This invitation has expired. Ask your organisation's admin for a new one."
        )
    if invitation.organisation.status not in USABLE_STATUSES:
        raise InvitationUnusable("This organisation no longer accepts new people.")
    return invitation


@transaction.atomic
def invitation_accept(
    *,
    secret: str,
    full_name: str = "",
    password: str = "",
    signed_in_user: User | None = None,
    ip_address: str | None = None,
) -> Membership:
    """Accept: a new person sets their name and password; someone who already has an account
    must be signed in as the invited address."""
    invitation = invitation_for_token(secret)
    invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
    if invitation.accepted_at is not None:
        raise InvitationUnusable("This invitation has already been used. Sign in instead.")
    existing = User.objects.filter(email__iexact=invitation.email).first()
    if existing is not None:
        if signed_in_user is None or signed_in_user.pk != existing.pk:
            raise ValidationError(
                f"There is already an account for {invitation.email}: sign in as that "
                "account, then open the link again."
            )
        user = existing
    else:
        if not full_name.strip():
            raise ValidationError("Enter your full name.")
        user = user_create(email=invitation.email, full_name=full_name.strip(), password=None)
        user_set_password(user=user, password=password, ip_address=ip_address)
    membership = Membership.objects.filter(user=user, organisation=invitation.organisation).first()
    if membership is None:
        membership = membership_create(
            user=user, organisation=invitation.organisation, role=invitation.role, by=None
        )
    else:
        # A person removed earlier comes back with the invited role.
        Membership.objects.filter(pk=membership.pk).update(is_active=True, role=invitation.role)
        membership.refresh_from_db()
    invitation.accepted_at = timezone.now()
    invitation.accepted_by = user
    invitation.save(update_fields=["accepted_at", "accepted_by"])
    audit_record(
        action="invitation.accept",
        obj=invitation,
        actor=user,
        organisation=invitation.organisation,
        ip_address=ip_address,
        after={"email": invitation.email, "role": invitation.role},
    )
    return membership


@transaction.atomic
def invitation_revoke(
    *, invitation: Invitation, by: Membership, ip_address: str | None = None
) -> Invitation:
    require_manages_people_of(
        by, invitation.organisation, "You can only withdraw your own organisation's invitations."
    )
    invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
    if invitation.accepted_at is not None or invitation.revoked_at is not None:
        raise ValidationError("This invitation is no longer open.")
    invitation.revoked_at = timezone.now()
    invitation.save(update_fields=["revoked_at"])
    audit_record(
        action="invitation.revoke",
        obj=invitation,
        by=by,
        organisation=invitation.organisation,
        ip_address=ip_address,
        before={"email": invitation.email, "open": True},
        after={"open": False},
    )
    return invitation


def invitations_unsent() -> list[int]:
    """Open invitations whose e-mail has not gone out (a lost task, a failed send)."""
    stale = timezone.now() - timedelta(minutes=5)
    return list(
        Invitation.objects.filter(
            sent_at__isnull=True,
            accepted_at__isnull=True,
            revoked_at__isnull=True,
            expires_at__gt=timezone.now(),
            created_at__lt=stale,
        ).values_list("pk", flat=True)
    )
