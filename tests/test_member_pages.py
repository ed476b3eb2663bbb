"""The ISAC admin and org admin pages, through HTTP: who may open them, what they show, and
that every change goes through and is refused like the services say."""

import csv
import io
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import (
    AgreementAcceptance,
    AgreementVersion,
    AuditEvent,
    Membership,
    Organisation,
    Sector,
    User,
)
from accounts.services.organisations import organisation_create
from tests.fixtures.members import acting, sign_in

ISAC_GET_PAGES: list[tuple[str, list[str]]] = [
    ("isac-organisations", []),
    ("isac-organisations-csv", []),
    ("isac-organisation-new", []),
    ("isac-agreements", []),
    ("isac-agreement-new", []),
    ("isac-audit", []),
    ("isac-sectors", []),
]


@pytest.fixture
def member_clients(
    admin_a: User, analyst_a: User, peer_b: User, outsider_c: User, isac_curator: User
) -> list[Client]:
    return [sign_in(Client(), u) for u in (admin_a, analyst_a, peer_b, outsider_c, isac_curator)]


@pytest.mark.parametrize(("name", "args"), ISAC_GET_PAGES)
def test_only_isac_admins_open_the_isac_pages(
    name: str, args: list[str], member_clients: list[Client], isac_admin_client: Client
) -> None:
    url = reverse(name, args=args)

    assert isac_admin_client.get(url).status_code == 200
    for client in member_clients:
        assert client.get(url).status_code == 404
        assert client.post(url, {}).status_code == 404


def test_isac_object_pages_and_actions_answer_404_to_members_on_every_method(
    member_clients: list[Client], org_b: Organisation, agreement: AgreementVersion
) -> None:
    acceptance = AgreementAcceptance.objects.get(organisation=org_b)
    user = User.objects.get(email="admin@b.test")
    urls = [
        reverse("isac-organisation", args=[org_b.uuid]),
        reverse("isac-organisation-edit", args=[org_b.uuid]),
        reverse("isac-organisation-status", args=[org_b.uuid]),
        reverse("isac-domain-add", args=[org_b.uuid]),
        reverse("isac-domain-remove", args=[org_b.uuid]),
        reverse("isac-organisation-invite", args=[org_b.uuid]),
        reverse("isac-acceptance-revoke", args=[acceptance.uuid]),
        reverse("isac-user-action", args=[user.uuid, "suspend"]),
        reverse("isac-agreement", args=[agreement.uuid]),
        reverse("isac-agreement-publish", args=[agreement.uuid]),
    ]
    for client in member_clients:
        for url in urls:
            for method in ("get", "post", "put", "delete"):
                assert getattr(client, method)(url).status_code == 404, (method, url)
    assert Organisation.objects.get(pk=org_b.pk).status == "active"
    assert User.objects.get(pk=user.pk).is_active


def test_anonymous_visitors_are_sent_to_sign_in(db: None) -> None:
    response = Client().get(reverse("isac-organisations"))
    assert response["Location"].startswith(reverse("login"))


@pytest.fixture
def many_members(
    isac_admin: User, agreement: AgreementVersion, energy: Sector, finance: Sector
) -> None:
    """Organisations in each agreement state."""
    from tests.fixtures.personas import accept_agreement, make_person

    now = timezone.now()
    states = {
        "Active Org": now + timedelta(days=200),
        "Expiring Org": now + timedelta(days=10),
        "Expired Org": now - timedelta(days=1),
        "Revoked Org": now + timedelta(days=200),
    }
    for index, (name, expires) in enumerate(states.items()):
        org = organisation_create(
            name=name, domains=[f"o{index}.test"], sectors=[energy], status="active", by=None
        )
        admin = make_person(f"admin@o{index}.test", org, Membership.Role.ORG_ADMIN)
        accept_agreement(org, agreement, admin)
        AgreementAcceptance.objects.filter(organisation=org).update(
            expires_at=expires, revoked_at=now if name == "Revoked Org" else None
        )
    organisation_create(name="Pending Org", sectors=[finance], status="applicant", by=None)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"agreement": "active"}, {"Active Org"}),
        ({"agreement": "expiring"}, {"Expiring Org"}),
        ({"agreement": "expired"}, {"Expired Org"}),
        ({"agreement": "revoked"}, {"Revoked Org"}),
        ({"agreement": "pending"}, {"Pending Org"}),
        ({"status": "applicant"}, {"Pending Org"}),
        ({"sector": "financial-services"}, {"Pending Org"}),
        ({"q": "expir"}, {"Expiring Org", "Expired Org"}),
    ],
)
def test_isac_admin_filters_organisations(
    isac_admin_client: Client, many_members: None, query: dict[str, str], expected: set[str]
) -> None:
    export = isac_admin_client.get(reverse("isac-organisations-csv"), query)
    page = isac_admin_client.get(reverse("isac-organisations"), query)

    rows = list(csv.DictReader(io.StringIO(export.content.decode())))
    assert {row["name"] for row in rows} == expected
    for name in expected:
        assert name.encode() in page.content


