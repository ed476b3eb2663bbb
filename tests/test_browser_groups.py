"""An organisation admin creates a trust group and invites a peer in a real browser."""

import re

import pytest
from playwright.sync_api import Page, expect

from accounts.models import Organisation, TrustGroup, User
from tests.fixtures.browser import screenshot, sign_in

pytestmark = pytest.mark.django_db(transaction=True)


def test_admin_creates_a_group_and_the_invited_peer_accepts_in_the_browser(
    page: Page, admin_a: User, admin_b: User, org_b: Organisation
) -> None:
    sign_in(page, admin_a.email)
    page.get_by_role("link", name="Groups").click()
    page.get_by_role("link", name="New group").click()
    page.get_by_label("Name").fill("Grid circle")
    page.get_by_label("Description").fill("Energy operators who know each other.")
    page.get_by_role("button", name="Create group").click()

    expect(page.get_by_role("heading", name="Grid circle")).to_be_visible()
    page.get_by_label("Organisation").first.select_option(label="Peer B")
    page.get_by_role("button", name="Invite").click()
    expect(page.get_by_text("Peer B has been invited.")).to_be_visible()
    screenshot(page, "trust-group-manage")

    page.context.clear_cookies()
    sign_in(page, admin_b.email)
    page.goto("/groups/")
    expect(page.get_by_text("Invitation to your organisation")).to_be_visible()
    screenshot(page, "trust-groups-mine")
    page.get_by_role("button", name="Accept").click()

    expect(page).to_have_url(re.compile(r"/groups/[0-9a-f-]+/$"))
    expect(page.get_by_text("Member", exact=True)).to_be_visible()
    assert (
        TrustGroup.objects.get(name="Grid circle").memberships.filter(organisation=org_b).exists()
    )
