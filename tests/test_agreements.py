"""Agreement versions (draft, publish, immutable, supersede) and acceptance, through the
services and the pages."""

import hashlib
from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import (
    AgreementAcceptance,
    AgreementVersion,
    AuditEvent,
    Organisation,
    User,
)
from accounts.services import agreements as agreement_services
from accounts.services.tokens import token_issue
from accounts.standing import current_agreement_version, is_in_good_standing
from tests.fixtures.members import acting


def test_a_draft_is_not_in_force_until_published(
    draft_agreement: AgreementVersion, agreement: AgreementVersion
) -> None:
    assert current_agreement_version() == agreement
    assert draft_agreement.body_sha256 == ""


def test_publishing_freezes_the_text_and_supersedes_the_previous_version(
    isac_admin: User, draft_agreement: AgreementVersion, org_a: Organisation
) -> None:
    agreement_services.agreement_version_publish(version=draft_agreement, by=acting(isac_admin))

    draft_agreement.refresh_from_db()
    assert current_agreement_version() == draft_agreement
    assert (
        draft_agreement.body_sha256
        == hashlib.sha256(draft_agreement.body_markdown.encode()).hexdigest()
    )
    assert not is_in_good_standing(org_a), "members must accept the new version"
    with pytest.raises(ValidationError, match="cannot be changed"):
        agreement_services.agreement_version_update(
            version=draft_agreement, by=acting(isac_admin), body_markdown="sneaky edit"
        )
    with pytest.raises(ValidationError, match="cannot be deleted"):
        agreement_services.agreement_version_delete(version=draft_agreement, by=acting(isac_admin))
    event = AuditEvent.objects.get(action="agreement.publish")
    assert event.before == {"supersedes": "2026.1"}


def test_a_draft_can_be_edited_and_the_edit_is_audited(
    isac_admin: User, draft_agreement: AgreementVersion
) -> None:
    agreement_services.agreement_version_update(
        version=draft_agreement, by=acting(isac_admin), may_forward_to_government=True
    )

    event = AuditEvent.objects.get(action="agreement.update")
    assert event.before == {"may_forward_to_government": False}
    assert event.after == {"may_forward_to_government": True}


def test_structured_terms_default_to_the_careful_choice(draft_agreement: AgreementVersion) -> None:
    assert draft_agreement.may_forward_to_government is False
    assert draft_agreement.may_show_source_name is False


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("version_label", "2026.1", "already exists"),
        ("version_label", "two words", "version label"),
        ("renewal_period_days", 5, "at least 30 days"),
        ("body_markdown", "  ", "needs its text"),
    ],
)
def test_bad_agreement_drafts_are_refused(
    isac_admin: User, agreement: AgreementVersion, field: str, value: object, message: str
) -> None:
    fields = {
        "title": "Agreement",
        "version_label": "2027.1",
        "body_markdown": "Text",
        "effective_date": timezone.localdate(),
        "acceptable_use": "Defence.",
        field: value,
    }
    with pytest.raises(ValidationError, match=message):
        agreement_services.agreement_version_create(by=acting(isac_admin), **fields)  # type: ignore[arg-type]


def test_org_admin_cannot_write_agreements(admin_a: User) -> None:
    with pytest.raises(PermissionDenied):
        agreement_services.agreement_version_create(
            by=acting(admin_a),
            title="Mine",
            version_label="x1",
            body_markdown="t",
            effective_date=timezone.localdate(),
            acceptable_use="any",
        )


@pytest.fixture
def applicant(isac_admin: User, energy: object) -> tuple[Organisation, User]:
    from accounts.services.organisations import organisation_create
    from accounts.services.people import membership_create, user_create

    org = organisation_create(
        name="Applicant E", domains=["e.test"], status="active", by=acting(isac_admin)
    )
    admin = user_create(email="admin@e.test", full_name="Erin Example", password="x" * 20)
    membership_create(user=admin, organisation=org, role="org_admin", by=acting(isac_admin))
    return org, admin


def test_acceptance_records_who_when_where_and_the_text_hash(
    applicant: tuple[Organisation, User], agreement: AgreementVersion
) -> None:
    org, admin = applicant
    assert not is_in_good_standing(org)

    acceptance = agreement_services.agreement_accept(
        organisation=org,
        version=agreement,
        by=acting(admin),
        typed_full_name="  erin   EXAMPLE ",
        ip_address="198.51.100.4",
    )

    assert acceptance.accepted_by == admin
    assert acceptance.ip_address == "198.51.100.4"
    assert acceptance.text_sha256 == agreement.body_sha256
    assert acceptance.typed_full_name == "erin EXAMPLE"
    assert acceptance.expires_at - acceptance.accepted_at == timedelta(days=365)
    assert is_in_good_standing(org)
    assert AuditEvent.objects.filter(action="agreement.accept", organisation=org).exists()