def test_the_organisations_list_has_a_bounded_number_of_queries(
    isac_admin_client: Client, many_members: None, django_assert_max_num_queries: object
) -> None:
    with django_assert_max_num_queries(14):  # type: ignore[operator]
        assert isac_admin_client.get(reverse("isac-organisations")).status_code == 200
    for index in range(10):
        organisation_create(name=f"Extra {index}", domains=[f"x{index}.test"], by=None)
    with django_assert_max_num_queries(14):  # type: ignore[operator]
        assert isac_admin_client.get(reverse("isac-organisations")).status_code == 200


def test_csv_export_neutralises_spreadsheet_formulas(isac_admin_client: Client) -> None:
    organisation_create(name="=HYPERLINK(evil)", by=None)

    export = isac_admin_client.get(reverse("isac-organisations-csv")).content.decode()

    assert "'=HYPERLINK(evil)" in export


def test_isac_admin_creates_an_organisation_in_the_browser(
    isac_admin_client: Client, energy: Sector
) -> None:
    response = isac_admin_client.post(
        reverse("isac-organisation-new"),
        {
            "name": "Harbor Bank",
            "short_name": "Harbor",
            "country": "US",
            "sectors": [energy.pk],
            "domains": "harborbank.example\nhb.example",
            "status": "applicant",
        },
    )

    org = Organisation.objects.get(name="Harbor Bank")
    assert response["Location"] == reverse("isac-organisation", args=[org.uuid])
    page = isac_admin_client.get(response["Location"])
    assert b"harborbank.example" in page.content
    assert b"identity--" in page.content


def test_bad_input_on_the_create_page_is_shown_and_changes_nothing(
    isac_admin_client: Client, org_a: Organisation
) -> None:
    count = Organisation.objects.count()

    duplicate = isac_admin_client.post(
        reverse("isac-organisation-new"), {"name": "MEMBER A", "status": "applicant"}
    )
    malformed = isac_admin_client.post(
        reverse("isac-organisation-new"),
        {"name": "New One", "domains": "not a domain", "status": "applicant"},
    )

    assert b"already exists" in duplicate.content
    assert b"not a valid domain" in malformed.content
    assert Organisation.objects.count() == count


def test_isac_admin_suspends_an_organisation_from_its_page(
    isac_admin_client: Client, org_a: Organisation, analyst_a: User
) -> None:
    member = sign_in(Client(), analyst_a)

    isac_admin_client.post(
        reverse("isac-organisation-status", args=[org_a.uuid]),
        {"status": "suspended", "reason": "security incident"},
        REMOTE_ADDR="192.0.2.99",
    )

    org_a.refresh_from_db()
    assert org_a.status == "suspended"
    assert member.get("/").status_code == 302
    event = AuditEvent.objects.get(action="organisation.status")
    assert event.ip_address == "192.0.2.99"
    page = isac_admin_client.get(reverse("isac-organisation", args=[org_a.uuid]))
    assert b"security incident" in page.content, "the activity shows the change"


