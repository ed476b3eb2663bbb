"""Lockout counts one account however its address is spelt, counts wrong second-factor codes
with wrong passwords, and a signed-in person can change their password."""

import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from django.core import mail
from django.test import Client
from django.urls import reverse

from accounts.models import AuditEvent, Organisation, User
from accounts.services.invitations import invitation_create
from tests.fixtures.members import acting, authenticator_for, signed_in
from tests.fixtures.personas import PASSWORD

if TYPE_CHECKING:
    from django.test.client import _MonkeyPatchedWSGIResponse

IP = "192.0.2.90"


def _sign_in(client: Client, email: str, password: str = PASSWORD) -> "_MonkeyPatchedWSGIResponse":
    return client.post(reverse("login"), {"username": email, "password": password}, REMOTE_ADDR=IP)


def test_other_spellings_of_a_locked_address_are_locked_too(analyst_a: User) -> None:
    for _ in range(5):
        _sign_in(Client(), "analyst@a.test", "wrong-password")

    for spelling in ("Analyst@A.test", " ANALYST@a.test ", "analyst@a.test"):
        assert _sign_in(Client(), spelling).status_code == 429, spelling


def test_failures_under_different_spellings_add_up(analyst_a: User) -> None:
    for spelling in ("analyst@a.test", "Analyst@a.test", "ANALYST@A.TEST", "analyst@A.test"):
        _sign_in(Client(), spelling, "wrong-password")
    _sign_in(Client(), " Analyst@A.Test", "wrong-password")

    assert _sign_in(Client(), "analyst@a.test").status_code == 429


def test_an_address_typed_with_capitals_and_spaces_signs_in(analyst_a: User) -> None:
    client = Client()

    assert _sign_in(client, "  Analyst@A.TEST ").status_code == 302
    assert client.get("/").status_code == 200


def test_password_reset_and_invitations_take_any_spelling(
    analyst_a: User,
    admin_a: User,
    org_a: Organisation,
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        Client().post(reverse("password_reset"), {"email": " Analyst@A.TEST "})
    invitation = invitation_create(
        organisation=org_a, email="  New.Person@A.Test ", role="analyst", by=acting(admin_a)
    )

    assert invitation.email == "new.person@a.test"
    assert [m.to for m in mail.outbox if "Reset" in m.subject] == [["analyst@a.test"]]


def test_wrong_codes_lock_out_even_with_the_right_password_each_time(isac_admin: User) -> None:
    authenticator_for(isac_admin)

    # given: five sign-ins, each with the right password and then a wrong code
    answers = []
    for _ in range(5):
        client = Client()
        assert _sign_in(client, "admin@isac.test").status_code == 302
        answers.append(
            client.post(reverse("mfa-verify"), {"token": "00000000"}, REMOTE_ADDR=IP).status_code
        )
        time.sleep(1.1)  # the device refuses any code for a second after a wrong one

    # then: the fifth wrong code locks the account out, and the password no longer helps
    assert answers == [200, 200, 200, 200, 429]
    assert _sign_in(Client(), "admin@isac.test").status_code == 429


def test_a_complete_sign_in_clears_earlier_failures(analyst_a: User) -> None:
    for _ in range(4):
        _sign_in(Client(), "analyst@a.test", "wrong-password")
    assert _sign_in(Client(), "analyst@a.test").status_code == 302

    for _ in range(4):
        _sign_in(Client(), "analyst@a.test", "wrong-password")
    assert _sign_in(Client(), "analyst@a.test").status_code == 302


def test_changing_the_password_needs_the_old_one_and_ends_other_sessions(
    analyst_a: User,
) -> None:
    here, elsewhere = signed_in(analyst_a), signed_in(analyst_a)
    assert here.get(reverse("account-security")).content.count(b"Change my password") == 1
    new = "another-long-password-2"

    wrong = here.post(
        reverse("password-change"),
        {"old_password": "not-it", "new_password1": new, "new_password2": new},
    )
    assert wrong.status_code == 200
    assert b"incorrectly" in wrong.content
    done = here.post(
        reverse("password-change"),
        {"old_password": PASSWORD, "new_password1": new, "new_password2": new},
    )

    assert done["Location"] == reverse("account-security")
    assert here.get("/").status_code == 200, "this session stays open"
    assert elsewhere.get("/").status_code == 302, "every other session ends"
    assert _sign_in(Client(), "analyst@a.test", new).status_code == 302
    assert _sign_in(Client(), "analyst@a.test", PASSWORD).status_code == 200
    assert AuditEvent.objects.filter(action="user.password_change").count() == 1


def test_guessing_the_old_password_counts_towards_the_lockout(analyst_a: User) -> None:
    client = signed_in(analyst_a)
    answers = [
        client.post(
            reverse("password-change"),
            {"old_password": f"guess-{n}", "new_password1": "x", "new_password2": "x"},
            REMOTE_ADDR=IP,
        ).status_code
        for n in range(5)
    ]

    assert answers == [200, 200, 200, 200, 429]
    assert client.get("/").status_code == 302
