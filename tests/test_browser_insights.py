"""The dashboards in a real browser: a member's analyst and admin see their organisation's
figures, an ISAC admin the membership and its activity; screenshots of each are saved."""

import re
import uuid
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from accounts.models import Organisation, Sector, User
from sharing.insights.refresh import insights_refresh
from sharing.models import (
    Comment,
    Delivery,
    DeliveryAttempt,
    Feed,
    Indicator,
    Notification,
    Report,
    ReportIndicator,
    ReportRead,
    Sighting,
    Subscription,
)
from sharing.tlp import TLP
from tests.fixtures.browser import screenshot, sign_in
from tests.fixtures.members import acting
from tests.fixtures.reports import report_row

pytestmark = pytest.mark.django_db(transaction=True)

TLPS = [TLP.CLEAR, TLP.GREEN, TLP.GREEN, TLP.AMBER, TLP.AMBER_STRICT]


def _indicator(n: int) -> Indicator:
    now = timezone.now()
    value = f"185.220.{n // 250}.{n % 250 + 1}"
    indicator, _ = Indicator.objects.get_or_create(
        type="ipv4-addr",
        value=value,
        defaults={"stix_id": f"indicator--{uuid.uuid4()}", "first_seen": now, "last_seen": now},
    )
    return indicator


@pytest.fixture
def activity(
    analyst_a: User,
    admin_a: User,
    peer_b: User,
    outsider_c: User,
    isac_admin: User,
    org_a: Organisation,
    org_b: Organisation,
    org_c: Organisation,
    energy: Sector,
    finance: Sector,
) -> None:
    """Six months of sharing among A, B and C, with reads, sightings, comments and
    deliveries, counted by a refresh."""
    now = timezone.now()
    feed = Feed.objects.create(name="Everything", kind=Feed.Kind.EVERYTHING)
    subscription = Subscription.objects.create(
        feed=feed, membership=acting(analyst_a), channel=Subscription.ChannelKind.PORTAL
    )
    webhook = Subscription.objects.create(
        feed=feed,
        membership=acting(admin_a),
        channel=Subscription.ChannelKind.WEBHOOK,
        webhook_url="https://receiver.example/hook",
    )
    authors = [(analyst_a, org_a), (peer_b, org_b), (outsider_c, org_c)]
    for n in range(60):
        author, organisation = authors[n % 3 if n % 5 else 1]
        published = now - timedelta(days=3 * n + 1)
        tlp = TLPS[n % len(TLPS)]
        report = report_row(
            author=author,
            tlp=tlp,
            title=f"Campaign {n}",
            audience_everyone=True,
            sectors=[energy] if n % 2 else [finance],
            report_type=[Report.Type.ALERT, Report.Type.ADVISORY, Report.Type.INCIDENT][n % 3],
        )
        Report.objects.filter(pk=report.pk).update(published_at=published, created_at=published)
        for k in range(n % 4):
            ReportIndicator.objects.create(
                report=report,
                indicator=_indicator(n * 3 + k if k else 9_000),
                first_seen=published,
                last_seen=published,
            )
        readers = [o for _, o in authors if o != organisation]
        for reader in readers[: 1 + n % 2]:
            ReportRead.objects.create(
                report=report, organisation=reader, first_read_at=published + timedelta(hours=2)
            )
        if n % 2 == 1:
            Sighting.objects.create(
                report=report,
                organisation=readers[0],
                reported_by=peer_b if readers[0] == org_b else analyst_a,
                created_at=published + timedelta(days=1),
            )
        if n % 4 == 0:
            Comment.objects.create(
                report=report,
                author=analyst_a if organisation != org_a else peer_b,
                organisation=org_a if organisation != org_a else org_b,
                body="Seen here too.",
                created_at=published + timedelta(hours=5),
            )
        if organisation != org_a:
            for sub, delay, status in (
                (subscription, timedelta(seconds=40 + n), Delivery.Status.DELIVERED),
                (
                    webhook,
                    timedelta(minutes=3),
                    Delivery.Status.FAILED if n % 7 == 0 else Delivery.Status.DELIVERED,
                ),
            ):
                delivery = Delivery.objects.create(
                    report=report,
                    report_version=1,
                    event=Delivery.Event.PUBLISHED,
                    subscription=sub,
                    channel=sub.channel,
                    status=status,
                    created_at=published,
                    delivered_at=published + delay if status == Delivery.Status.DELIVERED else None,
                )
                if status == Delivery.Status.FAILED:
                    DeliveryAttempt.objects.create(
                        delivery=delivery, number=1, started_at=published, error="Timed out."
                    )
            if n < 4:
                Notification.objects.create(
                    membership=acting(analyst_a), report=report, event="published"
                )
    Organisation.objects.create(name="Applicant Utility", status=Organisation.Status.APPLICANT)
    insights_refresh(by=None)


