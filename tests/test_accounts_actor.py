"""One actor: services act for the membership a person acts for, exactly as its pages do.

A person may hold several memberships (an ISAC admin who is also an admin of a member
organisation). Pages gate on the membership chosen in the header switcher; the services
they call must not grant more than that membership has.
"""

import pytest
from django.core.exceptions import PermissionDenied
from django.test import Client
from django.urls import reverse

from accounts import policy
from accounts.models import AuditEvent, Membership, Organisation, User
from accounts.services.organisations import organisation_create, organisation_update
from accounts.services.people import membership_create, membership_set_role
from accounts.services.tokens import token_issue, token_revoke
from portal.enqueue import enqueue_on_commit
from tests.fixtures.members import acting, sign_in


@pytest.fixture
def isac_admin_also_at_b(isac_admin: User, org_b: Organisation) -> tuple[Membership, Membership]:
    """The ISAC admin is also an org admin of peer B: (ISAC membership, B membership)."""
    at_isac = acting(isac_admin)
    at_b = membership_create(user=isac_admin, organisation=org_b, role="org_admin", by=None)
    return at_isac, Membership.objects.select_related("user", "organisation").get(pk=at_b.pk)


def test_an_isac_admin_acting_for_a_member_organisation_has_only_its_powers(
    isac_admin_also_at_b: tuple[Membership, Membership], analyst_a: User
) -> None:
    # given a person who is an ISAC admin and an admin of B
    at_isac, at_b = isac_admin_also_at_b

    # when they act for B, ISAC admin powers are refused, as the ISAC pages would be
    with pytest.raises(PermissionDenied):
        organisation_create(name="Made while acting for B", by=at_b)
    with pytest.raises(PermissionDenied):
        membership_set_role(membership=acting(analyst_a), role="org_admin", by=at_b)

    # then acting for the ISAC, the same person may
    created = organisation_create(name="Made while acting for the ISAC", by=at_isac)
    membership_set_role(membership=acting(analyst_a), role="org_admin", by=at_isac)
    assert created.pk is not None
    assert Membership.objects.get(user=analyst_a).role == "org_admin"
    assert not Organisation.objects.filter(name="Made while acting for B").exists()


def test_the_isac_pages_answer_404_while_the_person_acts_for_a_member_organisation(
    isac_admin: User, isac_admin_also_at_b: tuple[Membership, Membership]
) -> None:
    client = sign_in(Client(), isac_admin)
    at_isac, at_b = isac_admin_also_at_b
    client.post(reverse("switch-membership"), {"membership": str(at_isac.uuid)})
    assert client.get(reverse("isac-organisations")).status_code == 200

    client.post(reverse("switch-membership"), {"membership": str(at_b.uuid)})

    assert client.get(reverse("isac-organisations")).status_code == 404
    assert client.get(reverse("org-people")).status_code == 200


def test_page_gates_and_services_ask_the_same_predicates(
    isac_admin: User, admin_a: User, analyst_a: User, org_a: Organisation, org_b: Organisation
) -> None:
    assert policy.is_isac_admin(acting(isac_admin))
    assert not policy.is_isac_admin(acting(admin_a))
    assert policy.manages_people_of(acting(admin_a), org_a)
    assert not policy.manages_people_of(acting(admin_a), org_b)
    assert not policy.manages_people_of(acting(analyst_a), org_a)
    assert policy.manages_people_of(acting(isac_admin), org_b)
    # a removed person's membership is no longer in force, whatever its role
    removed = acting(admin_a)
    removed.is_active = False
    assert not policy.is_member_org_admin(removed)


def test_the_audit_log_records_the_organisation_the_actor_acted_for(
    isac_admin: User, isac_org: Organisation, org_a: Organisation
) -> None:
    organisation_update(
        organisation=org_a,
        by=acting(isac_admin),
        name=org_a.name,
        short_name="MA",
        country="",
        sectors=[],
        require_mfa=False,
        allow_any_invite_domain=False,
    )

    event = AuditEvent.objects.get(action="organisation.update", organisation=org_a)
    assert event.actor == isac_admin
    assert event.actor_organisation == isac_org


def test_a_person_issues_and_revokes_only_their_own_tokens(analyst_a: User, peer_b: User) -> None:
    with pytest.raises(PermissionDenied):
        token_issue(membership=acting(peer_b), name="not mine", by=acting(analyst_a))
    token, _ = token_issue(membership=acting(peer_b), name="B's SIEM", by=acting(peer_b))

    with pytest.raises(PermissionDenied):
        token_revoke(token=token, by=acting(analyst_a))
    token.refresh_from_db()
    assert token.revoked_at is None


def test_queueing_a_task_by_a_name_that_does_not_exist_fails_in_the_caller(db: None) -> None:
    with pytest.raises(KeyError):
        enqueue_on_commit("accounts.tasks.no_such_task", 1)
