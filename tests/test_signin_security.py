"""Sign-in security: two factors for ISAC staff and organisations that require them, lockout
on e-mail plus address, password reset by e-mail, sessions that end on suspension."""

import re
import time
from typing import TYPE_CHECKING

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import Organisation, User
from accounts.services import organisations as services
from accounts.services import people
from accounts.services.tokens import token_issue
from tests.fixtures.members import acting, authenticator_for, sign_in, totp_code
from tests.fixtures.personas import PASSWORD

if TYPE_CHECKING:
    from django.test.client import _MonkeyPatchedWSGIResponse


def _password_sign_in(
    client: Client, email: str, password: str = PASSWORD, ip: str = "192.0.2.1"
) -> "_MonkeyPatchedWSGIResponse":
    return client.post(reverse("login"), {"username": email, "password": password}, REMOTE_ADDR=ip)


def test_isac_staff_must_set_up_two_factor_before_anything_else(isac_admin: User) -> None:
    client = Client()
    _password_sign_in(client, "admin@isac.test")

    response = client.get(reverse("isac-organisations"))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("mfa-setup"))


def test_pairing_an_authenticator_turns_on_two_factor_and_gives_recovery_codes(
    isac_curator: User,
) -> None:
    client = Client()
    _password_sign_in(client, "curator@isac.test")
    setup = client.get(reverse("mfa-setup"))
    assert setup.status_code == 200
    assert b"data:image/svg+xml" in setup.content
    device = TOTPDevice.objects.get(user=isac_curator, confirmed=False)

    wrong = client.post(
        reverse("mfa-setup"), {"token": "000000" if totp_code(device) != "000000" else "111111"}
    )
    assert b"not right" in wrong.content
    done = client.post(reverse("mfa-setup"), {"token": totp_code(device)})

    assert done.status_code == 200
    assert b"recovery codes" in done.content
    assert StaticToken.objects.filter(device__user=isac_curator).count() == 10
    assert client.get("/").status_code == 200


def test_a_signed_in_isac_admin_must_give_the_code_each_session(isac_admin: User) -> None:
    device = authenticator_for(isac_admin)
    client = Client()
    _password_sign_in(client, "admin@isac.test")

    held = client.get(reverse("isac-audit"))
    assert held["Location"].startswith(reverse("mfa-verify"))
    bad = client.post(reverse("mfa-verify"), {"token": "12345678"})
    assert bad.status_code == 200
    assert b"not right" in bad.content
    time.sleep(1.1)  # after a wrong code the device refuses any code for a second
    good = client.post(reverse("mfa-verify") + "?next=/isac/audit/", {"token": totp_code(device)})

    assert good["Location"] == "/isac/audit/"
    assert client.get(reverse("isac-audit")).status_code == 200


def test_a_recovery_code_works_once(isac_admin: User) -> None:
    sign_in(Client(), isac_admin)  # pairs the authenticator
    from accounts.services.signin import mfa_recovery_codes_regenerate

    code = mfa_recovery_codes_regenerate(user=isac_admin)[0]
    first, second = Client(), Client()
    first.force_login(isac_admin)
    second.force_login(isac_admin)

    assert first.post(reverse("mfa-verify"), {"token": code}).status_code == 302
    assert second.post(reverse("mfa-verify"), {"token": code}).status_code == 200


def test_an_organisation_can_require_two_factor_for_its_people(
    isac_admin: User, org_a: Organisation, analyst_a: User
) -> None:
    client = Client()
    client.force_login(analyst_a)
    assert client.get("/").status_code == 200

    services.organisation_update(
        organisation=org_a,
        by=acting(isac_admin),
        name=org_a.name,
        short_name="",
        country="",
        sectors=[],
        require_mfa=True,
        allow_any_invite_domain=False,
    )

    assert client.get("/")["Location"].startswith(reverse("mfa-setup"))


