"""Every change to trust groups goes through these functions, and each one is audited.

Who may do what (the predicates live in accounts.policy):
- a group's *managers* (`can_manage_group`) are the org admins of its owner organisation, its
  moderators (while their organisation is in the group) and ISAC admins; they invite,
  approve, remove, edit and appoint moderators; only the owner's org admins and ISAC admins
  transfer ownership;
- an organisation's admins accept invitations, request to join and leave for it;
- sector communities are maintained by `sector_communities_sync` only.
"""

from collections.abc import Iterable

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from accounts.audit import audit_record
from accounts.models import Membership, Organisation, Sector, User
from accounts.models.groups import TrustGroup, TrustGroupInvitation, TrustGroupMember
from accounts.policy import (
    administers,
    can_manage_group,
    is_group_member,
    is_isac_admin,
    is_org_admin,
)
from accounts.standing import is_in_good_standing, organisations_in_good_standing
from portal.enqueue import enqueue_on_commit


def _snapshot(group: TrustGroup) -> dict[str, object]:
    return {
        "name": group.name,
        "description": group.description,
        "owner": str(group.owner.uuid),
        "join_policy": group.join_policy,
        "members_visible": group.members_visible,
    }


def _audit(
    action: str,
    group: TrustGroup,
    by: Membership | None,
    *,
    organisation: Organisation | None = None,
    before: dict[str, object] | None = None,
    after: dict[str, object] | None = None,
) -> None:
    audit_record(
        action=f"trust_group.{action}",
        obj=group,
        by=by,
        organisation=organisation or group.owner,
        before=before,
        after=after,
    )


def _require_manager(group: TrustGroup, by: Membership) -> None:
    if not can_manage_group(group=group, by=by):
        raise PermissionDenied("Only the group's owner, moderators and ISAC admins may do this.")


def _require_org_admin(by: Membership, organisation: Organisation) -> None:
    if not (by.is_active and administers(by, organisation.pk)):
        raise PermissionDenied("Only an admin of the organisation may do this for it.")


def _require_custom(group: TrustGroup) -> None:
    if group.is_sector_community:
        raise ValidationError(
            "Sector communities are kept up to date automatically: every organisation in "
            "good standing in the sector is a member."
        )


def _require_eligible(organisation: Organisation) -> None:
    if organisation.is_isac:
        return
    if not is_in_good_standing(organisation):
        raise ValidationError(
            f"{organisation.name} is not in good standing, so it cannot join a trust group."
        )


def _add_member(group: TrustGroup, organisation: Organisation, by: User | None) -> None:
    TrustGroupMember.objects.get_or_create(
        group=group, organisation=organisation, defaults={"added_by": by}
    )


@transaction.atomic
def group_create(
    *,
    name: str,
    by: Membership,
    description: str = "",
    join_policy: str = TrustGroup.JoinPolicy.INVITE,
    members_visible: bool = True,
) -> TrustGroup:
    """A member organisation (or the ISAC) creates a group it owns and is the first member of."""
    if not is_org_admin(by):
        raise PermissionDenied("Only organisation admins create trust groups.")
    if not is_in_good_standing(by.organisation):
        raise ValidationError("Your organisation must be in good standing to create a group.")
    name = name.strip()
    if not name:
        raise ValidationError("Give the group a name.")
    if TrustGroup.objects.filter(name__iexact=name).exists():
        raise ValidationError(f"A group called “{name}” already exists.")
    group = TrustGroup.objects.create(
        name=name,
        description=description.strip(),
        owner=by.organisation,
        join_policy=join_policy,
        members_visible=members_visible,
        created_by=by.user,
    )
    _add_member(group, by.organisation, by.user)
    _audit("create", group, by, after=_snapshot(group))
    return group


