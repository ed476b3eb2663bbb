"""Members browse feeds, subscribe, test webhooks and read delivery history in the browser."""

from collections.abc import Callable
from typing import Any

import pytest
from django.core import mail
from django.test import Client

from accounts.models import Organisation, User
from sharing import policy
from sharing.fanout.outbox import outbox_write
from sharing.fanout.services import subscription_create
from sharing.fanout.transports.email import unsubscribe_url
from sharing.feeds.selectors import feed_reports
from sharing.feeds.services import feed_create
from sharing.models import Delivery, Feed, Notification, PrivateNetworkAllowance, Subscription
from sharing.tlp import TLP
from tests.fixtures.fanout import PublishReport, Receiver, webhook_subscription
from tests.fixtures.members import acting, sign_in

pytestmark = pytest.mark.usefixtures("allow_loopback_receivers")


def test_member_browses_feeds_and_subscribes_to_a_daily_digest(
    client: Client, peer_b: User, everything_feed: Feed, energy_feed: Feed
) -> None:
    sign_in(client, peer_b)

    page = client.get("/feeds/")
    assert page.status_code == 200
    assert "Everything I can see" in page.content.decode()
    assert "Energy sector" in page.content.decode()

    response = client.post(
        f"/feeds/{energy_feed.uuid}/",
        {
            "channel": "email",
            "scope": "person",
            "email_mode": "digest",
            "digest_hour": "7",
            "time_zone": "Europe/Paris",
        },
    )

    assert response.status_code == 302
    subscription = Subscription.objects.get()
    assert subscription.membership == acting(peer_b)
    assert (subscription.email_mode, subscription.digest_hour) == ("digest", 7)
    assert subscription.time_zone == "Europe/Paris"
    assert "Energy sector" in client.get("/feeds/subscriptions/").content.decode()


def test_webhook_secret_is_shown_once_and_stored_encrypted(
    client: Client, admin_b: User, everything_feed: Feed, receiver: Receiver
) -> None:
    sign_in(client, admin_b)

    response = client.post(
        f"/feeds/{everything_feed.uuid}/",
        {
            "channel": "webhook",
            "scope": "organisation",
            "webhook_url": receiver.url,
            "email_mode": "immediate",
            "digest_hour": "8",
            "time_zone": "UTC",
        },
    )

    assert response.status_code == 200
    secret = response.context["secret"]
    assert secret.startswith("whsec_")
    assert secret in response.content.decode()
    subscription = Subscription.objects.get()
    assert secret not in subscription.secret_encrypted
    assert secret not in client.get(f"/feeds/subscriptions/{subscription.uuid}/").content.decode()


def test_an_analyst_cannot_point_a_webhook_at_the_organisation(
    client: Client, peer_b: User, everything_feed: Feed, receiver: Receiver
) -> None:
    sign_in(client, peer_b)

    response = client.post(
        f"/feeds/{everything_feed.uuid}/",
        {
            "channel": "webhook",
            "webhook_url": receiver.url,
            "email_mode": "immediate",
            "digest_hour": "8",
            "time_zone": "UTC",
        },
    )

    assert response.status_code == 200
    assert "organisation admin" in response.content.decode()
    assert not Subscription.objects.exists()


def test_org_admin_sends_a_signed_test_delivery_to_the_webhook(
    client: Client, admin_b: User, everything_feed: Feed, receiver: Receiver
) -> None:
    subscription, _ = webhook_subscription(admin_b, everything_feed, receiver.url)
    sign_in(client, admin_b)

    response = client.post(f"/feeds/subscriptions/{subscription.uuid}/test/", follow=True)

    assert "Test delivery accepted" in response.content.decode()
    [request] = receiver.requests
    assert request.json["type"] == "test"
    assert request.signature.startswith("v1,")


