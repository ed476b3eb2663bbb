"""Requests for information in a real browser: a member asks with an indicator, a peer
answers and makes a report of the answer in one step and shares it; the asker sees the
answer and the report it became; an outsider finds nothing.

Acknowledging what a report means for the reader's organisation belongs to alerts and is
not walked here."""

import re

import pytest
from playwright.sync_api import Page, expect

from accounts.models import Organisation, User
from sharing.models import Report, Rfi
from tests.fixtures.browser import screenshot, sign_in

pytestmark = pytest.mark.django_db(transaction=True)

QUESTION = "Anyone seeing logins from a fake VPN update site?"


def sign_out(page: Page) -> None:
    page.get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(re.compile(r"/accounts/login/"))


def test_member_asks_peer_answers_and_shares_the_answer_as_a_report(
    page: Page, analyst_a: User, peer_b: User, outsider_c: User, org_b: Organisation
) -> None:
    # given: A asks B's organisation an AMBER question with an indicator (anonymous asking
    # is walked over HTTP: an anonymous asker gets the report only through its audience)
    sign_in(page, "analyst@a.test")
    page.get_by_role("link", name="RFIs").click()
    page.get_by_role("link", name="Ask a question").click()
    page.get_by_label("Question").fill(QUESTION)
    page.get_by_label("Details").fill("Our VPN users got mail pointing to a **portal**.")
    page.get_by_label("Indicators").fill("vpn-update-portal[.]net")
    page.get_by_label("TLP", exact=True).select_option("amber")
    page.get_by_label("Organisations").select_option(label="Peer B")
    screenshot(page, "rfi-form")
    page.get_by_role("button", name="Ask", exact=True).click()
    expect(page.get_by_role("heading", name=QUESTION)).to_be_visible()
    expect(page.get_by_role("cell", name="vpn-update-portal.net")).to_be_visible()
    rfi = Rfi.objects.get()
    sign_out(page)

    # when: B finds it among the open questions, answers, and makes a report of the answer
    sign_in(page, "analyst@b.test")
    page.get_by_role("link", name="RFIs").click()
    page.get_by_role("link", name=re.compile(r"Open")).click()
    page.get_by_role("link", name=QUESTION).click()
    expect(page.locator(".rfi-asker")).to_have_text("Member A")
    page.get_by_label("Your answer").fill("Yes, two jump hosts beaconed there on Monday.")
    page.get_by_role("button", name="Answer", exact=True).click()
    expect(page.locator("#rfi-status")).to_have_text("Answered")
    screenshot(page, "rfi-answered")
    page.get_by_role("button", name="Make a report of this answer").click()
    expect(page.get_by_label("Title")).to_have_value(f"Answer: {QUESTION}")
    expect(page.get_by_label("Indicators")).to_have_value(re.compile("vpn-update-portal.net"))
    page.get_by_role("button", name="Preview before sharing").click()
    expect(page.get_by_role("cell", name="vpn-update-portal.net", exact=True)).to_be_visible()
    page.get_by_role("button", name="Confirm and share").click()
    expect(page.get_by_text("Shared. Recipients can read it now.")).to_be_visible()
    report = Report.objects.get()
    assert report.status == Report.Status.PUBLISHED
    expect(page.get_by_role("link", name=QUESTION)).to_be_visible()  # the link back
    sign_out(page)

    # then: A reads the answer and follows it to the report
    sign_in(page, "analyst@a.test")
    page.goto(f"/rfis/{rfi.uuid}/")
    expect(page.get_by_text("two jump hosts beaconed")).to_be_visible()
    page.get_by_role("link", name=f"Answer: {QUESTION}").click()
    expect(page.get_by_role("heading", name=f"Answer: {QUESTION}")).to_be_visible()
    screenshot(page, "rfi-report")
    sign_out(page)

    # and: outsider C finds neither the question nor a count of it
    sign_in(page, "analyst@c.test")
    page.get_by_role("link", name="RFIs").click()
    expect(page.get_by_text(QUESTION)).to_have_count(0)
    expect(page.get_by_role("link", name=re.compile(r"^All"))).to_contain_text("0")
    response = page.goto(f"/rfis/{rfi.uuid}/")
    assert response is not None
    assert response.status == 404