@transaction.atomic
def group_update(
    *,
    group: TrustGroup,
    by: Membership,
    name: str,
    description: str,
    join_policy: str,
    members_visible: bool,
) -> TrustGroup:
    """Change the group's name, description, join policy and member-list visibility."""
    _require_custom(group)
    _require_manager(group, by)
    name = name.strip()
    if not name:
        raise ValidationError("Give the group a name.")
    if TrustGroup.objects.filter(name__iexact=name).exclude(pk=group.pk).exists():
        raise ValidationError(f"A group called “{name}” already exists.")
    before = _snapshot(group)
    group.name = name
    group.description = description.strip()
    group.join_policy = join_policy
    group.members_visible = members_visible
    group.save(update_fields=["name", "description", "join_policy", "members_visible"])
    if join_policy == TrustGroup.JoinPolicy.INVITE:
        # Requests waiting under the old policy cannot be approved any more; say so to them.
        group.invitations.filter(
            direction=TrustGroupInvitation.Direction.REQUEST,
            status=TrustGroupInvitation.Status.PENDING,
        ).update(status=TrustGroupInvitation.Status.DECLINED, decided_at=timezone.now())
    _audit("update", group, by, before=before, after=_snapshot(group))
    return group


@transaction.atomic
def group_invite(
    *, group: TrustGroup, organisation: Organisation, by: Membership, message: str = ""
) -> TrustGroupInvitation:
    """A manager invites an organisation; it joins when one of its admins accepts."""
    _require_custom(group)
    _require_manager(group, by)
    _require_eligible(organisation)
    if is_group_member(group=group, organisation=organisation):
        raise ValidationError(f"{organisation.name} is already in the group.")
    pending = group.invitations.filter(
        organisation=organisation, status=TrustGroupInvitation.Status.PENDING
    ).first()
    if pending is not None:
        if pending.direction == TrustGroupInvitation.Direction.REQUEST:
            # They asked already: inviting them is approving.
            group_request_approve(invitation=pending, by=by)
            return pending
        raise ValidationError(f"{organisation.name} has been invited already.")
    invitation = TrustGroupInvitation.objects.create(
        group=group,
        organisation=organisation,
        direction=TrustGroupInvitation.Direction.INVITATION,
        message=message.strip(),
        created_by=by.user,
    )
    _audit(
        "invite", group, by, organisation=organisation, after={"organisation": organisation.name}
    )
    return invitation


@transaction.atomic
def group_invitation_accept(*, invitation: TrustGroupInvitation, by: Membership) -> None:
    """An admin of the invited organisation accepts: the organisation joins the group."""
    _require_pending(invitation, TrustGroupInvitation.Direction.INVITATION)
    _require_org_admin(by, invitation.organisation)
    _require_eligible(invitation.organisation)
    _decide(invitation, TrustGroupInvitation.Status.ACCEPTED, by)
    _add_member(invitation.group, invitation.organisation, invitation.created_by)
    _audit(
        "join",
        invitation.group,
        by,
        organisation=invitation.organisation,
        after={"organisation": invitation.organisation.name, "via": "invitation"},
    )


@transaction.atomic
def group_invitation_decline(*, invitation: TrustGroupInvitation, by: Membership) -> None:
    """The invited organisation declines, or a manager declines a request to join."""
    if invitation.direction == TrustGroupInvitation.Direction.INVITATION:
        _require_pending(invitation, TrustGroupInvitation.Direction.INVITATION)
        _require_org_admin(by, invitation.organisation)
    else:
        _require_pending(invitation, TrustGroupInvitation.Direction.REQUEST)
        _require_manager(invitation.group, by)
    _decide(invitation, TrustGroupInvitation.Status.DECLINED, by)
    _audit(
        f"{invitation.direction}.decline",
        invitation.group,
        by,
        organisation=invitation.organisation,
        after={"organisation": invitation.organisation.name},
    )


@transaction.atomic
def group_invitation_withdraw(*, invitation: TrustGroupInvitation, by: Membership) -> None:
    """Whoever made an invitation or request takes it back."""
    if invitation.direction == TrustGroupInvitation.Direction.INVITATION:
        _require_pending(invitation, TrustGroupInvitation.Direction.INVITATION)
        _require_manager(invitation.group, by)
    else:
        _require_pending(invitation, TrustGroupInvitation.Direction.REQUEST)
        _require_org_admin(by, invitation.organisation)
    _decide(invitation, TrustGroupInvitation.Status.WITHDRAWN, by)
    _audit(
        f"{invitation.direction}.withdraw",
        invitation.group,
        by,
        organisation=invitation.organisation,
        after={"organisation": invitation.organisation.name},
    )


