"""An org admin reads, ticks and signs the membership agreement in a real browser."""

import re

import pytest
from playwright.sync_api import Page, expect

from accounts.models import AgreementAcceptance, AgreementVersion, Organisation, User
from accounts.services.organisations import organisation_create
from accounts.services.people import membership_create, user_create
from tests.fixtures.browser import screenshot
from tests.fixtures.personas import PASSWORD

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def applicant_admin(agreement: AgreementVersion) -> User:
    org = organisation_create(name="Applicant E", domains=["e.test"], status="active", by=None)
    admin = user_create(email="admin@e.test", full_name="Erin Example", password=PASSWORD)
    membership_create(user=admin, organisation=org, role="org_admin", by=None)
    return admin


def test_org_admin_accepts_the_agreement_in_the_browser(
    page: Page, applicant_admin: User, agreement: AgreementVersion
) -> None:
    page.goto("/accounts/login/")
    page.get_by_label("E-mail address").fill("admin@e.test")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_text("Not in good standing")).to_be_visible()

    page.get_by_role("link", name="Read the agreement").click()
    expect(page.get_by_text("Waiting for acceptance")).to_be_visible()
    expect(page.get_by_role("heading", name=re.compile("Membership agreement"))).to_have_count(3)
    screenshot(page, "agreement-accept")

    # Signing with a name that is not theirs is refused.
    page.get_by_label("I have read the agreement").check()
    page.get_by_label("Type your full name to sign").fill("Someone Else")
    page.get_by_role("button", name="Accept the agreement").click()
    expect(page.get_by_role("alert")).to_contain_text("Type your full name exactly")

    page.get_by_label("I have read the agreement").check()
    page.get_by_label("Type your full name to sign").fill("Erin Example")
    page.get_by_role("button", name="Accept the agreement").click()

    expect(page.get_by_text("Thank you: Applicant E accepted version 2026.1")).to_be_visible()
    acceptance = AgreementAcceptance.objects.get(organisation__name="Applicant E")
    assert acceptance.typed_full_name == "Erin Example"
    assert acceptance.ip_address == "127.0.0.1"
    page.goto("/")
    expect(page.get_by_text("In good standing")).to_be_visible()
    assert Organisation.objects.get(name="Applicant E").acceptances.count() == 1
    screenshot(page, "agreement-accepted")


def test_isac_admin_signs_in_with_the_second_factor_and_manages_organisations(
    page: Page, isac_admin: User, org_a: Organisation, org_b: Organisation
) -> None:
    from tests.fixtures.members import authenticator_for, totp_code

    device = authenticator_for(isac_admin)
    page.goto("/isac/organisations/")
    page.get_by_label("E-mail address").fill("admin@isac.test")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()

    expect(page.get_by_role("heading", name="Two-factor sign-in")).to_be_visible()
    page.get_by_label("Code").fill(totp_code(device))
    page.get_by_role("button", name="Verify").click()

    expect(page.get_by_role("heading", name="Member organisations")).to_be_visible()
    expect(page.get_by_role("link", name="Peer B")).to_be_visible()
    screenshot(page, "isac-organisations")
    page.get_by_role("link", name="Member A").click()
    expect(page.get_by_role("heading", name="Agreement history")).to_be_visible()
    screenshot(page, "isac-organisation")
