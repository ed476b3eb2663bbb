"""GET /api/v1/organisations/: ISAC admins list every member and its agreement state; a
member sees only its own organisation."""

from django.test import Client

from accounts.models import AgreementAcceptance, Membership, Organisation, User
from accounts.services.tokens import token_issue
from tests.fixtures.members import acting


def _token(user: User) -> str:
    membership = Membership.objects.filter(user=user).first()
    assert membership is not None
    return token_issue(membership=membership, name="tool", by=acting(user))[1]


def _names(client: Client, token: str, **query: str) -> set[str]:
    response = client.get("/api/v1/organisations/", query, HTTP_AUTHORIZATION=f"Bearer {token}")
    assert response.status_code == 200, response.content
    return {row["name"] for row in response.json()["results"]}


def test_isac_admin_lists_every_organisation_with_its_agreement_state(
    client: Client, isac_admin: User, org_a: Organisation, org_b: Organisation, org_d: Organisation
) -> None:
    token = _token(isac_admin)
    AgreementAcceptance.objects.filter(organisation=org_b).update(revoked_at="2026-01-01T00:00Z")

    response = client.get("/api/v1/organisations/", HTTP_AUTHORIZATION=f"Bearer {token}")

    rows = {row["name"]: row for row in response.json()["results"]}
    assert rows["Member A"]["agreement_state"] == "active"
    assert rows["Member A"]["domains"] == ["a.test"]
    assert rows["Member A"]["id"] == str(org_a.uuid)
    assert rows["Peer B"]["agreement_state"] == "revoked"
    assert _names(client, token, agreement="revoked") == {"Peer B"}
    assert _names(client, token, status="suspended") == {"Suspended D"}
    assert _names(client, token, sector="energy") == {"Member A", "Peer B", "Suspended D"}


def test_a_member_sees_only_its_own_organisation(
    client: Client, admin_a: User, org_b: Organisation, org_c: Organisation
) -> None:
    assert _names(client, _token(admin_a)) == {"Member A"}


def test_the_organisations_api_needs_authentication(client: Client, db: None) -> None:
    assert client.get("/api/v1/organisations/").status_code in {401, 403}
