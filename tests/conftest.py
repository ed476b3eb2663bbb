"""Test-wide fixtures. Service-backed tests use the real PostgreSQL, Redis and a Celery worker."""

import os
from collections.abc import Iterator

import pytest
import redis
from celery.contrib.testing.worker import start_worker
from django.conf import settings
from django.db import connection

from portal.celery import app as celery_app

REQUIRE_SERVICES = os.environ.get("REQUIRE_SERVICES", "").strip().lower() in {"1", "true", "yes"}

pytest_plugins = [
    "tests.fixtures.personas",
    "tests.fixtures.browser",
    "tests.fixtures.members",
    # before the fixture modules that build their reports with it
    "tests.fixtures.reports",
    "tests.fixtures.trust_groups",
    "tests.fixtures.normalize",
    "tests.fixtures.fanout",
    "tests.fixtures.taxii",
    "tests.fixtures.workers",
    "tests.fixtures.medallion",
    "tests.fixtures.government",
    "tests.fixtures.instances",
    "tests.fixtures.misp_feed",
]


def _services_missing() -> str | None:
    """Why service-backed tests cannot run here, or None when PostgreSQL and Redis are in use."""
    if connection.vendor != "postgresql":
        return "DATABASE_URL does not point at PostgreSQL"
    if not settings.REDIS_URL:
        return "REDIS_URL is not set"
    try:
        redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=2).ping()
    except redis.RedisError as exc:
        return f"Redis at REDIS_URL does not answer ({exc})"
    return None


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    service_items = [item for item in items if item.get_closest_marker("services")]
    if not service_items:
        return
    reason = _services_missing()
    if reason is None:
        return
    if REQUIRE_SERVICES:
        raise pytest.UsageError(f"REQUIRE_SERVICES=1 but {reason}.")
    for item in service_items:
        item.add_marker(pytest.mark.skip(reason=f"needs PostgreSQL and Redis: {reason}"))


@pytest.fixture(autouse=True, scope="session")
def _plain_http_in_tests(django_test_environment: None) -> None:
    """Tests speak plain HTTP and do not run collectstatic.

    Set for the whole session because the live server builds its middleware once; every
    other production security setting stays on.
    """
    from django.conf import settings as django_settings

    django_settings.SECURE_SSL_REDIRECT = False
    # Password hashing is not under test; a fast hasher keeps persona fixtures cheap.
    django_settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    django_settings.STORAGES = {
        **django_settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    # Every access-policy condition bound from its compiled template is also built afresh
    # and compared (portal.bound_sql), so each test checks the binding too.
    django_settings.BOUND_SQL_CHECK = True


@pytest.fixture(autouse=True)
def _tasks_in_process(request: pytest.FixtureRequest) -> Iterator[None]:
    """Run tasks in-process unless a test asks for a real worker or a real broker."""
    if {"celery_worker", "celery_broker_without_worker"} & set(request.fixturenames):
        yield
        return
    previous = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = previous


@pytest.fixture
def celery_broker_without_worker() -> Iterator[None]:
    """Tasks go to Redis, and no worker consumes them."""
    previous = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = False
    celery_app.control.purge()
    yield
    celery_app.control.purge()
    celery_app.conf.task_always_eager = previous


@pytest.fixture
def celery_worker(transactional_db: None) -> Iterator[object]:
    """A real Celery worker consuming from Redis, in a thread, against the test database."""
    previous = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = False
    celery_app.control.purge()
    with start_worker(
        celery_app,
        pool="solo",
        concurrency=1,
        perform_ping_check=False,  # needs a result backend; the portal keeps none
        shutdown_timeout=20,
        loglevel="WARNING",
    ) as worker:
        yield worker
    celery_app.conf.task_always_eager = previous
