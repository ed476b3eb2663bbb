"""API tokens: issued once, stored hashed, bound to one membership, refused when they should be."""

import base64
from datetime import timedelta
from io import StringIO
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from django.utils import timezone

from accounts.models import ApiToken, AuditEvent, Membership, Organisation, User
from accounts.services.tokens import token_issue
from tests.fixtures.members import acting


def _issue(user: User, **options: object) -> str:
    out = StringIO()
    call_command("issue_token", user.email, stdout=out, **options)
    return out.getvalue().strip()


def _me(client: Client, token: str, remote_addr: str = "127.0.0.1") -> Any:
    return client.get("/api/v1/me/", HTTP_AUTHORIZATION=f"Bearer {token}", REMOTE_ADDR=remote_addr)


def test_issue_token_command_prints_a_token_that_authenticates_as_that_membership(
    client: Client, analyst_a: User
) -> None:
    token = _issue(analyst_a, name="SIEM poller")

    response = _me(client, token)

    assert response.status_code == 200
    body = response.json()
    assert body["email"] == "analyst@a.test"
    assert body["organisation"]["name"] == "Member A"
    assert body["token"]["name"] == "SIEM poller"
    stored = ApiToken.objects.get()
    assert stored.last_used_at is not None
    assert stored.last_used_ip == "127.0.0.1"


def test_a_poller_is_recorded_once_a_minute_and_at_once_from_a_new_address(
    client: Client, analyst_a: User
) -> None:
    token = _issue(analyst_a)
    _me(client, token)
    first = ApiToken.objects.get().last_used_at

    _me(client, token)
    again = ApiToken.objects.get()
    _me(client, token, remote_addr="10.1.2.3")
    moved = ApiToken.objects.get()

    assert again.last_used_at == first  # a read within the minute writes nothing
    assert moved.last_used_ip == "10.1.2.3"
    assert first is not None
    assert moved.last_used_at is not None
    assert moved.last_used_at > first


def test_the_plaintext_is_never_stored(analyst_a: User) -> None:
    token = _issue(analyst_a)

    stored = ApiToken.objects.get()

    assert token not in (stored.secret_sha256, stored.prefix)
    assert token.split("_", 2)[2] not in str(list(ApiToken.objects.values()))
    assert token not in str(list(AuditEvent.objects.values()))


def test_basic_auth_with_the_token_as_password_works_for_clients_that_only_speak_basic(
    client: Client, analyst_a: User
) -> None:
    token = _issue(analyst_a)
    credentials = base64.b64encode(f"anything:{token}".encode()).decode()

    response = client.get("/api/v1/me/", HTTP_AUTHORIZATION=f"Basic {credentials}")

    assert response.status_code == 200
    assert response.json()["email"] == "analyst@a.test"


@pytest.mark.parametrize(
    "presented",
    ["isac_deadbeef_notthesecret", "not-a-token", "isac__", "isac_x_y_z"],
)
def test_wrong_or_malformed_tokens_are_refused(
    client: Client, analyst_a: User, presented: str
) -> None:
    _issue(analyst_a)

    response = _me(client, presented)

    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_a_revoked_token_stops_working_at_once(client: Client, analyst_a: User) -> None:
    token = _issue(analyst_a)
    client.force_login(analyst_a)
    stored = ApiToken.objects.get()

    client.post(f"/tokens/{stored.uuid}/revoke/")
    client.logout()
    response = _me(client, token)

    assert response.status_code == 401
    assert "revoked" in response.json()["detail"]
    assert AuditEvent.objects.filter(action="api_token.revoke").exists()


def test_an_expired_token_is_refused(client: Client, analyst_a: User) -> None:
    token = _issue(analyst_a, expires_days=1)
    ApiToken.objects.update(expires_at=timezone.now() - timedelta(seconds=1))

    response = _me(client, token)

    assert response.status_code == 401
    assert "expired" in response.json()["detail"]


def test_tokens_of_an_organisation_not_in_good_standing_lose_access(
    client: Client, analyst_a: User, org_a: Organisation
) -> None:
    token = _issue(analyst_a)
    org_a.status = Organisation.Status.SUSPENDED
    org_a.save()

    response = _me(client, token)

    assert response.status_code == 401
    assert "good standing" in response.json()["detail"]


def test_a_deactivated_membership_loses_token_access(client: Client, analyst_a: User) -> None:
    token = _issue(analyst_a)
    Membership.objects.filter(user=analyst_a).update(is_active=False)

    assert _me(client, token).status_code == 401


def test_a_token_limited_to_networks_is_refused_elsewhere(client: Client, analyst_a: User) -> None:
    token = _issue(analyst_a, allow_network=["192.0.2.0/24"])

    assert _me(client, token).status_code == 401
    assert _me(client, token, remote_addr="192.0.2.17").status_code == 200


def test_a_read_only_token_cannot_write(client: Client, analyst_a: User) -> None:
    read_only = _issue(analyst_a, read_only=True)
    read_write = _issue(analyst_a)

    refused = client.post("/api/v1/me/", HTTP_AUTHORIZATION=f"Bearer {read_only}")
    allowed_but_no_such_method = client.post(
        "/api/v1/me/", HTTP_AUTHORIZATION=f"Bearer {read_write}"
    )

    assert refused.status_code == 403
    assert "read-only" in refused.json()["detail"]
    assert allowed_but_no_such_method.status_code == 405


def test_issue_token_names_the_choice_when_a_person_has_several_organisations(
    analyst_a: User, org_b: Organisation
) -> None:
    Membership.objects.create(user=analyst_a, organisation=org_b, role=Membership.Role.ANALYST)

    with pytest.raises(CommandError, match="--organisation"):
        _issue(analyst_a)
    assert _issue(analyst_a, organisation="Peer B").startswith("isac_")


def test_bad_networks_are_refused_with_the_value_named(analyst_a: User) -> None:
    with pytest.raises(CommandError, match="not-an-ip"):
        _issue(analyst_a, allow_network=["not-an-ip"])
    assert not ApiToken.objects.exists()


def test_the_token_page_shows_the_plaintext_once_then_only_the_prefix(
    client: Client, analyst_a: User
) -> None:
    client.force_login(analyst_a)

    created = client.post(
        "/tokens/", {"name": "TAXII poller", "expires_in_days": "90", "read_only": "on"}
    )
    listed = client.get("/tokens/")

    stored = ApiToken.objects.get()
    assert created.status_code == 200
    plaintext = created.context["issued"]
    assert plaintext.startswith(f"isac_{stored.prefix}_")
    assert plaintext in created.content.decode()
    assert plaintext not in listed.content.decode()
    assert f"isac_{stored.prefix}_" in listed.content.decode()
    assert stored.read_only
    assert stored.membership.organisation.name == "Member A"
    assert stored.expires_at is not None


def test_a_person_cannot_revoke_someone_elses_token(
    client: Client, analyst_a: User, peer_b: User
) -> None:
    token, _ = token_issue(membership=peer_b.memberships.get(), name="B's SIEM", by=acting(peer_b))
    client.force_login(analyst_a)

    response = client.post(f"/tokens/{token.uuid}/revoke/")

    assert response.status_code == 404
    token.refresh_from_db()
    assert token.revoked_at is None


def test_unauthenticated_api_calls_are_refused(client: Client, db: None) -> None:
    assert client.get("/api/v1/me/").status_code in {401, 403}