def test_isac_admin_adds_and_removes_domains_with_clear_errors(
    isac_admin_client: Client, org_a: Organisation, org_b: Organisation
) -> None:
    url = reverse("isac-domain-add", args=[org_a.uuid])
    isac_admin_client.post(url, {"domain": "Mail.A.test"})
    taken = isac_admin_client.post(url, {"domain": "b.test"}, follow=True)
    bad = isac_admin_client.post(url, {"domain": "not_a_domain"}, follow=True)

    assert set(org_a.domains.values_list("domain", flat=True)) == {"a.test", "mail.a.test"}
    assert b"registered to another organisation" in taken.content
    assert b"not a valid domain" in bad.content


def test_isac_admin_revokes_an_acceptance_from_the_organisation_page(
    isac_admin_client: Client, org_a: Organisation
) -> None:
    acceptance = AgreementAcceptance.objects.get(organisation=org_a)

    isac_admin_client.post(
        reverse("isac-acceptance-revoke", args=[acceptance.uuid]), {"reason": "lapsed"}
    )

    acceptance.refresh_from_db()
    assert acceptance.revoked_at is not None
    assert acceptance.revoke_reason == "lapsed"


def test_audit_log_filters(
    isac_admin_client: Client, org_a: Organisation, org_b: Organisation, isac_admin: User
) -> None:
    from accounts.services.organisations import organisation_set_status

    organisation_set_status(organisation=org_b, status="suspended", by=acting(isac_admin))

    by_org = isac_admin_client.get(reverse("isac-audit"), {"organisation": str(org_b.uuid)})
    by_action = isac_admin_client.get(reverse("isac-audit"), {"action": "organisation.status"})
    by_actor = isac_admin_client.get(reverse("isac-audit"), {"actor": "admin@isac.test"})
    future = isac_admin_client.get(
        reverse("isac-audit"), {"since": (timezone.localdate() + timedelta(days=1)).isoformat()}
    )

    assert b'<span class="muted">Member A</span>' not in by_org.content
    assert b'<span class="muted">Peer B</span>' in by_org.content
    assert by_action.content.count(b"<code>organisation.status</code>") == 1
    assert b"admin@isac.test" in by_actor.content
    assert b"0 events" in future.content


def test_the_audit_log_has_a_bounded_number_of_queries(
    isac_admin_client: Client, many_members: None, django_assert_max_num_queries: object
) -> None:
    with django_assert_max_num_queries(12):  # type: ignore[operator]
        assert isac_admin_client.get(reverse("isac-audit")).status_code == 200


# --- Org admin pages ------------------------------------------------------------------


def test_org_admin_sees_their_organisation_and_people(
    admin_a_client: Client, analyst_a: User, peer_b: User
) -> None:
    overview = admin_a_client.get(reverse("org-overview"))
    people = admin_a_client.get(reverse("org-people"))

    assert b"In good standing" in overview.content
    assert b"analyst@a.test" in people.content
    assert b"analyst@b.test" not in people.content


@pytest.mark.parametrize("url_name", ["org-overview", "org-people"])
def test_analysts_and_isac_staff_do_not_get_org_admin_pages(
    url_name: str, analyst_a_client: Client, isac_admin_client: Client
) -> None:
    assert analyst_a_client.get(reverse(url_name)).status_code == 404
    assert isac_admin_client.get(reverse(url_name)).status_code == 404


def test_org_admin_changes_a_role_and_removes_a_person(
    admin_a_client: Client, analyst_a: User
) -> None:
    membership = acting(analyst_a)

    admin_a_client.post(reverse("membership-role", args=[membership.uuid]), {"role": "org_admin"})
    admin_a_client.post(reverse("membership-active", args=[membership.uuid]), {"action": "remove"})

    membership.refresh_from_db()
    assert (membership.role, membership.is_active) == ("org_admin", False)


def test_org_admin_of_a_cannot_act_on_the_people_of_b(
    admin_a_client: Client, peer_b: User, admin_b: User
) -> None:
    membership = acting(peer_b)

    role = admin_a_client.post(
        reverse("membership-role", args=[membership.uuid]), {"role": "org_admin"}
    )
    remove = admin_a_client.post(
        reverse("membership-active", args=[membership.uuid]), {"action": "remove"}
    )

    assert role.status_code == 404
    assert remove.status_code == 404
    membership.refresh_from_db()
    assert (membership.role, membership.is_active) == ("analyst", True)


