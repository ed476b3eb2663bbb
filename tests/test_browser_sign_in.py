"""A person signs in with a real browser and lands on their dashboard."""

import re

import pytest
from playwright.sync_api import Page, expect

from accounts.models import User
from tests.fixtures.browser import screenshot
from tests.fixtures.personas import PASSWORD

pytestmark = pytest.mark.django_db(transaction=True)


def test_analyst_signs_in_in_the_browser_and_sees_their_organisation(
    page: Page, analyst_a: User
) -> None:
    page.goto("/")
    expect(page).to_have_url(re.compile(r"/accounts/login/"))
    screenshot(page, "sign-in")

    page.get_by_label("E-mail address").fill("analyst@a.test")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()

    expect(page.get_by_role("heading", name="Member A")).to_be_visible()
    expect(page.get_by_text("In good standing")).to_be_visible()
    screenshot(page, "dashboard")


def test_wrong_password_in_the_browser_shows_an_error_and_stays_signed_out(
    page: Page, analyst_a: User
) -> None:
    page.goto("/accounts/login/")

    page.get_by_label("E-mail address").fill("analyst@a.test")
    page.get_by_label("Password").fill("not-the-password")
    page.get_by_role("button", name="Sign in").click()

    expect(page.get_by_role("alert")).to_contain_text("correct")
    page.goto("/")
    assert "/accounts/login/" in page.url
