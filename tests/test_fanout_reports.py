"""Publishing, revising and withdrawing through the report services fans out to subscribers."""

from collections.abc import Callable
from typing import Any

import pytest

from accounts.models import Membership, Sector, User
from sharing.fanout.services import subscription_create
from sharing.models import Delivery, Feed, Notification, Subscription
from sharing.services import (
    ReportContent,
    report_create_draft,
    report_revise,
    report_submit,
    report_withdraw,
)
from sharing.tlp import TLP
from tests.fixtures.fanout import Receiver
from tests.fixtures.members import acting

pytestmark = pytest.mark.usefixtures("allow_loopback_receivers")


def test_publish_revise_and_withdraw_each_reach_the_subscribers_once(
    analyst_a: User,
    peer_b: User,
    admin_b: User,
    outsider_c: User,
    energy: Sector,
    energy_feed: Feed,
    everything_feed: Feed,
    receiver: Receiver,
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    # given: B subscribes in the portal and by webhook; C (another sector) in the portal
    subscription_create(feed=energy_feed, by=acting(peer_b), channel="portal")
    subscription_create(
        feed=everything_feed,
        by=acting(admin_b),
        channel="webhook",
        scope=Subscription.Scope.ORGANISATION,
        webhook_url=receiver.url,
    )
    subscription_create(feed=everything_feed, by=acting(outsider_c), channel="portal")
    content = ReportContent(
        title="Grid operator lures",
        summary="Phishing against energy utilities.",
        body_markdown="Lures impersonating a grid operator.",
        tlp=TLP.AMBER,
        sectors=[energy],
        audience_sectors=[energy],
    )

    # when: A's analyst publishes, then revises, then withdraws the report
    with django_capture_on_commit_callbacks(execute=True):
        draft = report_create_draft(by=acting(analyst_a), content=content)
        report = report_submit(report=draft, by=acting(analyst_a))
    with django_capture_on_commit_callbacks(execute=True):
        report_revise(
            report=report,
            by=acting(analyst_a),
            content=ReportContent(**{**content.__dict__, "summary": "Now with new lures."}),
            note="More lures",
        )
    with django_capture_on_commit_callbacks(execute=True):
        report_withdraw(report=report, by=acting(analyst_a), reason="Duplicate of another report")

    # then: B hears of each event once on each channel, C never
    events = [r.json["type"] for r in receiver.requests]
    assert events == ["report.published", "report.revised", "report.withdrawn"]
    assert len(set(receiver.ids())) == 3
    assert [n.event for n in Notification.objects.order_by("created_at", "id")] == [
        "published",
        "revised",
        "withdrawn",
    ]
    assert {n.membership.user for n in Notification.objects.all()} == {peer_b}
    assert not Delivery.objects.filter(subscription__membership__user=outsider_c).exists()


@pytest.mark.django_db
def test_the_demo_subscribers_are_notified_of_the_demo_reports_they_may_see(
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    from io import StringIO

    from django.core.management import call_command

    from sharing import policy

    with django_capture_on_commit_callbacks(execute=True):
        call_command("seed_demo", force=True, stdout=StringIO())
    with django_capture_on_commit_callbacks(execute=True):
        call_command("seed_demo", force=True, stdout=StringIO())  # idempotent

    nora = Membership.objects.get(user__email="analyst@northwind.example")
    notified = list(Notification.objects.filter(membership=nora))
    about_reports = [n.report for n in notified if n.report is not None]
    assert about_reports
    assert all(policy.can_view(nora, report) for report in about_reports)
    # The rest tell her about the demo's requests for information, each one she may read.
    about_rfis = [n.rfi for n in notified if n.report is None]
    assert all(rfi is not None and policy.can_view_rfi(nora, rfi) for rfi in about_rfis)
    assert Subscription.objects.count() == 4
