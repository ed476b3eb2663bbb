"""Publishing fans a report out to exactly the matching, permitted subscriptions."""

import base64
import hashlib
import hmac
from collections.abc import Callable
from typing import Any

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from standardwebhooks.webhooks import Webhook

from accounts.models import Organisation, Sector, User
from sharing.fanout.outbox import outbox_write
from sharing.fanout.services import subscription_create
from sharing.models import Delivery, Feed, Notification, Report, Subscription
from sharing.tlp import TLP
from tests.fixtures.fanout import PublishReport, Receiver, webhook_subscription
from tests.fixtures.members import acting

pytestmark = pytest.mark.usefixtures("allow_loopback_receivers")


def subscribe(user: User, feed: Feed, channel: str, **options: object) -> Subscription:
    if channel == "webhook":
        options.setdefault("scope", Subscription.Scope.ORGANISATION)
    subscription, _ = subscription_create(feed=feed, by=acting(user), channel=channel, **options)  # type: ignore[arg-type]
    return subscription


def publish(report: Report, capture: Callable[..., Any], event: str = "published") -> int:
    with capture(execute=True):
        return outbox_write(report=report, event=event)


def test_published_report_reaches_exactly_the_matching_permitted_subscriptions(
    analyst_a: User,
    org_a: Organisation,
    admin_a: User,
    peer_b: User,
    admin_b: User,
    outsider_c: User,
    suspended_d: User,
    energy: Sector,
    finance: Sector,
    everything_feed: Feed,
    energy_feed: Feed,
    receiver: Receiver,
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    # given: subscriptions on every channel, by people who may and may not see the report
    finance_feed = Feed.objects.get(kind=Feed.Kind.SECTOR, sectors=finance)
    b_portal = subscribe(peer_b, energy_feed, "portal")
    b_webhook = subscribe(admin_b, everything_feed, "webhook", webhook_url=receiver.url)
    a_email = subscribe(admin_a, energy_feed, "email")
    subscribe(peer_b, finance_feed, "email")  # does not match: other sector
    subscribe(outsider_c, everything_feed, "portal")  # matches, not in the audience
    subscribe(outsider_c, energy_feed, "email")  # matches, not in the audience
    subscribe(suspended_d, everything_feed, "portal")  # in the sector, suspended
    subscribe(peer_b, everything_feed, "taxii")  # polled, never pushed

    # when: a GREEN report for the energy sector is published
    report = Report.objects.create(
        title="Grid phishing",
        summary="Lures impersonating a grid operator.",
        tlp=TLP.GREEN,
        status=Report.Status.PUBLISHED,
        author=analyst_a,
        organisation=org_a,
    )
    report.sectors.set([energy])
    report.audience_sectors.set([energy])
    written = publish(report, django_capture_on_commit_callbacks)

    # then: exactly B's portal and webhook subscriptions and A's e-mail got it
    assert written == 3
    deliveries = Delivery.objects.filter(report=report)
    assert {d.subscription_id for d in deliveries} == {b_portal.pk, b_webhook.pk, a_email.pk}
    assert set(deliveries.values_list("status", flat=True)) == {Delivery.Status.DELIVERED}
    assert list(Notification.objects.values_list("membership__user", flat=True)) == [peer_b.pk]
    assert [m.to for m in mail.outbox] == [[admin_a.email]]
    assert len(receiver.requests) == 1
    body = receiver.requests[0].json
    assert body["type"] == "report.published"
    assert body["data"]["report"]["id"] == str(report.uuid)
    assert body["data"]["report"]["source"] == "ISAC"  # not attributed: the source stays hidden
    bundle = body["data"]["stix_bundle"]
    assert bundle["type"] == "bundle"
    assert f"report--{report.uuid}" in {obj["id"] for obj in bundle["objects"]}
    assert "Member A" not in receiver.requests[0].body.decode()  # nor in the STIX identity


def test_writing_the_outbox_twice_for_one_version_writes_nothing_more(
    analyst_a: User,
    org_a: Organisation,
    peer_b: User,
    everything_feed: Feed,
    publish_report: PublishReport,
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    subscribe(peer_b, everything_feed, "portal")
    report = publish_report(author=analyst_a, organisation=org_a)

    assert publish(report, django_capture_on_commit_callbacks) == 1
    assert publish(report, django_capture_on_commit_callbacks) == 0
    assert Delivery.objects.filter(report=report).count() == 1
    assert Notification.objects.count() == 1


def test_webhook_signature_verifies_with_the_standard_webhooks_algorithm(
    analyst_a: User,
    org_a: Organisation,
    admin_b: User,
    everything_feed: Feed,
    receiver: Receiver,
    publish_report: PublishReport,
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    subscription, secret = webhook_subscription(admin_b, everything_feed, receiver.url)
    assert secret.startswith("whsec_")
    assert len(base64.b64decode(secret.removeprefix("whsec_"))) >= 24
    assert secret not in subscription.secret_encrypted

    publish(
        publish_report(author=analyst_a, organisation=org_a), django_capture_on_commit_callbacks
    )

    [request] = receiver.requests
    headers = {
        "webhook-id": request.webhook_id,
        "webhook-timestamp": request.timestamp,
        "webhook-signature": request.signature,
    }
    # The reference implementation accepts it...
    assert Webhook(secret).verify(request.body, headers)["type"] == "report.published"
    # ...and so does the algorithm as documented: HMAC-SHA256 over "id.timestamp.body".
    key = base64.b64decode(secret.removeprefix("whsec_"))
    signed = f"{request.webhook_id}.{request.timestamp}.".encode() + request.body
    expected = base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
    assert request.signature == f"v1,{expected}"
    delivery = Delivery.objects.get(subscription=subscription)
    assert request.webhook_id == delivery.webhook_id


def test_red_report_never_leaves_the_portal(
    analyst_a: User,
    org_a: Organisation,
    peer_b: User,
    admin_b: User,
    everything_feed: Feed,
    receiver: Receiver,
    publish_report: PublishReport,
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    subscribe(peer_b, everything_feed, "portal")
    subscribe(peer_b, everything_feed, "email")
    subscribe(admin_b, everything_feed, "webhook", webhook_url=receiver.url)
    report = publish_report(
        author=analyst_a, organisation=org_a, tlp=TLP.RED, audience_people=[peer_b]
    )

    publish(report, django_capture_on_commit_callbacks)

    assert [d.channel for d in Delivery.objects.filter(report=report)] == ["portal"]
    assert Notification.objects.get().membership.user == peer_b
    assert mail.outbox == []
    assert receiver.requests == []


def test_amber_e_mail_carries_a_notice_and_a_link_but_not_the_content(
    analyst_a: User,
    org_a: Organisation,
    peer_b: User,
    everything_feed: Feed,
    publish_report: PublishReport,
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    subscribe(peer_b, everything_feed, "email")
    report = publish_report(
        author=analyst_a, organisation=org_a, tlp=TLP.AMBER, title="Secret-ish intrusion set"
    )

    publish(report, django_capture_on_commit_callbacks)

    [message] = mail.outbox
    assert message.subject.startswith("[TLP:AMBER]")
    assert "Secret-ish" not in message.subject
    assert "Secret-ish" not in message.body
    assert report.summary not in message.body
    assert f"/reports/{report.uuid}/" in message.body
    assert "Unsubscribe" in message.body
    assert message.extra_headers["List-Unsubscribe"].startswith("<http")
    html, mime = message.alternatives[0]  # type: ignore[attr-defined]
    assert mime == "text/html"
    assert "TLP:AMBER" in str(html)


def test_green_e_mail_carries_title_and_summary_with_the_tlp_in_the_subject(
    analyst_a: User,
    org_a: Organisation,
    peer_b: User,
    everything_feed: Feed,
    publish_report: PublishReport,
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    subscribe(peer_b, everything_feed, "email")
    report = publish_report(author=analyst_a, organisation=org_a, title="<b>Grid</b> lures")

    publish(report, django_capture_on_commit_callbacks)

    [message] = mail.outbox
    assert message.subject == "[TLP:GREEN] <b>Grid</b> lures"
    assert report.summary in message.body
    html = str(message.alternatives[0][0])  # type: ignore[attr-defined]
    assert "&lt;b&gt;Grid&lt;/b&gt;" in html


def test_revoking_an_organisation_after_publish_cancels_its_pending_deliveries(
    analyst_a: User,
    org_a: Organisation,
    org_b: Organisation,
    peer_b: User,
    admin_b: User,
    everything_feed: Feed,
    receiver: Receiver,
    publish_report: PublishReport,
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    subscribe(peer_b, everything_feed, "portal")
    subscribe(admin_b, everything_feed, "webhook", webhook_url=receiver.url)
    report = publish_report(author=analyst_a, organisation=org_a)
    with django_capture_on_commit_callbacks(execute=False) as enqueue:
        outbox_write(report=report, event="published")

    # the ISAC suspends B after the report was published, before the workers ran
    Organisation.objects.filter(pk=org_b.pk).update(status=Organisation.Status.SUSPENDED)
    for callback in enqueue:
        callback()

    statuses = set(Delivery.objects.filter(report=report).values_list("status", flat=True))
    assert statuses == {Delivery.Status.CANCELLED}
    assert receiver.requests == []
    assert Notification.objects.count() == 0


def test_a_receiver_answering_410_gone_is_disabled_at_once_and_its_owner_told(
    analyst_a: User,
    org_a: Organisation,
    admin_b: User,
    everything_feed: Feed,
    receiver: Receiver,
    publish_report: PublishReport,
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    subscription = subscribe(admin_b, everything_feed, "webhook", webhook_url=receiver.url)
    receiver.status = 410

    publish(
        publish_report(author=analyst_a, organisation=org_a), django_capture_on_commit_callbacks
    )

    subscription.refresh_from_db()
    assert not subscription.is_active
    assert "410" in subscription.disabled_reason
    assert len(receiver.requests) == 1
    assert Delivery.objects.get().status == Delivery.Status.FAILED
    assert [m.to for m in mail.outbox] == [[admin_b.email]]


def test_a_redirect_is_not_followed_even_to_the_metadata_service(
    analyst_a: User,
    org_a: Organisation,
    admin_b: User,
    everything_feed: Feed,
    receiver: Receiver,
    publish_report: PublishReport,
    django_capture_on_commit_callbacks: Callable[..., Any],
    settings: object,
) -> None:
    # A receiver that looks fine when it is saved, then redirects inward.
    subscription = subscribe(admin_b, everything_feed, "webhook", webhook_url=receiver.url)
    receiver.status = 302
    receiver.location = "http://169.254.169.254/latest/meta-data/"
    settings.FANOUT_MAX_ATTEMPTS = 1  # type: ignore[attr-defined]

    publish(
        publish_report(author=analyst_a, organisation=org_a), django_capture_on_commit_callbacks
    )

    delivery = Delivery.objects.get(subscription=subscription)
    assert delivery.status == Delivery.Status.FAILED
    assert "redirects are not followed" in delivery.last_error
    assert len(receiver.requests) == 1


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1/hook",
        "http://[::1]/hook",
        "http://169.254.169.254/latest/meta-data/",
        "http://10.0.0.1/hook",
        "http://localhost/hook",
    ],
)
def test_webhook_urls_that_reach_inside_cannot_be_subscribed(
    url: str, admin_b: User, everything_feed: Feed, settings: object
) -> None:
    settings.FANOUT_ALLOWED_NETWORKS = []  # type: ignore[attr-defined]

    with pytest.raises(ValidationError, match="cannot be used"):
        subscribe(admin_b, everything_feed, "webhook", webhook_url=url)


def test_a_webhook_whose_address_turns_private_after_saving_is_refused_at_send_time(
    analyst_a: User,
    org_a: Organisation,
    admin_b: User,
    everything_feed: Feed,
    receiver: Receiver,
    publish_report: PublishReport,
    django_capture_on_commit_callbacks: Callable[..., Any],
    settings: object,
) -> None:
    subscription = subscribe(admin_b, everything_feed, "webhook", webhook_url=receiver.url)
    settings.FANOUT_ALLOWED_NETWORKS = []  # type: ignore[attr-defined]
    settings.FANOUT_MAX_ATTEMPTS = 1  # type: ignore[attr-defined]

    publish(
        publish_report(author=analyst_a, organisation=org_a), django_capture_on_commit_callbacks
    )

    delivery = Delivery.objects.get(subscription=subscription)
    assert delivery.status == Delivery.Status.FAILED
    assert "loopback" in delivery.last_error
    assert receiver.requests == []


def test_withdrawal_is_announced_to_those_who_received_the_report_only(
    analyst_a: User,
    org_a: Organisation,
    peer_b: User,
    admin_b: User,
    everything_feed: Feed,
    receiver: Receiver,
    publish_report: PublishReport,
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    subscribe(admin_b, everything_feed, "webhook", webhook_url=receiver.url)
    report = publish_report(author=analyst_a, organisation=org_a)
    publish(report, django_capture_on_commit_callbacks)
    subscribe(peer_b, everything_feed, "portal")  # subscribed after: never got it

    report.status = Report.Status.WITHDRAWN
    report.save(update_fields=["status"])
    assert publish(report, django_capture_on_commit_callbacks, event="withdrawn") == 1

    assert [r.json["type"] for r in receiver.requests] == ["report.published", "report.withdrawn"]
    withdrawn = receiver.requests[1].json["data"]
    assert "stix_bundle" not in withdrawn
    assert "title" not in withdrawn["report"]
    assert Notification.objects.count() == 0


def test_a_daily_digest_groups_the_days_reports_by_feed_in_one_e_mail(
    analyst_a: User,
    org_a: Organisation,
    peer_b: User,
    everything_feed: Feed,
    energy_feed: Feed,
    energy: Sector,
    publish_report: PublishReport,
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    from sharing.fanout.services import deliveries_sweep

    for feed in (everything_feed, energy_feed):
        subscribe(peer_b, feed, "email", email_mode="digest", digest_hour=8, time_zone="Asia/Tokyo")
    first = publish_report(author=analyst_a, organisation=org_a, title="First", sectors=[energy])
    second = publish_report(author=analyst_a, organisation=org_a, title="Second")
    publish(first, django_capture_on_commit_callbacks)
    publish(second, django_capture_on_commit_callbacks)
    assert mail.outbox == []  # nothing before the digest hour

    Delivery.objects.update(next_attempt_at=first.created_at)  # the hour has come
    with django_capture_on_commit_callbacks(execute=True):
        assert deliveries_sweep() == 3

    [digest] = mail.outbox
    assert "digest" in digest.subject
    assert digest.body.index("Energy sector") < digest.body.index("Everything I can see")
    assert digest.body.count("First") == 2
    assert digest.body.count("Second") == 1
    assert set(Delivery.objects.values_list("status", flat=True)) == {Delivery.Status.DELIVERED}


def test_deliveries_stranded_between_commit_and_enqueue_are_sent_by_the_sweep(
    analyst_a: User,
    org_a: Organisation,
    admin_b: User,
    everything_feed: Feed,
    receiver: Receiver,
    publish_report: PublishReport,
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    from datetime import timedelta

    from django.utils import timezone

    from sharing.fanout.services import deliveries_sweep

    subscribe(admin_b, everything_feed, "webhook", webhook_url=receiver.url)
    report = publish_report(author=analyst_a, organisation=org_a)
    # the process dies after commit, before its enqueue callbacks run
    with django_capture_on_commit_callbacks(execute=False):
        outbox_write(report=report, event="published")
    assert receiver.requests == []
    # the sweep leaves freshly enqueued rows alone, then takes them once they look stranded
    with django_capture_on_commit_callbacks(execute=True):
        assert deliveries_sweep() == 0
    Delivery.objects.update(enqueued_at=timezone.now() - timedelta(hours=1))

    with django_capture_on_commit_callbacks(execute=True):
        assert deliveries_sweep() == 1

    assert len(receiver.requests) == 1
    assert Delivery.objects.get().status == Delivery.Status.DELIVERED


def test_a_poison_delivery_stops_after_the_attempt_limit_without_being_sent(
    analyst_a: User,
    org_a: Organisation,
    admin_b: User,
    everything_feed: Feed,
    receiver: Receiver,
    publish_report: PublishReport,
    django_capture_on_commit_callbacks: Callable[..., Any],
    settings: Any,
) -> None:
    from sharing.fanout.services import deliveries_process

    subscribe(admin_b, everything_feed, "webhook", webhook_url=receiver.url)
    with django_capture_on_commit_callbacks(execute=False):
        outbox_write(report=publish_report(author=analyst_a, organisation=org_a), event="published")
    # every earlier worker died while holding it: the counter was raised at each claim
    Delivery.objects.update(attempts=settings.FANOUT_MAX_ATTEMPTS)

    assert deliveries_process(ids=list(Delivery.objects.values_list("pk", flat=True))) == 0

    delivery = Delivery.objects.get()
    assert delivery.status == Delivery.Status.FAILED
    assert "Gave up" in delivery.last_error
    assert receiver.requests == []


def test_a_trust_group_feed_carries_the_reports_addressed_to_the_group_and_nothing_else(
    analyst_a: User,
    org_a: Organisation,
    peer_b: User,
    outsider_c: User,
    circle: Any,
    builtin_feeds: None,
    publish_report: PublishReport,
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    from sharing.feeds.services import feed_create

    feed = feed_create(name="Grid circle reports", by=acting(peer_b), trust_group=circle)
    subscribe(peer_b, feed, "portal")
    for_circle = publish_report(
        author=analyst_a, organisation=org_a, tlp=TLP.AMBER, audience_everyone=False
    )
    for_circle.audience_groups.set([circle])
    for_everyone = publish_report(author=analyst_a, organisation=org_a, title="For everyone")

    publish(for_circle, django_capture_on_commit_callbacks)
    publish(for_everyone, django_capture_on_commit_callbacks)

    assert list(Notification.objects.values_list("report", flat=True)) == [for_circle.pk]
    with pytest.raises(ValidationError, match="trust group"):
        feed_create(name="Not mine", by=acting(outsider_c), trust_group=circle)


def test_a_sector_added_later_gets_its_built_in_feed_once(builtin_feeds: None) -> None:
    from sharing.fanout.tasks import fanout_ensure_builtin_feeds

    Sector.objects.create(slug="space", name="Space Systems")

    assert fanout_ensure_builtin_feeds() == 1
    assert fanout_ensure_builtin_feeds() == 0
    assert Feed.objects.filter(kind=Feed.Kind.SECTOR, sectors__slug="space").count() == 1
    assert Feed.objects.filter(kind=Feed.Kind.EVERYTHING).count() == 1


def test_deliveries_to_a_receiver_that_just_failed_go_in_a_batch_of_their_own(
    analyst_a: User,
    org_a: Organisation,
    admin_b: User,
    everything_feed: Feed,
    publish_report: PublishReport,
    receiver: Receiver,
    settings: Any,
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    # given: three webhooks, the middle one's receiver timed out on its last attempt
    settings.FANOUT_BATCH_SIZE = 100
    first, failing, last = (
        subscribe(admin_b, everything_feed, "webhook", webhook_url=receiver.url) for _ in range(3)
    )
    Subscription.objects.filter(pk=failing.pk).update(consecutive_failures=1)

    # when: a report is published
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        outbox_write(report=publish_report(author=analyst_a, organisation=org_a), event="published")

    # then: the healthy ones are sent together first, the failing one in a batch after them
    batches = [callback.args[1] for callback in callbacks]
    by_subscription = dict(Delivery.objects.values_list("pk", "subscription_id"))
    assert [[by_subscription[pk] for pk in batch] for batch in batches] == [
        sorted([first.pk, last.pk]),
        [failing.pk],
    ]
