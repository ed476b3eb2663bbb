"""The analyst's day in a real browser: post an AMBER report to a trust group, preview it,
share it; a peer in the group reads it and adds a sighting; an outsider finds nothing."""

import re

import pytest
from playwright.sync_api import Dialog, Page, expect

from accounts.models import TrustGroup, User
from sharing.models import Report
from tests.fixtures.browser import screenshot, sign_in

pytestmark = pytest.mark.django_db(transaction=True)

BODY = """## What we saw

Between 02:00 and 04:00 UTC a **loader** was delivered through fake VPN update pages.

- Initial access: phishing with a link to `hxxps://vpn-update-portal[.]net/login`
- Payload beacons to 185.220.101.45 over TLS

<script>alert('inert')</script>
"""


def sign_out(page: Page) -> None:
    page.get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(re.compile(r"/accounts/login/"))


def test_analyst_posts_amber_to_a_group_peer_sights_it_outsider_cannot_find_it(
    page: Page, analyst_a: User, peer_b: User, outsider_c: User, circle: TrustGroup
) -> None:
    dialogs: list[str] = []

    def record(dialog: Dialog) -> None:
        dialogs.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", record)

    # given: the analyst of member A writes an AMBER report for the trust group
    sign_in(page, "analyst@a.test")
    page.get_by_role("link", name="Share a report").first.click()
    page.get_by_label("Title").fill("Loader delivered through fake VPN updates")
    page.get_by_label("Summary").fill("A loader campaign against grid operators' remote access.")
    page.get_by_label("Body").fill(BODY)
    page.get_by_label("TLP", exact=True).select_option("amber")
    page.get_by_label("Grid circle").check()
    page.get_by_label("Indicators").fill("185.220.101.45\nvpn-update-portal[.]net")
    page.get_by_label("Type").select_option("campaign")
    screenshot(page, "report-form")

    # when: they ask for the preview
    page.get_by_role("button", name="Preview before sharing").click()

    # then: the preview shows the rendered report and the indicators to be extracted
    expect(page.get_by_role("heading", name="Preview before sharing")).to_be_visible()
    expect(page.locator(".tlp-banner")).to_contain_text("TLP:AMBER")
    expect(page.get_by_role("cell", name="185.220.101.45")).to_be_visible()
    expect(page.get_by_role("cell", name="vpn-update-portal.net", exact=True)).to_be_visible()
    screenshot(page, "report-preview")
    assert Report.objects.get().status == Report.Status.DRAFT

    page.get_by_role("button", name="Confirm and share").click()
    expect(page.get_by_text("Shared. Recipients can read it now.")).to_be_visible()
    report = Report.objects.get()
    assert report.status == Report.Status.PUBLISHED
    sign_out(page)

    # when: peer B, in the group, reads it and adds a sighting
    sign_in(page, "analyst@b.test")
    expect(
        page.get_by_role("link", name="Loader delivered through fake VPN updates")
    ).to_be_visible()
    screenshot(page, "dashboard-with-reports")
    page.get_by_role("link", name="Reports", exact=True).click()
    page.get_by_role("link", name="Loader delivered through fake VPN updates").click()
    expect(page.locator(".tlp-banner")).to_contain_text("need-to-know basis")
    expect(page.get_by_role("heading", name="What we saw")).to_be_visible()
    # The script typed into the body is shown as text, never run.
    expect(page.locator(".prose").get_by_text("<script>alert('inert')</script>")).to_be_visible()
    expect(page.locator(".prose script")).to_have_count(0)
    expect(page.get_by_role("cell", name="185.220.101.45")).to_be_visible()
    page.get_by_label("When did you see it?").fill("2026-11-20")
    page.get_by_label("Note").fill("Same beacon on two jump hosts.")
    page.get_by_role("button", name="We saw this too").click()
    expect(page.get_by_text("your sighting is counted")).to_be_visible()
    expect(page.locator("#sightings .big-number")).to_have_text("1")
    screenshot(page, "report-detail")
    page.get_by_role("link", name="Reports", exact=True).click()
    screenshot(page, "report-list")
    sign_out(page)

    # then: outsider C finds it neither by list, nor by search, nor by URL
    sign_in(page, "analyst@c.test")
    page.get_by_role("link", name="Reports", exact=True).click()
    expect(page.get_by_text("Loader delivered")).to_have_count(0)
    page.get_by_label("Search").fill("loader VPN")
    page.get_by_role("button", name="Apply").click()
    expect(page.get_by_text("Loader delivered")).to_have_count(0)
    response = page.goto(f"/reports/{report.uuid}/")
    assert response is not None
    assert response.status == 404
    assert not dialogs