def _one_line_header(page: Page) -> None:
    """The header holds every menu on one line at 1280 px (56 px is one line's height)."""
    height = page.locator("header.topbar").bounding_box()
    assert height is not None
    if height["height"] > 60:
        screenshot(page, "header-wraps")
    assert height["height"] <= 60, f"the header wraps: {height['height']} px"


def test_an_analyst_sees_their_organisations_figures(
    page: Page, activity: None, analyst_a: User
) -> None:
    sign_in(page, analyst_a.email)
    _one_line_header(page)
    # three reports of others were announced to A's analyst (the fixture's first three)
    expect(page.get_by_role("link", name="Notifications, 3 unread")).to_be_visible()
    page.locator("summary", has_text="My organisation").click()
    page.get_by_role("link", name="Figures", exact=True).click()

    expect(page.get_by_role("heading", name="Figures for Member A")).to_be_visible()
    expect(page.get_by_role("heading", name="Reciprocity index")).to_be_visible()
    expect(page.locator("#index-definition")).to_contain_text("what the organisation gave")
    # every chart is an image with a name, beside a table of its numbers
    for name in (
        "Contribution per month",
        "Reports received per month, by TLP",
        "Indicators received per month, by TLP",
    ):
        expect(page.get_by_role("img", name=re.compile(re.escape(name)))).to_be_visible()
        expect(page.get_by_role("table", name=f"{name}: the numbers")).to_be_visible()
    expect(page.get_by_text("Any channel (first receipt)")).to_be_visible()
    _one_line_header(page)
    screenshot(page, "figures-analyst")


def test_an_org_admin_sees_the_same_figures_for_their_organisation(
    page: Page, activity: None, admin_a: User
) -> None:
    sign_in(page, admin_a.email)
    _one_line_header(page)
    page.locator("summary", has_text="My organisation").click()
    screenshot(page, "figures-org-admin-menu")
    page.get_by_role("link", name="Figures", exact=True).click()
    expect(page.get_by_role("heading", name="Figures for Member A")).to_be_visible()
    page.get_by_text("Every figure, month by month").click()
    expect(
        page.get_by_role("columnheader", name="Organisations that read its reports")
    ).to_be_visible()
    screenshot(page, "figures-org-admin")


def test_an_isac_admin_opens_membership_and_activity_from_the_grouped_menu(
    page: Page, activity: None, isac_admin: User
) -> None:
    sign_in(page, isac_admin.email)
    _one_line_header(page)
    expect(page.get_by_text("Applicant Utility is waiting for approval")).to_be_visible()
    page.locator("summary", has_text="ISAC admin").click()
    screenshot(page, "figures-isac-admin-menu")
    page.get_by_role("link", name="Membership and activity").click()

    expect(page.get_by_role("heading", name="Membership and activity", level=1)).to_be_visible()
    expect(page.get_by_role("heading", name="Membership health")).to_be_visible()
    for name in (
        "Reports published per week, by TLP",
        "Reports published per week, by affected sector",
        "Top indicators of the last 26 weeks",
        "Failed delivery attempts per week, by channel",
    ):
        expect(page.get_by_role("img", name=re.compile(re.escape(name)))).to_be_visible()
    table = page.locator("#member-table")
    expect(table.get_by_role("row", name=re.compile("Member A"))).to_be_visible()
    with page.expect_download() as download:
        page.get_by_role("link", name="Download CSV").click()
    assert download.value.suggested_filename.startswith("members-contribution-")
    _one_line_header(page)
    screenshot(page, "figures-isac-admin")
