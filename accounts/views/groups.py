"""Trust group pages: my groups, browse, create, and one page per group to manage it.

Views stay thin: a group comes from `groups_selectors` (404 when the viewer may not see it)
and every change is a call to `groups_services`.
"""

from collections.abc import Callable
from uuid import UUID

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts import policy
from accounts.decorators import member_required
from accounts.forms.groups import (
    GroupForm,
    InviteForm,
    MemberChoiceForm,
    ModeratorForm,
    RequestForm,
)
from accounts.http import AuthenticatedRequest
from accounts.models.groups import TrustGroup, TrustGroupInvitation
from accounts.selectors import groups as selectors
from accounts.services import groups as services
from accounts.web import run_service


def _group(request: AuthenticatedRequest, group_uuid: UUID | str) -> TrustGroup:
    group = selectors.group_for(request.membership, group_uuid)
    if group is None:
        raise Http404
    return group


@member_required
@require_GET
def group_list(request: AuthenticatedRequest) -> HttpResponse:
    viewer = request.membership
    return render(
        request,
        "accounts/groups/list.html",
        {
            "groups": selectors.groups_of(viewer),
            "invitations": selectors.invitations_for(viewer),
            "can_create": policy.is_org_admin(viewer),
        },
    )


@member_required
@require_GET
def group_browse(request: AuthenticatedRequest) -> HttpResponse:
    viewer = request.membership
    pending = set(
        selectors.invitations_for(viewer)
        .filter(direction=TrustGroupInvitation.Direction.REQUEST)
        .values_list("group_id", flat=True)
    )
    return render(
        request,
        "accounts/groups/browse.html",
        {"groups": selectors.browsable_groups(viewer), "pending": pending},
    )


@member_required
@require_http_methods(["GET", "POST"])
def group_create(request: AuthenticatedRequest) -> HttpResponse:
    viewer = request.membership
    form = GroupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        created = run_service(
            request,
            lambda: services.group_create(
                by=viewer,
                name=form.cleaned_data["name"],
                description=form.cleaned_data["description"],
                join_policy=form.cleaned_data["join_policy"],
                members_visible=form.cleaned_data["members_visible"],
            ),
            lambda group: f"Group “{group.name}” created.",
            form=form,
        )
        if created:
            return redirect("group-detail", group_uuid=created.value.uuid)
    return render(request, "accounts/groups/create.html", {"form": form})


@member_required
@require_GET
def group_detail(request: AuthenticatedRequest, group_uuid: str) -> HttpResponse:
    viewer = request.membership
    group = _group(request, group_uuid)
    manager = policy.can_manage_group(group=group, by=viewer)
    member = selectors.is_member(viewer, group)
    show_members = selectors.may_see_members(viewer, group)
    context: dict[str, object] = {
        "group": group,
        "manager": manager,
        "member": member,
        "show_members": show_members,
        "members": group.memberships.select_related("organisation") if show_members else [],
        "member_count": group.memberships.count(),
        "moderators": group.moderators.all() if show_members else [],
        "my_invitation": selectors.invitations_for(viewer).filter(group=group).first(),
        "is_org_admin": policy.is_org_admin(viewer),
        "is_owner": group.owner_id == viewer.organisation_id,
    }
    if manager and not group.is_sector_community:
        context.update(
            edit_form=GroupForm(instance=group),
            invite_form=InviteForm(group=group),
            transfer_form=MemberChoiceForm(group=group, exclude_owner=True),
            moderator_form=ModeratorForm(group=group),
            pending=group.invitations.filter(
                status=TrustGroupInvitation.Status.PENDING
            ).select_related("organisation"),
        )
    return render(request, "accounts/groups/detail.html", context)


@member_required
@require_POST
def group_edit(request: AuthenticatedRequest, group_uuid: str) -> HttpResponse:
    viewer = request.membership
    group = _group(request, group_uuid)
    form = GroupForm(request.POST, instance=TrustGroup.objects.get(pk=group.pk))
    if not form.is_valid():
        messages.error(request, " ".join(str(e) for errs in form.errors.values() for e in errs))
    else:
        run_service(
            request,
            lambda: services.group_update(
                group=group,
                by=viewer,
                name=form.cleaned_data["name"],
                description=form.cleaned_data["description"],
                join_policy=form.cleaned_data["join_policy"],
                members_visible=form.cleaned_data["members_visible"],
            ),
            "Group updated.",
        )
    return redirect("group-detail", group_uuid=group.uuid)