def test_a_wrongly_typed_name_signs_nothing(
    applicant: tuple[Organisation, User], agreement: AgreementVersion
) -> None:
    org, admin = applicant

    with pytest.raises(ValidationError, match="full name"):
        agreement_services.agreement_accept(
            organisation=org,
            version=agreement,
            by=acting(admin),
            typed_full_name="E.",
            ip_address=None,
        )

    assert not AgreementAcceptance.objects.filter(organisation=org).exists()


def test_accepting_a_superseded_version_is_refused(
    applicant: tuple[Organisation, User],
    agreement: AgreementVersion,
    draft_agreement: AgreementVersion,
    isac_admin: User,
) -> None:
    org, admin = applicant
    agreement_services.agreement_version_publish(version=draft_agreement, by=acting(isac_admin))

    with pytest.raises(ValidationError, match="not the current agreement"):
        agreement_services.agreement_accept(
            organisation=org,
            version=agreement,
            by=acting(admin),
            typed_full_name="Erin Example",
            ip_address=None,
        )
    assert not AgreementAcceptance.objects.filter(organisation=org).exists()


def test_an_unpublished_draft_cannot_be_accepted(
    applicant: tuple[Organisation, User], draft_agreement: AgreementVersion
) -> None:
    org, admin = applicant

    with pytest.raises(ValidationError, match="not the current agreement"):
        agreement_services.agreement_accept(
            organisation=org,
            version=draft_agreement,
            by=acting(admin),
            typed_full_name="Erin Example",
            ip_address=None,
        )


def test_an_analyst_or_another_organisations_admin_cannot_accept(
    applicant: tuple[Organisation, User],
    agreement: AgreementVersion,
    analyst_a: User,
    admin_a: User,
) -> None:
    org, _ = applicant
    for person in (analyst_a, admin_a):
        with pytest.raises(PermissionDenied):
            agreement_services.agreement_accept(
                organisation=org,
                version=agreement,
                by=acting(person),
                typed_full_name=person.full_name,
                ip_address=None,
            )
    assert not AgreementAcceptance.objects.filter(organisation=org).exists()


def test_accepting_again_is_refused_until_the_renewal_window(
    org_a: Organisation, admin_a: User, agreement: AgreementVersion
) -> None:
    with pytest.raises(ValidationError, match="already accepted"):
        agreement_services.agreement_accept(
            organisation=org_a,
            version=agreement,
            by=acting(admin_a),
            typed_full_name=admin_a.full_name,
            ip_address=None,
        )
    AgreementAcceptance.objects.filter(organisation=org_a).update(
        expires_at=timezone.now() + timedelta(days=10)
    )

    renewed = agreement_services.agreement_accept(
        organisation=org_a,
        version=agreement,
        by=acting(admin_a),
        typed_full_name=admin_a.full_name,
        ip_address=None,
    )

    assert renewed.expires_at > timezone.now() + timedelta(days=364)


def test_revoking_an_acceptance_ends_good_standing_and_api_access_at_once(
    isac_admin: User, org_a: Organisation, analyst_a: User, client: Client
) -> None:
    _, plaintext = token_issue(membership=acting(analyst_a), name="SIEM", by=acting(analyst_a))
    assert client.get("/api/v1/me/", HTTP_AUTHORIZATION=f"Bearer {plaintext}").status_code == 200
    acceptance = AgreementAcceptance.objects.get(organisation=org_a)

    agreement_services.agreement_acceptance_revoke(
        acceptance=acceptance, reason="breach of acceptable use", by=acting(isac_admin)
    )

    assert not is_in_good_standing(org_a)
    response = client.get("/api/v1/me/", HTTP_AUTHORIZATION=f"Bearer {plaintext}")
    assert response.status_code in {401, 403}
    assert "good standing" in response.json()["detail"]
    acceptance.refresh_from_db()
    assert acceptance.revoked_by == isac_admin
    with pytest.raises(ValidationError, match="already revoked"):
        agreement_services.agreement_acceptance_revoke(
            acceptance=acceptance, reason="again", by=acting(isac_admin)
        )


def test_revocation_needs_a_reason(isac_admin: User, org_a: Organisation) -> None:
    with pytest.raises(ValidationError, match="Say why"):
        agreement_services.agreement_acceptance_revoke(
            acceptance=AgreementAcceptance.objects.get(organisation=org_a),
            reason=" ",
            by=acting(isac_admin),
        )


# --- Through the pages ---------------------------------------------------------------


def test_org_admin_accepts_on_the_agreement_page(
    applicant: tuple[Organisation, User], agreement: AgreementVersion
) -> None:
    org, admin = applicant
    client = Client()
    client.force_login(admin)
    page = client.get(reverse("org-agreement"))
    assert page.status_code == 200
    assert b"Waiting for acceptance" in page.content
    assert b"<h1>Membership agreement</h1>" in page.content

    response = client.post(
        reverse("org-agreement"),
        {"version": agreement.uuid, "confirm": "on", "typed_full_name": "Erin Example"},
        REMOTE_ADDR="203.0.113.9",
    )

    assert response.status_code == 302
    acceptance = AgreementAcceptance.objects.get(organisation=org)
    assert acceptance.ip_address == "203.0.113.9"
    assert b"Accepted" in client.get(reverse("org-agreement")).content


