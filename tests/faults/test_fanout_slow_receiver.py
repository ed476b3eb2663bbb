"""A slow webhook receiver must not hold back, repeat or block anyone else's deliveries.

The slow receiver (tests.fixtures.fanout.SlowReceiver) answers its status line at once and
then one header byte at a time, so no single read ever waits long: only a total deadline
per send stops it. Everything here runs against the real broker, real workers and the real
database; the periodic sweep is run by the test as beat would run it.
"""

import time
from collections.abc import Callable

import pytest
from django.core import checks, mail
from django.db import transaction
from pytest_django.fixtures import Settings as SettingsWrapper

from accounts.models import Organisation, User
from sharing.fanout.outbox import outbox_write
from sharing.fanout.services import deliveries_sweep, delivery_send_test
from sharing.models import Delivery, DeliveryAttempt, Feed, Subscription
from tests.fixtures.fanout import (
    PublishReport,
    Receiver,
    SlowReceiver,
    free_port,
    webhook_subscription,
)
from tests.fixtures.workers import StartWorker

pytestmark = [pytest.mark.services, pytest.mark.usefixtures("allow_loopback_receivers")]


def wait_until(predicate: Callable[[], bool], timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return False


def sweep_until(predicate: Callable[[], bool], timeout: float, every: float = 0.5) -> bool:
    """Run the periodic sweep, as beat does, until the predicate holds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        with transaction.atomic():
            deliveries_sweep()
        time.sleep(every)
    return False


def pending(report_id: int) -> int:
    return Delivery.objects.filter(report_id=report_id, status=Delivery.Status.PENDING).count()


def test_a_send_to_a_receiver_that_trickles_its_headers_ends_at_the_deadline(
    db: None,
    settings: SettingsWrapper,
    slow_receiver: SlowReceiver,
    admin_b: User,
    everything_feed: Feed,
) -> None:
    # given: a receiver that would take 8 s to answer, one byte every half second
    settings.FANOUT_WEBHOOK_TIMEOUT = 1.5
    slow_receiver.interval, slow_receiver.hold = 0.5, 8.0
    subscription, _ = webhook_subscription(admin_b, everything_feed, slow_receiver.url)

    # when: the portal sends to it
    started = time.monotonic()
    outcome = delivery_send_test(subscription=subscription)
    elapsed = time.monotonic() - started

    # then: the send gave up at its deadline, and says so
    assert elapsed < 1.5 + 1.5, f"the send took {elapsed:.1f} s against a 1.5 s deadline"
    assert not outcome.ok
    assert "1.5 seconds" in outcome.error
    assert slow_receiver.answered == []


def test_healthy_subscribers_get_each_delivery_once_while_a_slow_receiver_holds_the_batch(
    fanout_worker_process: StartWorker,
    settings: SettingsWrapper,
    receiver: Receiver,
    slow_receiver: SlowReceiver,
    analyst_a: User,
    org_a: Organisation,
    admin_b: User,
    everything_feed: Feed,
    publish_report: PublishReport,
) -> None:
    # given: one batch with a receiver that takes 6 s to answer and 20 healthy ones, and
    # claims that last 3 s (shorter than that send), with two workers
    settings.FANOUT_CLAIM_SECONDS = 3
    slow_receiver.interval, slow_receiver.hold = 0.5, 6.0
    slow, _ = webhook_subscription(admin_b, everything_feed, slow_receiver.url)
    for _ in range(20):
        webhook_subscription(admin_b, everything_feed, receiver.url)
    for name in ("first", "second"):
        fanout_worker_process(name, FANOUT_CLAIM_SECONDS="3", FANOUT_SEND_THREADS="4")
    report = publish_report(author=analyst_a, organisation=org_a)

    # when: the report is published and the sweep runs while the slow send goes on
    with transaction.atomic():
        assert outbox_write(report=report, event="published") == 21
    assert sweep_until(lambda: pending(report.pk) == 0, timeout=60), "deliveries still pending"
    sweep_until(lambda: False, timeout=3)  # a late repeat, if any, would be sent by now

    # then: every healthy subscriber got the delivery exactly once, with one attempt row
    healthy = Delivery.objects.filter(report=report).exclude(subscription=slow)
    ids = receiver.ids()
    assert sorted(ids) == sorted(d.webhook_id for d in healthy), "repeats or losses"
    assert set(healthy.values_list("status", "attempts")) == {(Delivery.Status.DELIVERED, 1)}
    assert DeliveryAttempt.objects.filter(delivery__in=healthy).count() == 20
    # ...and the slow receiver was not sent it a second time while the first send went on
    slow_delivery = Delivery.objects.get(report=report, subscription=slow)
    assert slow_receiver.ids() == [slow_delivery.webhook_id]
    assert slow_delivery.status == Delivery.Status.DELIVERED


def test_each_attempt_is_recorded_when_its_send_ends_not_when_the_batch_ends(
    celery_worker: object,
    receiver: Receiver,
    slow_receiver: SlowReceiver,
    analyst_a: User,
    org_a: Organisation,
    admin_b: User,
    everything_feed: Feed,
    publish_report: PublishReport,
) -> None:
    # given: five healthy receivers and one that takes 6 s, in one batch
    slow_receiver.interval, slow_receiver.hold = 0.5, 6.0
    slow, _ = webhook_subscription(admin_b, everything_feed, slow_receiver.url)
    for _ in range(5):
        webhook_subscription(admin_b, everything_feed, receiver.url)
    report = publish_report(author=analyst_a, organisation=org_a)

    # when: the batch is sent
    with transaction.atomic():
        outbox_write(report=report, event="published")
    assert receiver.wait_for(5, timeout=30)
    healthy = Delivery.objects.filter(report=report).exclude(subscription=slow)

    # then: the healthy deliveries are recorded as delivered while the slow send goes on
    assert wait_until(
        lambda: healthy.filter(status=Delivery.Status.DELIVERED).count() == 5, timeout=3
    ), "the healthy deliveries were recorded only when the whole batch ended"
    assert slow_receiver.answered == []
    assert DeliveryAttempt.objects.filter(delivery__in=healthy, ok=True).count() == 5


def test_a_failed_delivery_is_retried_on_its_own_schedule_not_after_the_slowest_of_its_batch(
    fanout_worker_process: StartWorker,
    settings: SettingsWrapper,
    slow_receiver: SlowReceiver,
    analyst_a: User,
    org_a: Organisation,
    admin_b: User,
    everything_feed: Feed,
    publish_report: PublishReport,
) -> None:
    # given: a receiver that answers 500 and one that takes 8 s, in one batch; retries
    # after 1 s
    slow_receiver.interval, slow_receiver.hold = 0.5, 8.0
    failing = Receiver(port=free_port(), status=500)
    failing.start()
    try:
        webhook_subscription(admin_b, everything_feed, slow_receiver.url)
        failing_subscription, _ = webhook_subscription(admin_b, everything_feed, failing.url)
        for name in ("first", "second"):
            fanout_worker_process(name, FANOUT_RETRY_DELAYS="1,1,1")
        report = publish_report(author=analyst_a, organisation=org_a)

        # when: the batch is sent
        with transaction.atomic():
            outbox_write(report=report, event="published")
        assert wait_until(lambda: len(failing.requests) >= 1, timeout=30)
        delivery = Delivery.objects.get(report=report, subscription=failing_subscription)

        # then: its failure is recorded and its retry scheduled while the slow send goes on
        assert wait_until(lambda: delivery.attempt_rows.exists(), timeout=3), (
            "the failure was recorded only when the slowest send of the batch ended"
        )
        # ...and the retry is sent before the slow receiver has answered
        assert wait_until(lambda: len(failing.requests) >= 2, timeout=5)
        assert slow_receiver.answered == []
    finally:
        failing.stop()


def test_a_receiver_that_is_slow_every_time_is_switched_off_and_its_owner_told(
    celery_worker: object,
    settings: SettingsWrapper,
    slow_receiver: SlowReceiver,
    analyst_a: User,
    org_a: Organisation,
    admin_b: User,
    everything_feed: Feed,
    publish_report: PublishReport,
) -> None:
    # given: a receiver that never answers within the 1 s deadline; three attempts in all
    settings.FANOUT_WEBHOOK_TIMEOUT = 1.0
    settings.FANOUT_RETRY_DELAYS = [0.2, 0.2]
    settings.FANOUT_MAX_ATTEMPTS = 3
    slow_receiver.interval, slow_receiver.hold = 0.3, 60.0
    subscription, _ = webhook_subscription(admin_b, everything_feed, slow_receiver.url)
    report = publish_report(author=analyst_a, organisation=org_a)

    # when: the report is published
    with transaction.atomic():
        outbox_write(report=report, event="published")

    # then: after three timed-out attempts the subscription is off and its owner told why
    assert wait_until(
        lambda: not Subscription.objects.get(pk=subscription.pk).is_active, timeout=30
    ), "the slow receiver was never switched off"
    subscription.refresh_from_db()
    assert "did not answer within 1 second" in subscription.disabled_reason
    delivery = Delivery.objects.get(subscription=subscription)
    assert delivery.status == Delivery.Status.FAILED
    attempts = list(delivery.attempt_rows.values_list("ok", "duration_ms"))
    assert len(attempts) == 3
    assert all(not ok and ms < 2500 for ok, ms in attempts)
    assert wait_until(lambda: len(mail.outbox) == 1, timeout=5)
    [notice] = mail.outbox
    assert admin_b.email in notice.to
    assert "turned off" in notice.body
    assert "did not answer within 1 second" in notice.body


def test_settings_that_let_a_batch_of_slow_receivers_outlast_the_time_limit_are_refused(
    settings: SettingsWrapper,
) -> None:
    # given: 100 webhooks a batch, 2 threads, 10 s each: up to 500 s against a 300 s limit
    settings.FANOUT_BATCH_SIZE = 100
    settings.FANOUT_SEND_THREADS = 2
    settings.FANOUT_WEBHOOK_TIMEOUT = 10.0
    settings.CELERY_TASK_SOFT_TIME_LIMIT = 300

    # when: the portal starts
    errors = [m for m in checks.run_checks() if m.id == "sharing.E101"]

    # then: it refuses, naming the settings to change
    assert errors
    assert "CELERY_TASK_SOFT_TIME_LIMIT" in errors[0].msg
    settings.FANOUT_SEND_THREADS = 8
    assert not [m for m in checks.run_checks() if m.id == "sharing.E101"]