def test_org_admin_cannot_give_an_isac_role(admin_a_client: Client, analyst_a: User) -> None:
    membership = acting(analyst_a)

    response = admin_a_client.post(
        reverse("membership-role", args=[membership.uuid]), {"role": "isac_admin"}, follow=True
    )

    assert b"ISAC roles" in response.content
    membership.refresh_from_db()
    assert membership.role == "analyst"


def test_removing_the_last_admin_is_refused_with_a_message(
    admin_a_client: Client, admin_a: User
) -> None:
    membership = acting(admin_a)

    response = admin_a_client.post(
        reverse("membership-active", args=[membership.uuid]), {"action": "remove"}, follow=True
    )

    assert b"last admin" in response.content
    membership.refresh_from_db()
    assert membership.is_active


def test_the_people_page_has_a_bounded_number_of_queries(
    admin_a_client: Client, org_a: Organisation, django_assert_max_num_queries: object
) -> None:
    from tests.fixtures.personas import make_person

    for index in range(10):
        make_person(f"p{index}@a.test", org_a, Membership.Role.ANALYST)

    with django_assert_max_num_queries(16):  # type: ignore[operator]
        assert admin_a_client.get(reverse("org-people")).status_code == 200


def test_the_switcher_changes_the_organisation_acted_for(
    analyst_a: User, org_b: Organisation, isac_admin: User
) -> None:
    from accounts.services.people import membership_create

    other = membership_create(
        user=analyst_a, organisation=org_b, role="org_admin", by=acting(isac_admin)
    )
    client = sign_in(Client(), analyst_a)
    assert client.get(reverse("org-people")).status_code == 404

    client.post(reverse("switch-membership"), {"membership": str(other.uuid), "next": "/"})

    people = client.get(reverse("org-people"))
    assert people.status_code == 200
    assert b"People of Peer B" in people.content


def test_the_organisation_page_has_a_bounded_number_of_queries(
    isac_admin_client: Client,
    org_a: Organisation,
    isac_admin: User,
    django_assert_max_num_queries: object,
) -> None:
    from accounts.services.people import membership_set_role
    from tests.fixtures.personas import make_person

    for index in range(8):
        person = make_person(f"p{index}@a.test", org_a, Membership.Role.ANALYST)
        membership_set_role(membership=acting(person), role="org_admin", by=acting(isac_admin))

    with django_assert_max_num_queries(20):  # type: ignore[operator]
        page = isac_admin_client.get(reverse("isac-organisation", args=[org_a.uuid]))
    assert page.status_code == 200
    assert b"p7@a.test" in page.content


def test_isac_admin_adds_and_renames_sectors(isac_admin_client: Client, energy: Sector) -> None:
    isac_admin_client.post(reverse("isac-sectors"), {"name": "Space Systems"})
    isac_admin_client.post(reverse("isac-sectors"), {"name": "Energy & Power", "slug": "energy"})
    duplicate = isac_admin_client.post(reverse("isac-sectors"), {"name": "space systems"})

    assert Sector.objects.get(slug="space-systems").name == "Space Systems"
    assert Sector.objects.get(slug="energy").name == "Energy & Power"
    assert b"already exists" in duplicate.content
    assert AuditEvent.objects.filter(action="sector.update").count() == 1


def test_members_cannot_edit_sectors(admin_a_client: Client, energy: Sector) -> None:
    response = admin_a_client.post(reverse("isac-sectors"), {"name": "X", "slug": "energy"})

    assert response.status_code == 404
    assert Sector.objects.get(slug="energy").name == "Energy"


def test_an_unknown_filter_value_does_not_drop_the_other_filters(
    isac_admin_client: Client, many_members: None
) -> None:
    export = isac_admin_client.get(
        reverse("isac-organisations-csv"), {"status": "applicant", "sector": "no-such-sector"}
    )
    page = isac_admin_client.get(
        reverse("isac-organisations"), {"status": "applicant", "sector": "no-such-sector"}
    )

    rows = list(csv.DictReader(io.StringIO(export.content.decode())))
    assert {row["name"] for row in rows} == {"Pending Org"}
    assert b"Select a valid choice" in page.content