@transaction.atomic
def group_request_join(
    *, group: TrustGroup, by: Membership, message: str = ""
) -> TrustGroupInvitation:
    """An organisation admin asks to join a group whose join policy allows requests."""
    _require_custom(group)
    organisation = by.organisation
    _require_org_admin(by, organisation)
    if group.join_policy != TrustGroup.JoinPolicy.REQUEST:
        raise ValidationError("This group is invitation only.")
    _require_eligible(organisation)
    if is_group_member(group=group, organisation=organisation):
        raise ValidationError("Your organisation is already in the group.")
    pending = group.invitations.filter(
        organisation=organisation, status=TrustGroupInvitation.Status.PENDING
    ).first()
    if pending is not None:
        if pending.direction == TrustGroupInvitation.Direction.INVITATION:
            group_invitation_accept(invitation=pending, by=by)
            return pending
        raise ValidationError("Your organisation has asked to join already.")
    invitation = TrustGroupInvitation.objects.create(
        group=group,
        organisation=organisation,
        direction=TrustGroupInvitation.Direction.REQUEST,
        message=message.strip(),
        created_by=by.user,
    )
    _audit(
        "request", group, by, organisation=organisation, after={"organisation": organisation.name}
    )
    return invitation


@transaction.atomic
def group_request_approve(*, invitation: TrustGroupInvitation, by: Membership) -> None:
    """A manager approves a request: the organisation joins."""
    _require_pending(invitation, TrustGroupInvitation.Direction.REQUEST)
    _require_manager(invitation.group, by)
    _require_eligible(invitation.organisation)
    _decide(invitation, TrustGroupInvitation.Status.ACCEPTED, by)
    _add_member(invitation.group, invitation.organisation, by.user)
    _audit(
        "join",
        invitation.group,
        by,
        organisation=invitation.organisation,
        after={"organisation": invitation.organisation.name, "via": "request"},
    )


@transaction.atomic
def group_leave(*, group: TrustGroup, by: Membership) -> None:
    """An organisation admin takes their organisation out of the group.

    The owner cannot leave: it transfers ownership first. Reports addressed to the group stop
    being visible to the organisation at once (sharing.policy reads membership live).
    """
    _require_custom(group)
    organisation = by.organisation
    _require_org_admin(by, organisation)
    if group.owner_id == organisation.pk:
        raise ValidationError("The owner cannot leave; transfer ownership to another member first.")
    _remove_member(group, organisation)
    _audit(
        "leave", group, by, organisation=organisation, before={"organisation": organisation.name}
    )


@transaction.atomic
def group_remove_member(*, group: TrustGroup, organisation: Organisation, by: Membership) -> None:
    """A manager removes an organisation from the group."""
    _require_custom(group)
    _require_manager(group, by)
    if group.owner_id == organisation.pk:
        raise ValidationError("The owner cannot be removed; transfer ownership first.")
    _remove_member(group, organisation)
    _audit(
        "remove", group, by, organisation=organisation, before={"organisation": organisation.name}
    )


def _remove_member(group: TrustGroup, organisation: Organisation) -> None:
    deleted, _ = TrustGroupMember.objects.filter(group=group, organisation=organisation).delete()
    if not deleted:
        raise ValidationError(f"{organisation.name} is not in the group.")
    # A moderator's powers come with their organisation's place in the group.
    group.moderators.remove(*group.moderators.filter(memberships__organisation=organisation))


