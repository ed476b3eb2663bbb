"""Trust groups: joining, leaving and managing them, and what membership lets people read."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import AuditEvent, Organisation, Sector, TrustGroup, User
from accounts.services.groups import (
    group_create,
    group_invitation_accept,
    group_invite,
    group_leave,
    group_moderator_add,
    group_remove_member,
    group_request_approve,
    group_request_join,
    group_transfer_ownership,
    group_update,
    sector_communities_sync,
)
from sharing import policy
from sharing.models import Report
from sharing.tlp import TLP
from tests.fixtures.members import acting, sign_in


def amber_to(group: TrustGroup, author: User, *, title: str = "Amber to the circle") -> Report:
    membership = acting(author)
    report = Report.objects.create(
        title=title,
        tlp=TLP.AMBER,
        author=author,
        organisation=membership.organisation,
        status=Report.Status.PUBLISHED,
        published_at=timezone.now(),
    )
    report.audience_groups.set([group])
    return report


def test_group_member_sees_amber_report_addressed_to_the_group(
    circle: TrustGroup, analyst_a: User, peer_b: User, outsider_c: User
) -> None:
    report = amber_to(circle, analyst_a)

    assert policy.can_view(acting(peer_b), report)
    assert not policy.can_view(acting(outsider_c), report)


def test_organisation_that_leaves_a_group_loses_its_reports_at_once(
    circle: TrustGroup, analyst_a: User, peer_b: User, admin_b: User
) -> None:
    report = amber_to(circle, analyst_a)

    group_leave(group=circle, by=acting(admin_b))

    assert not policy.can_view(acting(peer_b), report)
    assert AuditEvent.objects.filter(action="trust_group.leave").exists()


def test_removed_member_loses_group_reports(
    circle: TrustGroup, analyst_a: User, admin_a: User, peer_b: User, org_b: Organisation
) -> None:
    report = amber_to(circle, analyst_a)

    group_remove_member(group=circle, organisation=org_b, by=acting(admin_a))

    assert not policy.can_view(acting(peer_b), report)


def test_group_member_that_falls_out_of_good_standing_sees_clear_only(
    circle: TrustGroup, analyst_a: User, peer_b: User, org_b: Organisation
) -> None:
    report = amber_to(circle, analyst_a)

    org_b.acceptances.update(revoked_at=timezone.now())

    assert not policy.can_view(acting(peer_b), report)


def test_invitation_only_group_refuses_requests(circle: TrustGroup, outsider_c: User) -> None:
    admin_c = User.objects.get(email="admin@c.test")

    with pytest.raises(ValidationError):
        group_request_join(group=circle, by=acting(admin_c))


def test_request_and_approve_lets_an_organisation_join(
    circle: TrustGroup, admin_a: User, org_c: Organisation
) -> None:
    admin_c = User.objects.get(email="admin@c.test")
    group_update(
        group=circle,
        by=acting(admin_a),
        name=circle.name,
        description=circle.description,
        join_policy=TrustGroup.JoinPolicy.REQUEST,
        members_visible=True,
    )

    request = group_request_join(group=circle, by=acting(admin_c), message="Hello")
    group_request_approve(invitation=request, by=acting(admin_a))

    assert circle.memberships.filter(organisation=org_c).exists()
    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {"trust_group.update", "trust_group.request", "trust_group.join"} <= actions


def test_analyst_cannot_accept_an_invitation_for_their_organisation(
    circle: TrustGroup, admin_a: User, outsider_c: User, org_c: Organisation
) -> None:
    invitation = group_invite(group=circle, organisation=org_c, by=acting(admin_a))

    with pytest.raises(PermissionDenied):
        group_invitation_accept(invitation=invitation, by=acting(outsider_c))


def test_member_that_is_not_a_manager_cannot_invite(
    circle: TrustGroup, admin_b: User, org_c: Organisation
) -> None:
    with pytest.raises(PermissionDenied):
        group_invite(group=circle, organisation=org_c, by=acting(admin_b))


def test_moderator_may_invite_and_loses_the_power_when_their_organisation_leaves(
    circle: TrustGroup, admin_a: User, admin_b: User, peer_b: User, org_c: Organisation
) -> None:
    group_moderator_add(group=circle, user=peer_b, by=acting(admin_a))
    invitation = group_invite(group=circle, organisation=org_c, by=acting(peer_b))
    assert invitation.created_by == peer_b

    group_leave(group=circle, by=acting(admin_b))

    assert not circle.moderators.filter(pk=peer_b.pk).exists()


def test_owner_cannot_leave_before_transferring_ownership(
    circle: TrustGroup, admin_a: User, org_b: Organisation
) -> None:
    with pytest.raises(ValidationError):
        group_leave(group=circle, by=acting(admin_a))

    group_transfer_ownership(group=circle, organisation=org_b, by=acting(admin_a))
    group_leave(group=circle, by=acting(admin_a))

    circle.refresh_from_db()
    assert circle.owner == org_b
    assert AuditEvent.objects.filter(action="trust_group.transfer").exists()


def test_organisation_not_in_good_standing_cannot_be_invited(
    circle: TrustGroup, admin_a: User, org_d: Organisation
) -> None:
    with pytest.raises(ValidationError):
        group_invite(group=circle, organisation=org_d, by=acting(admin_a))


def test_sector_community_holds_the_sectors_members_in_good_standing(
    isac_org: Organisation,
    org_a: Organisation,
    org_b: Organisation,
    org_c: Organisation,
    org_d: Organisation,
    energy: Sector,
) -> None:
    sector_communities_sync()

    community = TrustGroup.objects.get(sector=energy)
    members = set(community.memberships.values_list("organisation__name", flat=True))
    assert members == {"Member A", "Peer B"}  # not suspended D, not C of another sector

    org_b.acceptances.update(revoked_at=timezone.now())
    sector_communities_sync()
    assert set(community.memberships.values_list("organisation__name", flat=True)) == {"Member A"}
    assert AuditEvent.objects.filter(action="trust_group.sync").exists()


def test_report_to_a_sector_community_follows_the_organisations_sectors_at_once(
    isac_org: Organisation,
    analyst_a: User,
    peer_b: User,
    org_b: Organisation,
    energy: Sector,
    finance: Sector,
) -> None:
    sector_communities_sync()
    report = amber_to(TrustGroup.objects.get(sector=energy), analyst_a)
    assert policy.can_view(acting(peer_b), report)

    org_b.sectors.set([finance])  # before any sync has run

    assert not policy.can_view(acting(peer_b), report)


def test_sector_communities_cannot_be_edited_by_hand(
    isac_org: Organisation, isac_admin: User, org_a: Organisation, energy: Sector
) -> None:
    sector_communities_sync()
    community = TrustGroup.objects.get(sector=energy)

    with pytest.raises(ValidationError):
        group_remove_member(group=community, organisation=org_a, by=acting(isac_admin))


def test_sync_task_runs_on_the_worker_queue(isac_org: Organisation, org_a: Organisation) -> None:
    from accounts.tasks import sync_sector_communities

    assert sync_sector_communities.delay() is not None
    assert TrustGroup.objects.filter(kind=TrustGroup.Kind.SECTOR).exists()


# --- pages -------------------------------------------------------------------------------


def test_admin_creates_a_group_in_the_browser_and_owns_it(client: Client, admin_a: User) -> None:
    sign_in(client, admin_a)

    response = client.post(
        reverse("group-create"),
        {"name": "Solar operators", "description": "PV fleet", "join_policy": "request"},
    )

    group = TrustGroup.objects.get(name="Solar operators")
    assert response.status_code == 302
    assert response["Location"] == reverse("group-detail", args=[group.uuid])
    page = client.get(response["Location"])
    assert b"Solar operators" in page.content
    assert b"Invite an organisation" in page.content


def test_posted_owner_and_kind_are_ignored_when_creating_a_group(
    client: Client, admin_a: User, org_a: Organisation, org_c: Organisation, energy: Sector
) -> None:
    sign_in(client, admin_a)

    client.post(
        reverse("group-create"),
        {
            "name": "Sneaky",
            "join_policy": "invite",
            "owner": str(org_c.uuid),
            "kind": "sector",
            "sector": str(energy.pk),
        },
    )

    group = TrustGroup.objects.get(name="Sneaky")
    assert (group.owner, group.kind, group.sector) == (org_a, TrustGroup.Kind.CUSTOM, None)


def test_my_groups_page_lists_the_circle_and_not_for_outsiders(
    client: Client, circle: TrustGroup, peer_b: User, outsider_c: User
) -> None:
    assert b"Grid circle" in sign_in(client, peer_b).get(reverse("group-list")).content

    other = sign_in(Client(), outsider_c)
    assert b"Grid circle" not in other.get(reverse("group-list")).content
    assert b"Grid circle" not in other.get(reverse("group-browse")).content
    assert other.get(reverse("group-detail", args=[circle.uuid])).status_code == 404


def test_invitation_only_group_is_visible_to_the_invited_organisation(
    client: Client, circle: TrustGroup, admin_a: User, org_c: Organisation
) -> None:
    group_invite(group=circle, organisation=org_c, by=acting(admin_a))
    admin_c = User.objects.get(email="admin@c.test")

    page = sign_in(client, admin_c).get(reverse("group-detail", args=[circle.uuid]))

    assert page.status_code == 200
    assert b"Your organisation is invited" in page.content
    assert b"Member A" not in page.content  # not a member yet: no member list


def test_hidden_member_list_is_shown_to_managers_only(
    client: Client, circle: TrustGroup, admin_a: User, peer_b: User
) -> None:
    circle.members_visible = False
    circle.save()
    url = reverse("group-detail", args=[circle.uuid])

    # Peer B sees neither the owner nor the other members; the owner's admin sees them all.
    assert b"Member A" not in sign_in(client, peer_b).get(url).content
    assert b"Peer B" in sign_in(Client(), admin_a).get(url).content


def test_browse_lists_groups_open_to_requests_and_the_request_is_sent(
    client: Client, circle: TrustGroup, admin_a: User, org_c: Organisation
) -> None:
    circle.join_policy = TrustGroup.JoinPolicy.REQUEST
    circle.save()
    admin_c = sign_in(client, User.objects.get(email="admin@c.test"))

    assert b"Grid circle" in admin_c.get(reverse("group-browse")).content
    admin_c.post(reverse("group-request", args=[circle.uuid]), {"message": "Hi"})

    assert circle.invitations.filter(organisation=org_c, status="pending").exists()


def test_accepting_someone_elses_invitation_is_not_found(
    client: Client, circle: TrustGroup, admin_a: User, org_c: Organisation, admin_b: User
) -> None:
    invitation = group_invite(group=circle, organisation=org_c, by=acting(admin_a))

    response = sign_in(client, admin_b).post(
        reverse("group-invitation", args=[invitation.uuid, "accept"])
    )

    assert response.status_code == 404
    invitation.refresh_from_db()
    assert invitation.status == "pending"


def test_group_list_query_count_does_not_grow_with_groups(
    client: Client, admin_a: User, django_assert_max_num_queries: object
) -> None:
    for n in range(8):
        group_create(name=f"Group {n}", by=acting(admin_a))
    sign_in(client, admin_a)

    with django_assert_max_num_queries(14):  # type: ignore[operator]
        response = client.get(reverse("group-list"))

    assert response.content.count(b"Group ") >= 8


def test_creating_groups_needs_an_organisation_admin(client: Client, analyst_a: User) -> None:
    response = sign_in(client, analyst_a).post(
        reverse("group-create"), {"name": "Mine", "join_policy": "invite"}
    )

    assert response.status_code == 200
    assert b"Only organisation admins" in response.content
    assert not TrustGroup.objects.filter(name="Mine").exists()


def test_changing_an_organisations_sectors_refreshes_communities_after_commit(
    isac_org: Organisation,
    org_b: Organisation,
    finance: Sector,
    django_capture_on_commit_callbacks: object,
) -> None:
    from accounts.services.groups import sector_communities_changed

    with django_capture_on_commit_callbacks(execute=True):  # type: ignore[operator]
        org_b.sectors.set([finance])
        sector_communities_changed(organisation=org_b)

    community = TrustGroup.objects.get(sector=finance)
    assert community.memberships.filter(organisation=org_b).exists()
    assert not TrustGroup.objects.filter(
        memberships__organisation=org_b, sector__slug="energy"
    ).exists()
