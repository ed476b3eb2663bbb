"""A real Celery worker on Redis processes work only from committed transactions."""

import threading
import time
import uuid

import pytest
from django.db import transaction
from django.test import Client
from pytest_django.fixtures import Settings as SettingsWrapper

from accounts.models import Sector
from portal.celery import app as celery_app

pytestmark = pytest.mark.services

_seen: list[str] = []
_seen_lock = threading.Lock()


@celery_app.task(name="tests.mark_sector_processed")
def mark_sector_processed(slug: str) -> None:
    # Reads the row the enqueuing transaction wrote: proof the task ran after commit.
    sector = Sector.objects.get(slug=slug)
    sector.description = "processed by worker"
    sector.save(update_fields=["description"])
    with _seen_lock:
        _seen.append(slug)


def _wait_for(predicate: object, timeout: float = 20.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():  # type: ignore[operator]
            return True
        time.sleep(0.05)
    return False


def test_task_enqueued_after_commit_is_processed_by_the_worker(celery_worker: object) -> None:
    slug = f"s-{uuid.uuid4().hex[:10]}"
    with transaction.atomic():
        Sector.objects.create(slug=slug, name=slug)
        mark_sector_processed.delay_on_commit(slug)

    assert _wait_for(lambda: Sector.objects.get(slug=slug).description == "processed by worker"), (
        "the worker did not process the committed task"
    )


def test_task_from_rolled_back_transaction_is_never_sent(celery_worker: object) -> None:
    doomed = f"s-{uuid.uuid4().hex[:10]}"
    sentinel = f"s-{uuid.uuid4().hex[:10]}"

    class Abort(Exception):
        pass

    def enqueue_then_roll_back() -> None:
        with transaction.atomic():
            Sector.objects.create(slug=doomed, name=doomed)
            mark_sector_processed.delay_on_commit(doomed)
            raise Abort

    with pytest.raises(Abort):
        enqueue_then_roll_back()
    with transaction.atomic():
        Sector.objects.create(slug=sentinel, name=sentinel)
        mark_sector_processed.delay_on_commit(sentinel)

    # The sentinel went to the same queue after the doomed one would have; once it is done,
    # the doomed task would have run too, had it been sent.
    assert _wait_for(lambda: sentinel in _seen)
    assert doomed not in _seen
    assert not Sector.objects.filter(slug=doomed).exists()


def test_healthz_is_healthy_with_database_redis_and_a_worker(
    client: Client, celery_worker: object
) -> None:
    response = client.get("/healthz")

    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["status"] == "ok"
    assert body["database"] == "ok (postgresql)"
    assert body["worker"].startswith("ok")


def test_healthz_reports_a_stopped_worker_as_unhealthy(
    client: Client, db: None, celery_broker_without_worker: None
) -> None:
    response = client.get("/healthz")

    assert response.status_code == 503
    assert response.json()["worker"] == "no worker answered"
    assert response.json()["redis"] == "ok"


def test_healthz_reports_unreachable_redis_as_unhealthy(
    client: Client, db: None, settings: SettingsWrapper, celery_broker_without_worker: None
) -> None:
    settings.REDIS_URL = "redis://127.0.0.1:1/0"

    response = client.get("/healthz")

    assert response.status_code == 503
    assert response.json()["redis"].startswith("error")
    assert response.json()["status"] == "unhealthy"
