"""Alerts and acknowledgement in a real browser: member A's admin registers its domain,
peer B publishes a phishing report imitating it, A's admin reads why the alert was raised
and answers "affected" on the report page; B, the source, sees a count and no name."""

import re

import pytest
from playwright.sync_api import Page, expect

from accounts.models import User
from sharing.models import Alert, ReportAcknowledgement
from sharing.tlp import TLP
from tests.fixtures.browser import screenshot, sign_in
from tests.fixtures.reports import shared

pytestmark = pytest.mark.django_db(transaction=True)


def sign_out(page: Page) -> None:
    page.get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(re.compile(r"/accounts/login/"))


def test_admin_registers_a_domain_reads_the_alert_and_answers_affected(
    page: Page, admin_a: User, peer_b: User
) -> None:
    # given: A's admin puts the bank's domain on the watch list, a bad entry first
    sign_in(page, "admin@a.test")
    page.locator("summary", has_text="My organisation").click()
    page.get_by_role("link", name="Watch list").click()
    page.get_by_label("Kind").select_option("domain")
    page.get_by_label("Value").fill("https://example-bank.com/login")
    page.get_by_role("button", name="Add").click()
    expect(page.get_by_text("is not a domain name: give the name only")).to_be_visible()
    page.get_by_label("Value").fill("example-bank.com")
    page.get_by_role("button", name="Add").click()
    expect(page.get_by_text("example-bank.com is on your watch list.")).to_be_visible()
    screenshot(page, "watch-list")

    # when: peer B publishes a GREEN report about a page imitating it
    report = shared(
        peer_b,
        TLP.GREEN,
        title="Bank credential phishing",
        body_markdown="Victims are sent to login.example-bank.com.evil.tld to type passwords.",
    )
    assert Alert.objects.count() == 1

    # then: the admin reads the alert and why it matched (in the organisation's menu)
    page.locator("summary", has_text="My organisation").click()
    page.get_by_role("link", name="Alerts", exact=True).click()
    expect(page.get_by_role("link", name="Bank credential phishing")).to_be_visible()
    page.locator("table.alerts tbody tr").first.get_by_role("link").first.click()
    expect(page.locator(".matches")).to_contain_text(
        "login.example-bank.com.evil.tld contains your domain example-bank.com in front of "
        "another domain"
    )
    screenshot(page, "alert-detail")

    # and answers for the organisation on the report page
    page.get_by_role("link", name="Bank credential phishing").first.click()
    page.locator("#acknowledge").get_by_role("button", name="Affected", exact=True).click()
    expect(page.get_by_text("Thank you: your organisation's answer is recorded.")).to_be_visible()
    expect(page.locator(".ack-impact")).to_have_text("Affected")
    screenshot(page, "report-acknowledged")
    acknowledgement = ReportAcknowledgement.objects.get()
    assert (acknowledgement.report, acknowledgement.impact) == (report, "affected")
    sign_out(page)

    # the source sees how many answered, never who
    sign_in(page, "analyst@b.test")
    page.goto(page.url.split("/accounts/")[0] + f"/reports/{report.uuid}/")
    expect(page.locator('[data-count="read"]')).to_have_text("1 organisation")
    expect(page.locator('[data-count="affected"]')).to_have_text("1")
    expect(page.locator("#acknowledge")).not_to_contain_text("Member A")
    expect(page.locator("#acknowledge form")).to_have_count(0)
