"""Organisations, domains, memberships and roles: the rules the services keep, audited."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from accounts.models import AuditEvent, Organisation, Sector, User
from accounts.services import organisations as services
from accounts.services import people
from accounts.services.organisations import domain_normalise
from tests.fixtures.members import acting


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Example.COM", "example.com"),
        ("@mail.example.org", "mail.example.org"),
        ("example.com.", "example.com"),
        ("münchen.example", "xn--mnchen-3ya.example"),
    ],
)
def test_domains_are_stored_in_canonical_form(raw: str, expected: str) -> None:
    assert domain_normalise(raw) == expected


@pytest.mark.parametrize(
    "raw",
    [
        "localhost",
        "http://example.com",
        "user@example.com",
        "*.example.com",
        "-bad.example",
        "exa mple.com",
        "192.168.1.10",
        "a..example",
        "x" * 64 + ".example",
        "",
    ],
)
def test_malformed_domains_are_refused_with_a_clear_message(raw: str) -> None:
    with pytest.raises(ValidationError, match="not a valid domain"):
        domain_normalise(raw)


def test_isac_admin_creates_an_organisation_and_it_is_audited(
    isac_admin: User, energy: Sector
) -> None:
    org = services.organisation_create(
        name="Northwind Energy",
        short_name="Northwind",
        sectors=[energy],
        country="us",
        domains=["Northwind.example", "nw.example"],
        by=acting(isac_admin),
        ip_address="192.0.2.7",
    )

    assert org.country == "US"
    assert sorted(org.domains.values_list("domain", flat=True)) == [
        "northwind.example",
        "nw.example",
    ]
    event = AuditEvent.objects.get(action="organisation.create", object_id=str(org.uuid))
    assert event.actor == isac_admin
    assert event.ip_address == "192.0.2.7"
    assert event.after is not None
    assert event.after["domains"] == ["northwind.example", "nw.example"]
    assert event.after["sectors"] == ["energy"]


def test_duplicate_organisation_name_is_refused_and_changes_nothing(
    isac_admin: User, org_a: Organisation
) -> None:
    count = Organisation.objects.count()

    with pytest.raises(ValidationError, match="already exists"):
        services.organisation_create(name="member a", by=acting(isac_admin))

    assert Organisation.objects.count() == count


def test_a_domain_registered_to_another_organisation_is_refused(
    isac_admin: User, org_a: Organisation
) -> None:
    with pytest.raises(ValidationError, match="registered to another organisation"):
        services.organisation_create(name="Copycat", domains=["A.test"], by=acting(isac_admin))

    assert not Organisation.objects.filter(name="Copycat").exists()


def test_malformed_domain_in_a_new_organisation_creates_nothing(isac_admin: User) -> None:
    with pytest.raises(ValidationError, match="not a valid domain"):
        services.organisation_create(
            name="Bad Domains", domains=["ok.example", "no"], by=acting(isac_admin)
        )

    assert not Organisation.objects.filter(name="Bad Domains").exists()


def test_bad_country_code_is_refused(isac_admin: User) -> None:
    with pytest.raises(ValidationError, match="two-letter"):
        services.organisation_create(name="Somewhere", country="USA", by=acting(isac_admin))


def test_org_admin_cannot_create_organisations(admin_a: User) -> None:
    with pytest.raises(PermissionDenied):
        services.organisation_create(name="Shadow", by=acting(admin_a))


def test_suspension_is_audited_with_before_and_after(isac_admin: User, org_a: Organisation) -> None:
    services.organisation_set_status(
        organisation=org_a, status="suspended", reason="unpaid", by=acting(isac_admin)
    )

    event = AuditEvent.objects.get(action="organisation.status")
    assert event.before == {"status": "active"}
    assert event.after == {"status": "suspended", "reason": "unpaid"}
    assert event.organisation == org_a


def test_the_isac_cannot_suspend_itself(isac_admin: User, isac_org: Organisation) -> None:
    with pytest.raises(ValidationError, match="ISAC organisation itself"):
        services.organisation_set_status(
            organisation=isac_org, status="suspended", by=acting(isac_admin)
        )


def test_org_admin_cannot_suspend_their_own_or_another_organisation(
    admin_a: User, org_a: Organisation, org_b: Organisation
) -> None:
    for org in (org_a, org_b):
        with pytest.raises(PermissionDenied):
            services.organisation_set_status(
                organisation=org, status="suspended", by=acting(admin_a)
            )
    assert Organisation.objects.get(pk=org_b.pk).status == "active"


def test_organisation_update_audits_only_what_changed(
    isac_admin: User, org_a: Organisation, energy: Sector
) -> None:
    services.organisation_update(
        organisation=org_a,
        by=acting(isac_admin),
        name="Member A Holdings",
        short_name="",
        country="",
        sectors=[energy],
        require_mfa=True,
        allow_any_invite_domain=False,
    )

    event = AuditEvent.objects.get(action="organisation.update")
    assert event.before == {"name": "Member A", "require_mfa": False}
    assert event.after == {"name": "Member A Holdings", "require_mfa": True}


def test_org_admin_changes_roles_in_their_own_organisation(admin_a: User, analyst_a: User) -> None:
    membership = acting(analyst_a)

    people.membership_set_role(membership=membership, role="org_admin", by=acting(admin_a))

    membership.refresh_from_db()
    assert membership.role == "org_admin"
    event = AuditEvent.objects.get(action="membership.role")
    assert event.before == {"user": "analyst@a.test", "role": "analyst"}
    assert event.after == {"user": "analyst@a.test", "role": "org_admin"}


def test_org_admin_of_a_cannot_touch_the_people_of_b(admin_a: User, peer_b: User) -> None:
    membership = acting(peer_b)

    with pytest.raises(PermissionDenied):
        people.membership_set_role(membership=membership, role="org_admin", by=acting(admin_a))
    with pytest.raises(PermissionDenied):
        people.membership_deactivate(membership=membership, by=acting(admin_a))

    membership.refresh_from_db()
    assert (membership.role, membership.is_active) == ("analyst", True)
    assert not AuditEvent.objects.filter(action__startswith="membership.", actor=admin_a).exists()


def test_analyst_cannot_manage_their_colleagues(analyst_a: User, admin_a: User) -> None:
    membership = acting(admin_a)

    with pytest.raises(PermissionDenied):
        people.membership_deactivate(membership=membership, by=acting(analyst_a))


def test_isac_roles_exist_only_in_the_isac(isac_admin: User, analyst_a: User) -> None:
    membership = acting(analyst_a)

    with pytest.raises(ValidationError, match="ISAC roles"):
        people.membership_set_role(membership=membership, role="isac_admin", by=acting(isac_admin))


def test_the_last_admin_cannot_be_removed_or_demoted(admin_a: User) -> None:
    membership = acting(admin_a)

    with pytest.raises(ValidationError, match="last admin"):
        people.membership_deactivate(membership=membership, by=acting(admin_a))
    with pytest.raises(ValidationError, match="last admin"):
        people.membership_set_role(membership=membership, role="analyst", by=acting(admin_a))


def test_duplicate_membership_is_refused(
    isac_admin: User, analyst_a: User, org_a: Organisation
) -> None:
    with pytest.raises(ValidationError, match="already a member"):
        people.membership_create(
            user=analyst_a, organisation=org_a, role="analyst", by=acting(isac_admin)
        )


def test_isac_admin_suspends_and_reinstates_a_person(isac_admin: User, analyst_a: User) -> None:
    people.user_set_active(user=analyst_a, active=False, reason="left", by=acting(isac_admin))
    analyst_a.refresh_from_db()
    assert not analyst_a.is_active

    people.user_set_active(user=analyst_a, active=True, by=acting(isac_admin))

    analyst_a.refresh_from_db()
    assert analyst_a.is_active
    assert list(
        AuditEvent.objects.filter(object_id=str(analyst_a.uuid))
        .order_by("at")
        .values_list("action", flat=True)
    )[-2:] == ["user.suspend", "user.reinstate"]


def test_an_email_address_is_recognised_as_a_members_by_its_domain(
    org_a: Organisation, org_b: Organisation, isac_admin: User
) -> None:
    from accounts.selectors.members import organisation_for_email

    services.organisation_domain_add(organisation=org_b, domain="ops.a.test", by=acting(isac_admin))

    assert organisation_for_email("Victim@A.test") == org_a
    assert organisation_for_email("someone@mail.a.test") == org_a
    assert organisation_for_email("x@ops.a.test") == org_b, "the most specific domain wins"
    assert organisation_for_email("x@elsewhere.example") is None
    assert organisation_for_email("not-an-address") is None


def test_agreement_terms_apply_only_while_the_acceptance_is_in_force(
    org_a: Organisation, isac_admin: User
) -> None:
    from accounts.models import AgreementAcceptance
    from accounts.selectors.members import agreement_terms_for
    from accounts.services.agreements import agreement_acceptance_revoke

    terms = agreement_terms_for(org_a)
    assert terms is not None
    assert terms.may_forward_to_government is False

    agreement_acceptance_revoke(
        acceptance=AgreementAcceptance.objects.get(organisation=org_a),
        reason="x",
        by=acting(isac_admin),
    )

    assert agreement_terms_for(org_a) is None