def test_api_tokens_work_without_a_second_factor_but_session_api_calls_do_not(
    isac_admin: User,
) -> None:
    membership = acting(isac_admin)
    _, plaintext = token_issue(membership=membership, name="tool", by=acting(isac_admin))
    session = Client()
    session.force_login(isac_admin)

    assert Client().get("/api/v1/me/", HTTP_AUTHORIZATION=f"Bearer {plaintext}").status_code == 200
    assert session.get("/api/v1/me/").status_code == 403


def test_repeated_failures_lock_out_that_email_from_that_address(analyst_a: User) -> None:
    client = Client()
    for _ in range(5):
        _password_sign_in(client, "analyst@a.test", "wrong-password", ip="192.0.2.50")

    locked = _password_sign_in(client, "analyst@a.test", PASSWORD, ip="192.0.2.50")
    elsewhere = _password_sign_in(Client(), "analyst@a.test", PASSWORD, ip="192.0.2.51")

    assert locked.status_code == 429
    assert b"Too many failed attempts" in locked.content
    assert elsewhere.status_code == 302, "another address is not locked out"


def test_lockout_applies_to_every_http_method(analyst_a: User) -> None:
    client = Client()
    for _ in range(5):
        _password_sign_in(client, "analyst@a.test", "wrong-password", ip="192.0.2.60")

    for method in ("get", "put", "patch", "delete"):
        response = getattr(client, method)(
            reverse("login") + "?username=analyst@a.test", REMOTE_ADDR="192.0.2.60"
        )
        assert response.status_code == 429, method


def test_other_people_are_not_locked_out_by_someone_elses_failures(
    analyst_a: User, admin_a: User
) -> None:
    for _ in range(5):
        _password_sign_in(Client(), "analyst@a.test", "wrong-password", ip="192.0.2.70")

    assert _password_sign_in(Client(), "admin@a.test", PASSWORD, ip="192.0.2.70").status_code == 302


def test_password_reset_by_email(
    analyst_a: User, django_capture_on_commit_callbacks: object
) -> None:
    client = Client()
    with django_capture_on_commit_callbacks(execute=True):  # type: ignore[operator]
        response = client.post(reverse("password_reset"), {"email": "Analyst@A.test"})
    assert response.status_code == 302
    link = re.search(r"http://\S+(/accounts/password-reset/\S+/)", str(mail.outbox[-1].body))
    assert link, mail.outbox[-1].body

    form = client.get(link.group(1), follow=True)
    assert form.status_code == 200
    done = client.post(
        form.redirect_chain[-1][0],
        {"new_password1": "a-brand-new-password-7", "new_password2": "a-brand-new-password-7"},
    )

    assert done.status_code == 302
    analyst_a.refresh_from_db()
    assert analyst_a.check_password("a-brand-new-password-7")


def test_password_reset_for_an_unknown_address_sends_nothing_and_says_the_same(
    db: None, django_capture_on_commit_callbacks: object
) -> None:
    with django_capture_on_commit_callbacks(execute=True):  # type: ignore[operator]
        response = Client().post(reverse("password_reset"), {"email": "nobody@nowhere.test"})
    assert response.status_code == 302
    assert mail.outbox == []


def test_suspending_a_person_ends_their_session_at_once(isac_admin: User, analyst_a: User) -> None:
    client = Client()
    client.force_login(analyst_a)
    assert client.get("/").status_code == 200

    people.user_set_active(user=analyst_a, active=False, by=acting(isac_admin))

    assert client.get("/")["Location"].startswith(reverse("login"))


def test_suspending_an_organisation_ends_its_peoples_sessions_and_tokens_at_once(
    isac_admin: User, org_a: Organisation, analyst_a: User
) -> None:
    _, plaintext = token_issue(membership=acting(analyst_a), name="SIEM", by=acting(analyst_a))
    client = Client()
    client.force_login(analyst_a)
    assert client.get("/").status_code == 200

    services.organisation_set_status(organisation=org_a, status="suspended", by=acting(isac_admin))

    assert client.get("/")["Location"].startswith(reverse("login"))
    assert client.get("/").status_code == 302, "the session itself is gone"
    api = Client().get("/api/v1/me/", HTTP_AUTHORIZATION=f"Bearer {plaintext}")
    assert api.status_code in {401, 403}


