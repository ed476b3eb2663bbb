"""An organisation admin subscribes a webhook in a real browser and tests it."""

import re

import pytest
from playwright.sync_api import Page, expect

from accounts.models import User
from sharing.models import Feed, Subscription
from tests.fixtures.browser import screenshot
from tests.fixtures.fanout import Receiver
from tests.fixtures.personas import PASSWORD

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("allow_loopback_receivers"),
]


def test_org_admin_subscribes_a_webhook_and_sends_a_test_delivery_in_the_browser(
    page: Page, admin_b: User, everything_feed: Feed, energy_feed: Feed, receiver: Receiver
) -> None:
    page.goto("/accounts/login/")
    page.get_by_label("E-mail address").fill(admin_b.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()

    page.get_by_role("link", name="Feeds", exact=True).first.click()
    expect(page.get_by_role("heading", name="Feeds", exact=True)).to_be_visible()
    screenshot(page, "feeds")
    page.get_by_role("link", name="Everything I can see").click()

    page.get_by_label("Webhook", exact=True).check()
    expect(page.get_by_label("Digest hour")).to_be_hidden()
    page.get_by_label("Webhook url").fill(receiver.url)
    page.get_by_role("button", name="Subscribe").click()

    secret = page.locator("#webhook-secret")
    expect(secret).to_contain_text("whsec_")
    screenshot(page, "webhook-subscribed")
    page.get_by_role("button", name="Send a test delivery").click()

    expect(page.get_by_text(re.compile("Test delivery accepted"))).to_be_visible()
    assert [r.json["type"] for r in receiver.requests] == ["test"]
    assert Subscription.objects.get().scope == Subscription.Scope.ORGANISATION
    page.get_by_role("link", name="Delivery log").click()
    expect(page.get_by_role("heading", name="Delivery log")).to_be_visible()
    screenshot(page, "delivery-log")
