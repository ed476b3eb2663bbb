"""End to end with the real broker and real workers: retries, crashes, nothing lost."""

import os
import signal
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.db import connection, transaction
from pytest_django.fixtures import Settings as SettingsWrapper

from accounts.models import Organisation, User
from sharing.fanout.outbox import outbox_write
from sharing.fanout.tasks import fanout_sweep
from sharing.models import Delivery, Feed
from tests.fixtures.fanout import PublishReport, Receiver, free_port, webhook_subscription
from tests.fixtures.workers import fanout_worker_argv

pytestmark = [pytest.mark.services, pytest.mark.usefixtures("allow_loopback_receivers")]

ROOT = Path(__file__).resolve().parent.parent


def wait_until(predicate: Callable[[], bool], timeout: float = 30.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return False


def test_receiver_down_then_up_gets_the_delivery_once_after_a_retry(
    celery_worker: object,
    settings: SettingsWrapper,
    analyst_a: User,
    org_a: Organisation,
    admin_b: User,
    everything_feed: Feed,
    publish_report: PublishReport,
) -> None:
    # given: a webhook whose receiver is not listening yet
    settings.FANOUT_RETRY_DELAYS = [1.0, 1.0, 1.0]
    receiver = Receiver(port=free_port())
    subscription, _ = webhook_subscription(admin_b, everything_feed, receiver.url)
    report = publish_report(author=analyst_a, organisation=org_a)

    # when: the report is published and the first attempt fails
    with transaction.atomic():
        outbox_write(report=report, event="published")
    delivery = Delivery.objects.get(subscription=subscription)
    assert wait_until(lambda: Delivery.objects.get(pk=delivery.pk).attempts >= 1)
    assert wait_until(lambda: Delivery.objects.get(pk=delivery.pk).last_error != "")
    assert "connect" in Delivery.objects.get(pk=delivery.pk).last_error.lower()

    # then: once the receiver is up, the retry arrives, exactly once
    receiver.start()
    try:
        assert receiver.wait_for(1, timeout=20)
        assert wait_until(
            lambda: Delivery.objects.get(pk=delivery.pk).status == Delivery.Status.DELIVERED
        )
        time.sleep(1.5)  # a duplicate, if any, would arrive by now
        assert receiver.ids() == [f"msg_{delivery.uuid.hex}"]
        delivery.refresh_from_db()
        assert delivery.attempts >= 2
        assert list(delivery.attempt_rows.values_list("ok", flat=True))[-1] is True
        assert delivery.attempt_rows.filter(ok=False).exists()
    finally:
        receiver.stop()


def _worker(env: dict[str, str], name: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        fanout_worker_argv(name),
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


@pytest.fixture
def worker_env(transactional_db: None) -> dict[str, str]:
    """Environment for a separate worker process that uses this test's database."""
    db = connection.settings_dict
    url = f"postgresql://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    if db.get("PASSWORD"):
        url = url.replace("@", f":{db['PASSWORD']}@", 1)
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("PYTEST", "DJANGO_SETTINGS"))
    }
    env.update(
        {
            "DATABASE_URL": url,
            "REDIS_URL": django_settings.REDIS_URL,
            "SECRET_KEY": django_settings.SECRET_KEY,
            "FANOUT_ALLOWED_NETWORKS": "127.0.0.0/8",
            "FANOUT_CLAIM_SECONDS": "2",
            "FANOUT_SEND_THREADS": "2",
            "FANOUT_BATCH_SIZE": "20",
        }
    )
    return env


@pytest.fixture
def processes() -> Iterator[list[subprocess.Popen[bytes]]]:
    started: list[subprocess.Popen[bytes]] = []
    yield started
    for process in started:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def test_a_worker_killed_mid_batch_loses_no_delivery_and_duplicates_share_their_id(
    celery_broker_without_worker: None,
    worker_env: dict[str, str],
    processes: list[subprocess.Popen[bytes]],
    settings: SettingsWrapper,
    receiver: Receiver,
    analyst_a: User,
    org_a: Organisation,
    admin_b: User,
    everything_feed: Feed,
    publish_report: PublishReport,
) -> None:
    # given: 60 webhook subscriptions, sent in batches of 20 to a slow receiver
    settings.FANOUT_BATCH_SIZE = 20
    receiver.delay = 0.2  # a batch of 20 takes about 2 s with 2 sending threads
    for _ in range(60):
        webhook_subscription(admin_b, everything_feed, receiver.url)
    report = publish_report(author=analyst_a, organisation=org_a)
    with transaction.atomic():
        assert outbox_write(report=report, event="published") == 60
    expected = {d.webhook_id for d in Delivery.objects.filter(report=report)}

    # when: a worker process is killed with SIGKILL in the middle of its first batch
    first = _worker(worker_env, "doomed")
    processes.append(first)
    assert receiver.wait_for(5, timeout=60), "the first worker never started sending"
    os.kill(first.pid, signal.SIGKILL)
    first.wait(timeout=10)
    time.sleep(0.5)  # requests in flight at the kill finish arriving
    arrived_before_kill = set(receiver.ids())
    assert len(arrived_before_kill) < 20, "the first batch was already over"
    # each send was recorded as it ended; the rest of the batch is still claimed and
    # pending: sent, maybe, but not recorded
    held = Delivery.objects.filter(
        report=report, status=Delivery.Status.PENDING, claimed_until__isnull=False
    )
    recorded = Delivery.objects.filter(report=report, status=Delivery.Status.DELIVERED)
    assert recorded.count() >= 1
    assert held.count() + recorded.count() == 20
    assert {d.webhook_id for d in recorded} <= arrived_before_kill

    # ...and another worker takes over, with the periodic sweep as beat would run it
    processes.append(_worker(worker_env, "survivor"))
    time.sleep(2.5)  # the dead worker's claims expire (FANOUT_CLAIM_SECONDS=2)
    with transaction.atomic():
        fanout_sweep.delay()

    # then: every delivery arrives; any duplicate carries the same webhook-id
    assert receiver.wait_for(60, timeout=90), f"only {len(set(receiver.ids()))} of 60 arrived"
    assert wait_until(
        lambda: (
            Delivery.objects.filter(report=report, status=Delivery.Status.DELIVERED).count() == 60
        ),
        timeout=30,
    )
    ids = receiver.ids()
    assert set(ids) == expected
    # What the dead worker sent arrives again, under the same webhook-id, so the receiver
    # can drop it; nothing else is duplicated.
    duplicated = {i for i in ids if ids.count(i) > 1}
    assert duplicated
    assert duplicated <= arrived_before_kill
