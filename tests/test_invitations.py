"""Org admins invite people by e-mail; the link expires, works once, and sets a password."""

import re
from datetime import timedelta
from typing import TYPE_CHECKING

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import AuditEvent, Invitation, Membership, Organisation, User
from accounts.services.invitations import invitation_create
from accounts.services.organisations import organisation_update
from accounts.tasks import invitations_sweep
from tests.fixtures.members import acting
from tests.fixtures.personas import PASSWORD

if TYPE_CHECKING:
    from django.test.client import _MonkeyPatchedWSGIResponse


def _invite(client: Client, email: str, role: str = "analyst") -> "_MonkeyPatchedWSGIResponse":
    return client.post(reverse("org-people"), {"email": email, "role": role})


def _link_from_outbox() -> str:
    match = re.search(r"http://\S+/accounts/invitation/(\S+)/", str(mail.outbox[-1].body))
    assert match, mail.outbox[-1].body
    return f"/accounts/invitation/{match.group(1)}/"


def test_org_admin_invites_and_the_invitee_sets_a_password(
    admin_a_client: Client, org_a: Organisation, django_capture_on_commit_callbacks: object
) -> None:
    with django_capture_on_commit_callbacks(execute=True):  # type: ignore[operator]
        response = _invite(admin_a_client, "New.Person@A.test")
    assert response.status_code == 302
    assert mail.outbox[-1].to == ["new.person@a.test"]
    link = _link_from_outbox()
    invitation = Invitation.objects.get()
    assert invitation.token_sha256
    assert link.split("/")[-2] not in invitation.token_sha256

    visitor = Client()
    form = visitor.get(link)
    assert form.status_code == 200
    assert b"Join Member A" in form.content
    accepted = visitor.post(
        link,
        {
            "full_name": "New Person",
            "password1": "a-fine-long-secret-9",
            "password2": "a-fine-long-secret-9",
        },
    )

    assert accepted.status_code == 302
    user = User.objects.get(email="new.person@a.test")
    assert user.check_password("a-fine-long-secret-9")
    assert Membership.objects.get(user=user).organisation == org_a
    assert visitor.get("/").status_code == 200, "the new person is signed in"
    assert AuditEvent.objects.filter(action="invitation.accept", actor=user).exists()


def test_an_invitation_link_works_only_once(
    admin_a_client: Client, django_capture_on_commit_callbacks: object
) -> None:
    with django_capture_on_commit_callbacks(execute=True):  # type: ignore[operator]
        _invite(admin_a_client, "once@a.test")
    link = _link_from_outbox()
    body = {
        "full_name": "Once",
        "password1": "a-fine-long-secret-9",
        "password2": "a-fine-long-secret-9",
    }
    Client().post(link, body)

    again = Client().post(link, {**body, "password1": "another-long-secret-1"})

    assert again.status_code == 410
    assert b"already been used" in again.content
    assert User.objects.get(email="once@a.test").check_password("a-fine-long-secret-9")


def test_an_expired_invitation_link_is_refused(
    admin_a_client: Client, django_capture_on_commit_callbacks: object
) -> None:
    with django_capture_on_commit_callbacks(execute=True):  # type: ignore[operator]
        _invite(admin_a_client, "late@a.test")
    link = _link_from_outbox()
    Invitation.objects.update(expires_at=timezone.now() - timedelta(minutes=1))

    response = Client().post(
        link,
        {
            "full_name": "Late",
            "password1": "a-fine-long-secret-9",
            "password2": "a-fine-long-secret-9",
        },
    )

    assert response.status_code == 410
    assert b"expired" in response.content
    assert not User.objects.filter(email="late@a.test").exists()


def test_a_made_up_invitation_link_is_refused(db: None) -> None:
    response = Client().get("/accounts/invitation/not-a-real-token/")
    assert response.status_code == 410
    assert b"not valid" in response.content


def test_weak_password_or_mismatch_is_refused_and_the_link_still_works(
    admin_a_client: Client, django_capture_on_commit_callbacks: object
) -> None:
    with django_capture_on_commit_callbacks(execute=True):  # type: ignore[operator]
        _invite(admin_a_client, "weak@a.test")
    link = _link_from_outbox()

    weak = Client().post(link, {"full_name": "W", "password1": "123", "password2": "123"})
    differ = Client().post(
        link,
        {"full_name": "W", "password1": "a-fine-long-secret-9", "password2": "other-long-secret-9"},
    )

    assert weak.status_code == 200
    assert b"too short" in weak.content
    assert differ.status_code == 200
    assert b"differ" in differ.content
    assert not User.objects.filter(email="weak@a.test").exists()
    assert Client().get(link).status_code == 200


def test_invitations_only_go_to_the_organisations_domains(
    admin_a_client: Client, org_a: Organisation
) -> None:
    response = _invite(admin_a_client, "someone@gmail.example")

    assert response.status_code == 200
    assert b"not at one of Member A" in response.content
    assert not Invitation.objects.exists()


def test_an_isac_admin_can_allow_other_domains(
    admin_a: User, isac_admin: User, org_a: Organisation, energy: object
) -> None:
    organisation_update(
        organisation=org_a,
        by=acting(isac_admin),
        name=org_a.name,
        short_name="",
        country="",
        sectors=[],
        require_mfa=False,
        allow_any_invite_domain=True,
    )
    org_a.refresh_from_db()

    invitation = invitation_create(
        organisation=org_a, email="contractor@partner.example", role="analyst", by=acting(admin_a)
    )

    assert invitation.email == "contractor@partner.example"


