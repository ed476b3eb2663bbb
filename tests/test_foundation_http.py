"""The base pages and security headers a browser gets."""

import pytest
from django.test import Client

from accounts.models import User
from tests.fixtures.personas import PASSWORD


@pytest.mark.django_db
def test_pages_carry_security_headers(client: Client) -> None:
    response = client.get("/accounts/login/")

    assert response.status_code == 200
    assert "default-src 'self'" in response.headers["Content-Security-Policy"]
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"


@pytest.mark.django_db
def test_dashboard_requires_sign_in(client: Client) -> None:
    response = client.get("/")

    assert response.status_code == 302
    assert response.headers["Location"].startswith("/accounts/login/")


def test_analyst_signs_in_by_email_in_any_case_and_sees_their_organisation(
    client: Client, analyst_a: User
) -> None:
    response = client.post(
        "/accounts/login/", {"username": "Analyst@A.test", "password": PASSWORD}, follow=True
    )

    assert response.status_code == 200
    assert b"Member A" in response.content
    assert b"Sign out" in response.content


def test_wrong_password_is_refused_with_a_message(client: Client, analyst_a: User) -> None:
    response = client.post("/accounts/login/", {"username": "analyst@a.test", "password": "nope"})

    assert response.status_code == 200
    assert b"correct" in response.content
    assert "_auth_user_id" not in client.session


def test_person_cannot_switch_to_an_organisation_they_do_not_belong_to(
    client: Client, analyst_a: User, peer_b: User
) -> None:
    client.force_login(analyst_a)
    other = peer_b.memberships.get()

    response = client.post("/accounts/switch/", {"membership": str(other.uuid)})

    assert response.status_code == 404