def test_rotating_the_secret_signs_with_both_keys_for_a_while(
    client: Client, admin_b: User, everything_feed: Feed, receiver: Receiver
) -> None:
    subscription, old = webhook_subscription(admin_b, everything_feed, receiver.url)
    sign_in(client, admin_b)

    response = client.post(f"/feeds/subscriptions/{subscription.uuid}/rotate-secret/")
    new = response.context["secret"]
    client.post(f"/feeds/subscriptions/{subscription.uuid}/test/")

    from standardwebhooks.webhooks import Webhook

    [request] = receiver.requests
    headers = {
        "webhook-id": request.webhook_id,
        "webhook-timestamp": request.timestamp,
        "webhook-signature": request.signature,
    }
    assert new != old
    assert len(request.signature.split(" ")) == 2
    assert Webhook(new).verify(request.body, headers)
    assert Webhook(old).verify(request.body, headers)


@pytest.mark.parametrize(
    ("method", "suffix"),
    [
        ("get", ""),
        ("post", "test/"),
        ("post", "rotate-secret/"),
        ("post", "toggle/"),
        ("post", "delete/"),
    ],
)
def test_another_organisation_gets_404_for_a_subscription_on_every_method(
    client: Client,
    method: str,
    suffix: str,
    admin_b: User,
    admin_a: User,
    peer_b: User,
    everything_feed: Feed,
    receiver: Receiver,
) -> None:
    subscription, _ = webhook_subscription(admin_b, everything_feed, receiver.url)
    for stranger in (admin_a, peer_b):  # another org's admin; B's analyst (not its admin)
        sign_in(client, stranger)
        url = f"/feeds/subscriptions/{subscription.uuid}/{suffix}"
        assert getattr(client, method)(url).status_code == 404
    assert Subscription.objects.filter(pk=subscription.pk, is_active=True).exists()


def test_a_personal_feed_is_invisible_to_everyone_else(
    client: Client, peer_b: User, outsider_c: User, builtin_feeds: None
) -> None:
    feed = feed_create(name="My ransomware filter", by=acting(peer_b), report_types=["incident"])
    sign_in(client, outsider_c)

    assert client.get(f"/feeds/{feed.uuid}/").status_code == 404
    assert client.post(f"/feeds/{feed.uuid}/", {"channel": "portal"}).status_code == 404
    assert "My ransomware filter" not in client.get("/feeds/").content.decode()


def test_a_member_saves_a_personal_filter_in_the_browser(
    client: Client, peer_b: User, energy: Any
) -> None:
    sign_in(client, peer_b)

    response = client.post(
        "/feeds/new/",
        {
            "name": "Energy incidents",
            "sectors": [energy.pk],
            "report_types": ["incident"],
            "min_confidence": "50",
            "tlp_min": "clear",
            "tlp_max": "amber",
            "for_everyone": "on",  # ignored: not ISAC staff
        },
    )

    feed = Feed.objects.get(name="Energy incidents")
    assert response.status_code == 302
    assert feed.kind == Feed.Kind.PERSONAL
    assert feed.owner == acting(peer_b)


def test_feed_reports_yield_only_what_the_policy_lets_the_viewer_receive(
    analyst_a: User,
    org_a: Organisation,
    peer_b: User,
    outsider_c: User,
    energy: Any,
    energy_feed: Feed,
    publish_report: PublishReport,
) -> None:
    shared = publish_report(
        author=analyst_a,
        organisation=org_a,
        tlp=TLP.AMBER,
        sectors=[energy],
        audience_everyone=False,
        audience_sectors=[energy],
    )
    publish_report(author=analyst_a, organisation=org_a, title="Unrelated", sectors=[])

    assert list(feed_reports(energy_feed, acting(peer_b), policy.Channel.TAXII)) == [shared]
    assert list(feed_reports(energy_feed, acting(outsider_c), policy.Channel.TAXII)) == []
    assert list(feed_reports(energy_feed, acting(peer_b), policy.Channel.PUBLIC_FEED)) == []