def test_org_admin_cannot_invite_into_another_organisation_or_hand_out_isac_roles(
    admin_a: User, org_b: Organisation, org_a: Organisation
) -> None:
    with pytest.raises(PermissionDenied):
        invitation_create(organisation=org_b, email="x@b.test", role="analyst", by=acting(admin_a))
    with pytest.raises(ValidationError, match="cannot be given that role"):
        invitation_create(
            organisation=org_a, email="x@a.test", role="isac_admin", by=acting(admin_a)
        )
    assert not Invitation.objects.exists()


def test_an_analyst_cannot_invite(analyst_a_client: Client) -> None:
    assert _invite(analyst_a_client, "friend@a.test").status_code == 404
    assert not Invitation.objects.exists()


def test_inviting_an_existing_member_is_refused(
    admin_a: User, analyst_a: User, org_a: Organisation
) -> None:
    with pytest.raises(ValidationError, match="already a member"):
        invitation_create(
            organisation=org_a, email="ANALYST@a.test", role="analyst", by=acting(admin_a)
        )


def test_org_admin_of_a_cannot_withdraw_bs_invitation(
    admin_a_client: Client, admin_b: User, org_b: Organisation
) -> None:
    invitation = invitation_create(
        organisation=org_b, email="new@b.test", role="analyst", by=acting(admin_b)
    )

    response = admin_a_client.post(reverse("invitation-revoke", args=[invitation.uuid]))

    assert response.status_code == 404
    invitation.refresh_from_db()
    assert invitation.revoked_at is None


def test_org_admin_withdraws_their_invitation_and_its_link_stops_working(
    admin_a_client: Client,
    admin_a: User,
    org_a: Organisation,
    django_capture_on_commit_callbacks: object,
) -> None:
    with django_capture_on_commit_callbacks(execute=True):  # type: ignore[operator]
        _invite(admin_a_client, "maybe@a.test")
    link = _link_from_outbox()
    invitation = Invitation.objects.get()

    admin_a_client.post(reverse("invitation-revoke", args=[invitation.uuid]))

    assert Client().get(link).status_code == 410


def test_an_existing_account_joins_by_signing_in_first(
    admin_b: User,
    org_b: Organisation,
    analyst_a: User,
    isac_admin: User,
    django_capture_on_commit_callbacks: object,
) -> None:
    organisation_update(
        organisation=org_b,
        by=acting(isac_admin),
        name=org_b.name,
        short_name="",
        country="",
        sectors=[],
        require_mfa=False,
        allow_any_invite_domain=True,
    )
    org_b.refresh_from_db()
    with django_capture_on_commit_callbacks(execute=True):  # type: ignore[operator]
        invitation_create(
            organisation=org_b, email="analyst@a.test", role="analyst", by=acting(admin_b)
        )
    link = _link_from_outbox()

    anonymous = Client().post(link, {})
    assert b"already an account" in anonymous.content
    signed_in = Client()
    signed_in.force_login(analyst_a)
    joined = signed_in.post(link, {})

    assert joined.status_code == 302
    assert set(
        Membership.objects.filter(user=analyst_a).values_list("organisation__name", flat=True)
    ) == {
        "Member A",
        "Peer B",
    }
    assert analyst_a.check_password(PASSWORD), "an invitation never changes an existing password"


def test_the_sweep_sends_invitations_whose_email_was_lost(
    admin_a: User, org_a: Organisation
) -> None:
    invitation = invitation_create(
        organisation=org_a, email="lost@a.test", role="analyst", by=acting(admin_a)
    )
    Invitation.objects.filter(pk=invitation.pk).update(
        created_at=timezone.now() - timedelta(hours=1)
    )

    assert invitations_sweep() == 1

    assert mail.outbox[-1].to == ["lost@a.test"]
    assert invitations_sweep() == 0, "an invitation is sent once"


@pytest.mark.services
def test_invitation_email_goes_out_through_the_email_queue_worker(
    celery_worker: object, admin_a: User, org_a: Organisation
) -> None:
    import time

    invitation_create(organisation=org_a, email="queued@a.test", role="analyst", by=acting(admin_a))

    deadline = time.monotonic() + 20
    while (
        time.monotonic() < deadline
        and not Invitation.objects.filter(sent_at__isnull=False).exists()
    ):
        time.sleep(0.2)
    assert Invitation.objects.get().sent_at is not None
    assert mail.outbox[-1].to == ["queued@a.test"]


def test_isac_admin_invites_isac_staff_from_the_isac_organisation_page(
    isac_admin_client: Client, isac_org: Organisation, django_capture_on_commit_callbacks: object
) -> None:
    with django_capture_on_commit_callbacks(execute=True):  # type: ignore[operator]
        isac_admin_client.post(
            reverse("isac-organisation-invite", args=[isac_org.uuid]),
            {"email": "analyst2@isac.test", "role": "isac_analyst"},
        )
    link = _link_from_outbox()

    Client().post(
        link,
        {
            "full_name": "New Curator",
            "password1": "a-fine-long-secret-9",
            "password2": "a-fine-long-secret-9",
        },
    )

    membership = Membership.objects.get(user__email="analyst2@isac.test")
    assert (membership.organisation, membership.role) == (isac_org, "isac_analyst")