def test_the_tick_box_is_required(
    applicant: tuple[Organisation, User], agreement: AgreementVersion
) -> None:
    org, admin = applicant
    client = Client()
    client.force_login(admin)

    response = client.post(
        reverse("org-agreement"),
        {"version": agreement.uuid, "typed_full_name": "Erin Example"},
    )

    assert response.status_code == 200
    assert b"This field is required" in response.content
    assert not AgreementAcceptance.objects.filter(organisation=org).exists()


def test_a_page_left_open_over_a_new_version_cannot_accept_the_old_text(
    applicant: tuple[Organisation, User],
    agreement: AgreementVersion,
    draft_agreement: AgreementVersion,
    isac_admin: User,
) -> None:
    org, admin = applicant
    client = Client()
    client.force_login(admin)
    agreement_services.agreement_version_publish(version=draft_agreement, by=acting(isac_admin))

    response = client.post(
        reverse("org-agreement"),
        {"version": agreement.uuid, "confirm": "on", "typed_full_name": "Erin Example"},
    )

    assert response.status_code == 200
    assert b"not the current agreement" in response.content
    assert not AgreementAcceptance.objects.filter(organisation=org).exists()


def test_an_analyst_reads_the_agreement_but_cannot_accept_it(
    analyst_a_client: Client, agreement: AgreementVersion, org_a: Organisation
) -> None:
    page = analyst_a_client.get(reverse("org-agreement"))
    assert page.status_code == 200
    assert b"An admin of Member A accepts" in page.content

    response = analyst_a_client.post(
        reverse("org-agreement"),
        {"version": agreement.uuid, "confirm": "on", "typed_full_name": "Analyst"},
    )

    assert response.status_code == 404
    assert AgreementAcceptance.objects.filter(organisation=org_a).count() == 1


def test_agreement_markdown_is_sanitised(isac_admin_client: Client, isac_admin: User) -> None:
    version = agreement_services.agreement_version_create(
        by=acting(isac_admin),
        title="T",
        version_label="xss",
        body_markdown=(
            "Hello <script>alert(1)</script> [x](javascript:alert(1)) <img src=x onerror=alert(1)>"
        ),
        effective_date=timezone.localdate(),
        acceptable_use="ok",
    )

    page = isac_admin_client.get(reverse("isac-agreement", args=[version.uuid]))

    # The text stays readable as text; nothing of it can run.
    assert page.status_code == 200
    assert b"<script>alert" not in page.content
    assert b'href="javascript:' not in page.content
    assert b"<img" not in page.content
    assert b"&lt;script&gt;alert(1)&lt;/script&gt;" in page.content


def test_isac_admin_writes_publishes_and_sees_who_accepted(
    isac_admin_client: Client, org_a: Organisation, agreement: AgreementVersion
) -> None:
    response = isac_admin_client.post(
        reverse("isac-agreement-new"),
        {
            "title": "Membership agreement",
            "version_label": "2027.1",
            "body_markdown": "New text",
            "effective_date": timezone.localdate().isoformat(),
            "renewal_period_days": 365,
            "retention_days": 365,
            "acceptable_use": "Defence",
            "may_forward_to_government": "on",
        },
    )
    assert response.status_code == 302
    version = AgreementVersion.objects.get(version_label="2027.1")
    assert version.may_forward_to_government
    assert not version.is_published

    isac_admin_client.post(reverse("isac-agreement-publish", args=[version.uuid]))
    version.refresh_from_db()
    assert version.is_published

    edit = isac_admin_client.get(reverse("isac-agreement-edit", args=[version.uuid]))
    assert edit.status_code == 302, "published versions are not editable"
    old = isac_admin_client.get(reverse("isac-agreement", args=[agreement.uuid]))
    assert b"Member A" in old.content
    assert b"superseded" in old.content
    csv_export = isac_admin_client.get(
        reverse("isac-agreement", args=[agreement.uuid]), {"format": "csv"}
    )
    assert csv_export["Content-Type"].startswith("text/csv")
    assert "admin@a.test" in csv_export.content.decode()


def test_a_member_whose_acceptance_expired_signs_in_and_is_shown_the_agreement(
    analyst_a_client: Client, org_a: Organisation
) -> None:
    AgreementAcceptance.objects.filter(organisation=org_a).update(
        expires_at=timezone.now() - timedelta(hours=1)
    )

    dashboard = analyst_a_client.get("/")
    agreement_page = analyst_a_client.get(reverse("org-agreement"))

    assert dashboard.status_code == 200
    assert b"Not in good standing" in dashboard.content
    assert reverse("org-agreement").encode() in dashboard.content
    assert b"Waiting for acceptance" in agreement_page.content
