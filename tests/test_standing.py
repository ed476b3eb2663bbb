"""Good standing: active, and the current agreement accepted and in force."""

from datetime import timedelta

from django.utils import timezone

from accounts.models import AgreementAcceptance, AgreementVersion, Organisation
from accounts.standing import is_in_good_standing, organisations_in_good_standing


def test_member_who_accepted_the_current_agreement_is_in_good_standing(org_a: Organisation) -> None:
    assert is_in_good_standing(org_a)


def test_suspended_member_loses_good_standing_at_once(org_a: Organisation) -> None:
    org_a.status = Organisation.Status.SUSPENDED
    org_a.save()

    assert not is_in_good_standing(org_a)


def test_expired_or_revoked_acceptance_loses_good_standing(
    org_a: Organisation, org_b: Organisation
) -> None:
    AgreementAcceptance.objects.filter(organisation=org_a).update(
        expires_at=timezone.now() - timedelta(seconds=1)
    )
    AgreementAcceptance.objects.filter(organisation=org_b).update(revoked_at=timezone.now())

    assert set(organisations_in_good_standing()) == set()


def test_a_newer_effective_version_needs_accepting_again(
    org_a: Organisation, agreement: AgreementVersion
) -> None:
    AgreementVersion.objects.create(
        title="Membership agreement",
        version_label="2026.2",
        body_markdown="v2",
        effective_date=timezone.localdate(),
        acceptable_use="Network defence only.",
        published_at=timezone.now(),
    )

    assert not is_in_good_standing(org_a)


def test_isac_organisation_is_in_good_standing_while_active(
    isac_org: Organisation, agreement: AgreementVersion
) -> None:
    assert is_in_good_standing(isac_org)
