"""Every change to people and their memberships goes through these functions.

Each checks that the acting membership (`by`) may make the change, validates its input and
raises ValidationError (bad input) or PermissionDenied (not allowed) before changing
anything, and writes the change to the audit log with its before and after. `by=None` is
the system itself (seed_demo, management commands).
"""

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction

from accounts.audit import audit_record
from accounts.models import Membership, Organisation, User
from accounts.policy import require_isac_admin, require_manages_people_of


@transaction.atomic
def user_create(
    *,
    email: str,
    full_name: str,
    password: str | None,
    by: Membership | None = None,
    is_staff: bool = False,
) -> User:
    email = email.strip().lower()
    if User.objects.filter(email__iexact=email).exists():
        raise ValidationError(f"There is already an account for {email}.")
    user = User.objects.create_user(email, password, full_name=full_name, is_staff=is_staff)
    audit_record(action="user.create", obj=user, by=by, after={"email": user.email})
    return user


@transaction.atomic
def membership_create(
    *,
    user: User,
    organisation: Organisation,
    role: str,
    by: Membership | None,
    ip_address: str | None = None,
) -> Membership:
    require_manages_people_of(by, organisation)
    _check_role(role=role, organisation=organisation, by=by)
    existing = Membership.objects.filter(user=user, organisation=organisation).first()
    if existing is not None:
        raise ValidationError(f"{user.email} is already a member of {organisation.name}.")
    membership = Membership.objects.create(user=user, organisation=organisation, role=role)
    audit_record(
        action="membership.create",
        obj=membership,
        by=by,
        organisation=organisation,
        ip_address=ip_address,
        after={"user": user.email, "role": role},
    )
    return membership


def _check_role(*, role: str, organisation: Organisation, by: Membership | None) -> None:
    if role not in Membership.Role.values:
        raise ValidationError(f"Unknown role {role!r}.")
    if role in Membership.ISAC_ROLES:
        if not organisation.is_isac:
            raise ValidationError("ISAC roles can only be held in the ISAC organisation.")
        require_isac_admin(by)
    elif organisation.is_isac:
        raise ValidationError("People of the ISAC organisation hold ISAC roles.")


@transaction.atomic
def membership_set_role(
    *, membership: Membership, role: str, by: Membership | None, ip_address: str | None = None
) -> Membership:
    row = Membership.objects.select_for_update().select_related("organisation", "user")
    membership = row.get(pk=membership.pk)
    require_manages_people_of(by, membership.organisation)
    _check_role(role=role, organisation=membership.organisation, by=by)
    if membership.role == role:
        return membership
    admin_roles = {Membership.Role.ORG_ADMIN, Membership.Role.ISAC_ADMIN}
    _keep_one_admin(membership, leaving=role not in admin_roles)
    before = membership.role
    membership.role = role
    membership.save(update_fields=["role"])
    audit_record(
        action="membership.role",
        obj=membership,
        by=by,
        organisation=membership.organisation,
        ip_address=ip_address,
        before={"user": membership.user.email, "role": before},
        after={"user": membership.user.email, "role": role},
    )
    return membership


def _keep_one_admin(membership: Membership, *, leaving: bool) -> None:
    """An organisation keeps at least one active admin, so it is never left unmanaged."""
    if not leaving or not membership.is_active or not membership.is_org_admin:
        return
    others = (
        Membership.objects.filter(
            organisation=membership.organisation,
            is_active=True,
            user__is_active=True,
            role=membership.role,
        )
        .exclude(pk=membership.pk)
        .exists()
    )
    if not others:
        raise ValidationError(
            f"{membership.user.email} is the last admin of {membership.organisation.name}; "
            "make someone else an admin first."
        )


@transaction.atomic
def membership_deactivate(
    *, membership: Membership, by: Membership | None, ip_address: str | None = None
) -> Membership:
    """Remove a person from an organisation; their session and API tokens for it stop working."""
    return _membership_set_active(membership, active=False, by=by, ip_address=ip_address)


@transaction.atomic
def membership_reactivate(
    *, membership: Membership, by: Membership | None, ip_address: str | None = None
) -> Membership:
    return _membership_set_active(membership, active=True, by=by, ip_address=ip_address)


def _membership_set_active(
    membership: Membership, *, active: bool, by: Membership | None, ip_address: str | None
) -> Membership:
    row = Membership.objects.select_for_update().select_related("organisation", "user")
    membership = row.get(pk=membership.pk)
    require_manages_people_of(by, membership.organisation)
    if membership.is_active == active:
        state = "active" if active else "removed"
        raise ValidationError(f"{membership.user.email} is already {state}.")
    if not active:
        _keep_one_admin(membership, leaving=True)
    membership.is_active = active
    membership.save(update_fields=["is_active"])
    audit_record(
        action="membership.reactivate" if active else "membership.deactivate",
        obj=membership,
        by=by,
        organisation=membership.organisation,
        ip_address=ip_address,
        before={"user": membership.user.email, "is_active": not active},
        after={"user": membership.user.email, "is_active": active},
    )
    return membership


@transaction.atomic
def user_set_active(
    *,
    user: User,
    active: bool,
    by: Membership | None,
    reason: str = "",
    ip_address: str | None = None,
) -> User:
    """Suspend or reinstate a person everywhere (ISAC admins). A suspended person's sessions
    end on their next request and their API tokens stop working at once."""
    require_isac_admin(by)
    if by is not None and by.user_id == user.pk:
        raise ValidationError("You cannot suspend yourself.")
    user = User.objects.select_for_update().get(pk=user.pk)
    if user.is_active == active:
        raise ValidationError(f"{user.email} is already {'active' if active else 'suspended'}.")
    user.is_active = active
    user.save(update_fields=["is_active"])
    audit_record(
        action="user.reinstate" if active else "user.suspend",
        obj=user,
        by=by,
        ip_address=ip_address,
        before={"is_active": not active},
        after={"is_active": active, "reason": reason.strip()},
    )
    return user


@transaction.atomic
def user_set_password(*, user: User, password: str, ip_address: str | None = None) -> User:
    """The person sets their own password (on accepting an invitation)."""
    validate_password(password, user)
    user.set_password(password)
    user.save(update_fields=["password"])
    audit_record(action="user.set_password", obj=user, actor=user, ip_address=ip_address)
    return user
