"""Reads of trust groups: which groups a person sees, and what they see of each.

Groups are not shared material, but their existence and members are still private to the
people they concern: a group the viewer may not see answers 404 like a report would.
"""

from uuid import UUID

from django.db.models import Count, Exists, OuterRef, Q, QuerySet

from accounts.models import Membership, Organisation
from accounts.models.groups import TrustGroup, TrustGroupInvitation, TrustGroupMember
from accounts.policy import can_manage_group, is_isac_admin
from accounts.standing import is_in_good_standing


def _member_q(organisation: Organisation) -> Q:
    """Groups the organisation belongs to; sector communities read live from its sectors."""
    member_row = Exists(
        TrustGroupMember.objects.filter(group_id=OuterRef("pk"), organisation_id=organisation.pk)
    )
    community = Q(kind=TrustGroup.Kind.SECTOR, sector__in=organisation.sectors.all())
    return Q(kind=TrustGroup.Kind.CUSTOM) & Q(member_row) | community


def _with_counts(groups: QuerySet[TrustGroup]) -> QuerySet[TrustGroup]:
    return groups.select_related("owner", "sector").annotate(
        member_count=Count("memberships", distinct=True)
    )


def groups_of(viewer: Membership) -> QuerySet[TrustGroup]:
    """The groups the viewer's organisation is in (none while it is not in good standing)."""
    if not is_in_good_standing(viewer.organisation):
        return TrustGroup.objects.none()
    return _with_counts(TrustGroup.objects.filter(_member_q(viewer.organisation)))


def browsable_groups(viewer: Membership) -> QuerySet[TrustGroup]:
    """Groups the viewer's organisation may ask to join: open to requests, not yet a member."""
    if not is_in_good_standing(viewer.organisation):
        return TrustGroup.objects.none()
    return _with_counts(
        TrustGroup.objects.filter(
            kind=TrustGroup.Kind.CUSTOM, join_policy=TrustGroup.JoinPolicy.REQUEST
        ).exclude(_member_q(viewer.organisation))
    )


def visible_groups(viewer: Membership | None) -> QuerySet[TrustGroup]:
    """Every group the viewer may open: their own, browsable ones, ones that invited them;
    ISAC admins see all."""
    if viewer is None or not viewer.is_active:
        return TrustGroup.objects.none()
    if is_isac_admin(viewer):
        return TrustGroup.objects.all()
    if not is_in_good_standing(viewer.organisation):
        return TrustGroup.objects.none()
    invited = Exists(
        TrustGroupInvitation.objects.filter(
            group_id=OuterRef("pk"),
            organisation_id=viewer.organisation_id,
            status=TrustGroupInvitation.Status.PENDING,
        )
    )
    browsable = Q(kind=TrustGroup.Kind.CUSTOM, join_policy=TrustGroup.JoinPolicy.REQUEST)
    return TrustGroup.objects.filter(_member_q(viewer.organisation) | browsable | Q(invited))


def group_for(viewer: Membership | None, group_uuid: UUID | str) -> TrustGroup | None:
    return visible_groups(viewer).select_related("owner", "sector").filter(uuid=group_uuid).first()


def is_member(viewer: Membership, group: TrustGroup) -> bool:
    return groups_of(viewer).filter(pk=group.pk).exists()


def may_see_members(viewer: Membership, group: TrustGroup) -> bool:
    """Members see the member list unless the group hides it; managers always do."""
    if can_manage_group(group=group, by=viewer):
        return True
    return group.members_visible and is_member(viewer, group)


def invitations_for(viewer: Membership) -> QuerySet[TrustGroupInvitation]:
    """Pending invitations to, and requests from, the viewer's organisation."""
    return TrustGroupInvitation.objects.filter(
        organisation_id=viewer.organisation_id, status=TrustGroupInvitation.Status.PENDING
    ).select_related("group", "organisation")


def invitation_for(
    viewer: Membership | None, invitation_uuid: UUID | str
) -> TrustGroupInvitation | None:
    """A pending invitation or request the viewer may act on: their organisation's, or one of
    a group they manage."""
    if viewer is None:
        return None
    invitation = (
        TrustGroupInvitation.objects.filter(
            uuid=invitation_uuid, status=TrustGroupInvitation.Status.PENDING
        )
        .select_related("group", "organisation")
        .first()
    )
    if invitation is None:
        return None
    if invitation.organisation_id == viewer.organisation_id:
        return invitation
    if can_manage_group(group=invitation.group, by=viewer):
        return invitation
    return None
