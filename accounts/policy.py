"""Who may do what on the accounts side: every account predicate, in one place.

The actor is always a membership: the organisation a person acts for and their role in it
(`request.membership` on a page, the token's membership over the API, `by=` in a service).
Page decorators, the API and the services ask the functions below, so a page never lets
through what its service refuses, nor the other way round. What members may see of shared
material is decided by sharing.policy, which builds on these.

Membership's role properties (`is_isac_admin`, `is_org_admin`, `is_isac_staff`) only read
the role; the predicates here also require the membership to be in force.
"""

from collections.abc import Iterable

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet

from accounts.models import (
    Invitation,
    Membership,
    Organisation,
    TrustGroup,
    TrustGroupMember,
    User,
)
from accounts.standing import is_in_good_standing

# A suspended or offboarded organisation's people cannot act for it at all: their sessions
# for it end at once. Applicants may sign in to accept the agreement.
USABLE_STATUSES = (Organisation.Status.APPLICANT, Organisation.Status.ACTIVE)


def in_force(membership: Membership) -> bool:
    """An active membership of an active person in an organisation that may act."""
    return (
        membership.is_active
        and membership.user.is_active
        and membership.organisation.status in USABLE_STATUSES
    )


def is_isac_admin(membership: Membership | None) -> bool:
    """Acting for the ISAC as an ISAC admin: every organisation is theirs to manage."""
    return (
        membership is not None
        and membership.role == Membership.Role.ISAC_ADMIN
        and membership.organisation.is_isac
        and in_force(membership)
    )


def is_member_org_admin(membership: Membership | None) -> bool:
    """Acting for a member organisation as its admin (ISAC admins are not: the ISAC signs no
    agreement and has no organisation pages of its own)."""
    return (
        membership is not None
        and membership.role == Membership.Role.ORG_ADMIN
        and in_force(membership)
    )


def is_org_admin(membership: Membership | None) -> bool:
    """An admin of the organisation it acts for: its org admin, or an ISAC admin."""
    return is_member_org_admin(membership) or is_isac_admin(membership)


def administers(membership: Membership, organisation_id: int | None) -> bool:
    """Whether the membership is an admin of that very organisation.

    Reads the role and the organisation only: pass a membership already known to be in force
    (the acting one), as sharing.policy does for every viewer.
    """
    return membership.is_org_admin and membership.organisation_id == organisation_id


def manages_people_of(membership: Membership | None, organisation: Organisation) -> bool:
    """Org admins manage their own organisation's people and invitations; ISAC admins manage
    every organisation's."""
    if is_isac_admin(membership):
        return True
    return (
        membership is not None
        and is_member_org_admin(membership)
        and membership.organisation_id == organisation.pk
    )


def memberships_managed_by(membership: Membership) -> QuerySet[Membership]:
    """The memberships whose role and access the acting membership may change."""
    rows = Membership.objects.select_related("user", "organisation")
    if is_isac_admin(membership):
        return rows
    if is_member_org_admin(membership):
        return rows.filter(organisation_id=membership.organisation_id)
    return rows.none()


def invitations_managed_by(membership: Membership) -> QuerySet[Invitation]:
    """The invitations to organisations the acting membership may withdraw."""
    rows = Invitation.objects.select_related("organisation")
    if is_isac_admin(membership):
        return rows
    if is_member_org_admin(membership):
        return rows.filter(organisation_id=membership.organisation_id)
    return rows.none()


def requires_mfa(user: User) -> bool:
    """Two factors are always required of ISAC staff, and of members of an organisation that
    asks for them, and of anyone who may open the Django admin site."""
    memberships = Membership.objects.filter(user=user, is_active=True).values_list(
        "organisation__is_isac", "role", "organisation__require_mfa"
    )
    return requires_mfa_given(user, memberships)


def requires_mfa_given(user: User, memberships: Iterable[tuple[bool, str, bool]]) -> bool:
    """`requires_mfa` from memberships already read, as (organisation is the ISAC, role,
    organisation asks for two factors): the sign-in middleware reads them once per request
    for other questions too."""
    if user.is_staff or user.is_superuser:
        return True
    return any(
        (is_isac and role in Membership.ISAC_ROLES) or organisation_requires
        for is_isac, role, organisation_requires in memberships
    )


# --- Trust groups (their members see reports addressed to them: sharing.policy).


def is_group_member(*, group: TrustGroup, organisation: Organisation) -> bool:
    return TrustGroupMember.objects.filter(group=group, organisation=organisation).exists()


def can_manage_group(*, group: TrustGroup, by: Membership | None) -> bool:
    """Owner's org admins, ISAC admins, and moderators whose organisation is in the group."""
    if by is None or not by.is_active or not is_in_good_standing(by.organisation):
        return False
    if is_isac_admin(by):
        return True
    if group.is_sector_community:
        return False
    if administers(by, group.owner_id):
        return True
    return group.moderators.filter(pk=by.user_id).exists() and is_group_member(
        group=group, organisation=by.organisation
    )


# --- For services: refuse with PermissionDenied. `by=None` is the system itself
# (migrations, seed_demo, management commands, fixtures), which may do anything.


def require_isac_admin(
    by: Membership | None, message: str = "Only ISAC admins can do this."
) -> None:
    if by is not None and not is_isac_admin(by):
        raise PermissionDenied(message)


def require_manages_people_of(
    by: Membership | None,
    organisation: Organisation,
    message: str = "You can only manage the people of your own organisation.",
) -> None:
    if by is not None and not manages_people_of(by, organisation):
        raise PermissionDenied(message)