@member_required
@require_POST
def group_invite(request: AuthenticatedRequest, group_uuid: str) -> HttpResponse:
    viewer = request.membership
    group = _group(request, group_uuid)
    form = InviteForm(request.POST, group=group)
    if form.is_valid():
        organisation = form.cleaned_data["organisation"]
        run_service(
            request,
            lambda: services.group_invite(
                group=group,
                organisation=organisation,
                by=viewer,
                message=form.cleaned_data["message"],
            ),
            f"{organisation.name} has been invited.",
        )
    else:
        messages.error(request, "Choose an organisation that is not in the group yet.")
    return redirect("group-detail", group_uuid=group.uuid)


@member_required
@require_POST
def group_request(request: AuthenticatedRequest, group_uuid: str) -> HttpResponse:
    viewer = request.membership
    group = _group(request, group_uuid)
    form = RequestForm(request.POST)
    message = form.cleaned_data["message"] if form.is_valid() else ""
    run_service(
        request,
        lambda: services.group_request_join(group=group, by=viewer, message=message),
        "Your request has been sent to the group's managers.",
    )
    return redirect("group-detail", group_uuid=group.uuid)


@member_required
@require_POST
def group_leave(request: AuthenticatedRequest, group_uuid: str) -> HttpResponse:
    viewer = request.membership
    group = _group(request, group_uuid)
    if run_service(
        request,
        lambda: services.group_leave(group=group, by=viewer),
        f"Your organisation has left “{group.name}”.",
    ):
        return redirect("group-list")
    return redirect("group-detail", group_uuid=group.uuid)


@member_required
@require_POST
def group_remove(request: AuthenticatedRequest, group_uuid: str) -> HttpResponse:
    viewer = request.membership
    group = _group(request, group_uuid)
    form = MemberChoiceForm(request.POST, group=group)
    if form.is_valid():
        organisation = form.cleaned_data["organisation"]
        run_service(
            request,
            lambda: services.group_remove_member(group=group, organisation=organisation, by=viewer),
            f"{organisation.name} has been removed from the group.",
        )
    else:
        messages.error(request, "That organisation is not in the group.")
    return redirect("group-detail", group_uuid=group.uuid)


@member_required
@require_POST
def group_transfer(request: AuthenticatedRequest, group_uuid: str) -> HttpResponse:
    viewer = request.membership
    group = _group(request, group_uuid)
    form = MemberChoiceForm(request.POST, group=group)
    if form.is_valid():
        organisation = form.cleaned_data["organisation"]
        run_service(
            request,
            lambda: services.group_transfer_ownership(
                group=group, organisation=organisation, by=viewer
            ),
            f"{organisation.name} now owns the group.",
        )
    else:
        messages.error(request, "Choose a member organisation.")
    return redirect("group-detail", group_uuid=group.uuid)


@member_required
@require_POST
def group_moderator(request: AuthenticatedRequest, group_uuid: str) -> HttpResponse:
    """Appoint a moderator, or (with `remove`) stand one down."""
    viewer = request.membership
    group = _group(request, group_uuid)
    if request.POST.get("remove"):
        try:
            person_uuid = UUID(request.POST.get("person", ""))
        except ValueError:
            person_uuid = None
        moderator = group.moderators.filter(uuid=person_uuid).first() if person_uuid else None
        if moderator is None:
            messages.error(request, "That person is not a moderator of the group.")
        else:
            run_service(
                request,
                lambda: services.group_moderator_remove(group=group, user=moderator, by=viewer),
                f"{moderator.get_full_name()} is no longer a moderator.",
            )
        return redirect("group-detail", group_uuid=group.uuid)
    form = ModeratorForm(request.POST, group=group)
    if form.is_valid():
        person = form.cleaned_data["person"]
        run_service(
            request,
            lambda: services.group_moderator_add(group=group, user=person, by=viewer),
            f"{person.get_full_name()} is now a moderator.",
        )
    else:
        messages.error(request, "Choose a person from an organisation in the group.")
    return redirect("group-detail", group_uuid=group.uuid)


_INVITATION_ACTIONS: dict[str, tuple[Callable[..., None], str]] = {
    "accept": (services.group_invitation_accept, "Your organisation has joined the group."),
    "approve": (services.group_request_approve, "The organisation has joined the group."),
    "decline": (services.group_invitation_decline, "Declined."),
    "withdraw": (services.group_invitation_withdraw, "Withdrawn."),
}


@member_required
@require_POST
def invitation_act(
    request: AuthenticatedRequest, invitation_uuid: str, action: str
) -> HttpResponse:
    viewer = request.membership
    invitation = selectors.invitation_for(viewer, invitation_uuid)
    if invitation is None or action not in _INVITATION_ACTIONS:
        raise Http404
    service, success = _INVITATION_ACTIONS[action]
    run_service(request, lambda: service(invitation=invitation, by=viewer), success)
    if selectors.group_for(viewer, invitation.group.uuid) is None:
        return redirect("group-list")
    return redirect("group-detail", group_uuid=invitation.group.uuid)