def test_delivery_log_shows_status_and_attempts_with_a_bounded_number_of_queries(
    client: Client,
    analyst_a: User,
    org_a: Organisation,
    admin_b: User,
    everything_feed: Feed,
    receiver: Receiver,
    publish_report: PublishReport,
    django_capture_on_commit_callbacks: Callable[..., Any],
    django_assert_max_num_queries: Callable[..., Any],
) -> None:
    for _ in range(3):
        webhook_subscription(admin_b, everything_feed, receiver.url)
    for title in ("First", "Second", "Third"):
        with django_capture_on_commit_callbacks(execute=True):
            outbox_write(
                report=publish_report(author=analyst_a, organisation=org_a, title=title),
                event="published",
            )
    sign_in(client, admin_b)

    with django_assert_max_num_queries(12):
        page = client.get("/feeds/deliveries/")

    html = page.content.decode()
    assert html.count("Delivered") >= 9
    assert "Third" in html


def test_delivery_log_hides_deliveries_of_reports_the_viewer_cannot_see(
    client: Client,
    analyst_a: User,
    org_a: Organisation,
    peer_b: User,
    admin_b: User,
    everything_feed: Feed,
    publish_report: PublishReport,
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    subscription_create(feed=everything_feed, by=acting(peer_b), channel="portal")
    red = publish_report(
        author=analyst_a,
        organisation=org_a,
        tlp=TLP.RED,
        title="Named-people-only",
        audience_people=[peer_b],
    )
    with django_capture_on_commit_callbacks(execute=True):
        outbox_write(report=red, event="published")
    assert Delivery.objects.count() == 1

    # B's admin manages the organisation, but was not named on the RED report.
    assert (
        "Named-people-only"
        not in sign_in(client, admin_b).get("/feeds/deliveries/").content.decode()
    )
    assert "Named-people-only" in sign_in(client, peer_b).get("/feeds/deliveries/").content.decode()
    assert "Named-people-only" in client.get("/feeds/notifications/").content.decode()


def test_notifications_disappear_when_the_organisation_loses_access(
    client: Client,
    analyst_a: User,
    org_a: Organisation,
    org_b: Organisation,
    peer_b: User,
    everything_feed: Feed,
    publish_report: PublishReport,
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    subscription_create(feed=everything_feed, by=acting(peer_b), channel="portal")
    with django_capture_on_commit_callbacks(execute=True):
        outbox_write(
            report=publish_report(author=analyst_a, organisation=org_a, title="Grid lures"),
            event="published",
        )
    sign_in(client, peer_b)
    assert "Grid lures" in client.get("/feeds/notifications/").content.decode()

    Organisation.objects.filter(pk=org_b.pk).update(status=Organisation.Status.SUSPENDED)

    assert Notification.objects.count() == 1
    assert "Grid lures" not in client.get("/feeds/notifications/").content.decode()


def test_fan_out_health_and_private_ranges_are_for_isac_admins_only(
    client: Client, isac_admin: User, admin_a: User
) -> None:
    sign_in(client, admin_a)
    assert client.get("/feeds/health/").status_code == 404
    assert client.get("/feeds/allow-list/").status_code == 404
    assert client.post("/feeds/allow-list/", {"network": "10.0.0.0/8"}).status_code == 404

    sign_in(client, isac_admin)
    health = client.get("/feeds/health/")
    assert health.status_code == 200
    assert "Queue depth" in health.content.decode()
    response = client.post("/feeds/allow-list/", {"network": "10.20.0.0/16", "note": "on-prem"})
    assert response.status_code == 302
    assert PrivateNetworkAllowance.objects.get().network == "10.20.0.0/16"


def test_the_unsubscribe_link_in_an_e_mail_turns_the_subscription_off(
    peer_b: User,
    everything_feed: Feed,
) -> None:
    subscription, _ = subscription_create(feed=everything_feed, by=acting(peer_b), channel="email")
    path = unsubscribe_url(subscription).split("://", 1)[1].split("/", 1)[1]
    csrf_client = Client(enforce_csrf_checks=True)  # a mail client's one-click POST

    assert "Unsubscribe?" in csrf_client.get(f"/{path}").content.decode()
    assert csrf_client.post(f"/{path}").status_code == 200

    subscription.refresh_from_db()
    assert not subscription.is_active
    assert csrf_client.get("/feeds/unsubscribe/forged-token/").status_code == 404
    assert mail.outbox == []