def test_the_suspended_member_cannot_sign_in(suspended_d: User) -> None:
    client = Client()
    _password_sign_in(client, "analyst@d.test")

    assert client.get("/")["Location"].startswith(reverse("login"))


def test_a_person_in_two_organisations_keeps_the_one_still_active(
    isac_admin: User, analyst_a: User, org_b: Organisation
) -> None:
    people.membership_create(
        user=analyst_a, organisation=org_b, role="analyst", by=acting(isac_admin)
    )
    client = Client()
    client.force_login(analyst_a)

    services.organisation_set_status(
        organisation=Organisation.objects.get(name="Member A"),
        status="suspended",
        by=acting(isac_admin),
    )

    page = client.get("/")
    assert page.status_code == 200
    assert b"Peer B" in page.content


@pytest.mark.parametrize("url_name", ["mfa-setup", "mfa-verify", "account-security"])
def test_security_pages_need_a_signed_in_person(db: None, url_name: str) -> None:
    assert Client().get(reverse(url_name))["Location"].startswith(reverse("login"))


def test_django_admin_site_users_need_two_factors_too(db: None) -> None:
    superuser = User.objects.create_superuser("root@isac.test", "a-long-root-password-1")
    client = Client()
    client.force_login(superuser)

    assert client.get("/admin/")["Location"].startswith(reverse("mfa-setup"))


def test_guessing_second_factor_codes_locks_out_and_ends_the_session(isac_admin: User) -> None:
    authenticator_for(isac_admin)
    client = Client()
    _password_sign_in(client, "admin@isac.test", ip="192.0.2.80")

    answers = [
        client.post(reverse("mfa-verify"), {"token": "000001"}, REMOTE_ADDR="192.0.2.80")
        for _ in range(5)
    ]

    assert answers[-1].status_code == 429
    assert client.get("/", REMOTE_ADDR="192.0.2.80")["Location"].startswith(reverse("login"))
    again = _password_sign_in(client, "admin@isac.test", ip="192.0.2.80")
    assert again.status_code == 429


def test_an_isac_admin_resets_a_lost_authenticator_and_it_is_audited(
    isac_admin_client: Client, analyst_a: User, org_a: Organisation
) -> None:
    authenticator_for(analyst_a)

    isac_admin_client.post(
        reverse("isac-user-action", args=[analyst_a.uuid, "mfa-reset"]),
        {"organisation": str(org_a.uuid)},
    )

    assert not TOTPDevice.objects.filter(user=analyst_a).exists()
    from accounts.models import AuditEvent

    assert AuditEvent.objects.filter(
        action="user.mfa_reset", object_id=str(analyst_a.uuid)
    ).exists()


def test_an_operator_resets_two_factor_from_the_command_line(isac_admin: User) -> None:
    from io import StringIO

    from django.core.management import call_command

    authenticator_for(isac_admin)

    call_command("reset_mfa", "ADMIN@isac.test", stdout=StringIO())

    assert not TOTPDevice.objects.filter(user=isac_admin).exists()


def test_an_org_admin_makes_two_factor_compulsory_for_their_people(
    admin_a_client: Client, org_a: Organisation, analyst_a: User
) -> None:
    analyst = Client()
    analyst.force_login(analyst_a)

    admin_a_client.post(reverse("org-require-mfa"))

    org_a.refresh_from_db()
    assert org_a.require_mfa
    assert analyst.get("/")["Location"].startswith(reverse("mfa-setup"))


def test_an_analyst_cannot_change_the_two_factor_rule(
    analyst_a_client: Client, org_a: Organisation
) -> None:
    assert analyst_a_client.post(reverse("org-require-mfa")).status_code == 404
    org_a.refresh_from_db()
    assert not org_a.require_mfa