@transaction.atomic
def group_transfer_ownership(
    *, group: TrustGroup, organisation: Organisation, by: Membership
) -> None:
    """Hand the group to another member organisation."""
    _require_custom(group)
    if not (is_isac_admin(by) or administers(by, group.owner_id)):
        raise PermissionDenied("Only the owner's admins or an ISAC admin may transfer ownership.")
    if not is_group_member(group=group, organisation=organisation):
        raise ValidationError(f"{organisation.name} must be a member before it can own the group.")
    _require_eligible(organisation)
    before = _snapshot(group)
    group.owner = organisation
    group.save(update_fields=["owner"])
    _audit("transfer", group, by, before=before, after=_snapshot(group))


@transaction.atomic
def group_moderator_add(*, group: TrustGroup, user: User, by: Membership) -> None:
    """Appoint a person from a member organisation as moderator."""
    _require_custom(group)
    _require_manager(group, by)
    in_group = Membership.objects.filter(
        user=user, is_active=True, organisation__group_memberships__group=group
    ).exists()
    if not in_group:
        raise ValidationError("Moderators must work for an organisation in the group.")
    group.moderators.add(user)
    _audit("moderator.add", group, by, after={"moderator": user.email})


@transaction.atomic
def group_moderator_remove(*, group: TrustGroup, user: User, by: Membership) -> None:
    _require_custom(group)
    _require_manager(group, by)
    group.moderators.remove(user)
    _audit("moderator.remove", group, by, before={"moderator": user.email})


def _require_pending(invitation: TrustGroupInvitation, direction: str) -> None:
    if (
        invitation.direction != direction
        or invitation.status != TrustGroupInvitation.Status.PENDING
    ):
        raise ValidationError("This invitation or request is no longer open.")


def _decide(invitation: TrustGroupInvitation, status: str, by: Membership) -> None:
    invitation.status = status
    invitation.decided_at = timezone.now()
    invitation.decided_by = by.user
    invitation.save(update_fields=["status", "decided_at", "decided_by"])


@transaction.atomic
def sector_communities_sync(*, sectors: Iterable[Sector] | None = None) -> int:
    """Create each sector's community and make its members the sector's organisations in good
    standing. Returns how many memberships were added or removed.

    Run by beat (standing changes when agreements expire, with no event) and by the services
    that change an organisation's sectors or standing.
    """
    isac = Organisation.objects.filter(is_isac=True).first()
    if isac is None:
        return 0
    changed = 0
    eligible = organisations_in_good_standing().filter(is_isac=False)
    for sector in Sector.objects.all() if sectors is None else sectors:
        group = TrustGroup.objects.filter(sector=sector).first()
        if group is None:
            group = TrustGroup.objects.create(
                name=f"{sector.name} community",
                description=f"Every member organisation in good standing in {sector.name}.",
                kind=TrustGroup.Kind.SECTOR,
                sector=sector,
                owner=isac,
                join_policy=TrustGroup.JoinPolicy.INVITE,
                members_visible=True,
            )
            _audit("create", group, None, after=_snapshot(group))
        wanted = set(eligible.filter(sectors=sector).values_list("pk", flat=True))
        present = set(group.memberships.values_list("organisation_id", flat=True))
        for org_id in wanted - present:
            TrustGroupMember.objects.create(group=group, organisation_id=org_id)
        stale = present - wanted
        if stale:
            group.memberships.filter(organisation_id__in=stale).delete()
        if wanted != present:
            changed += len(wanted ^ present)
            uuids = dict(
                Organisation.objects.filter(pk__in=wanted | present).values_list("pk", "uuid")
            )
            audit_record(
                action="trust_group.sync",
                obj=group,
                actor=None,
                organisation=isac,
                before={"organisations": sorted(str(uuids[pk]) for pk in present)},
                after={"organisations": sorted(str(uuids[pk]) for pk in wanted)},
            )
    return changed


def sector_communities_changed(*, organisation: Organisation) -> None:
    """Call from any service that changes an organisation's sectors, status or agreement:
    the communities are refreshed by a task once the change has committed (the policy
    already reads sectors and standing live; this keeps the member lists shown in sync).
    Every community is refreshed, since the sectors the organisation left are not known."""
    enqueue_on_commit("accounts.tasks.sync_sector_communities")
