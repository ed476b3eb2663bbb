"""Queue background work by task name, once the current transaction has committed.

Services name the task they want run instead of importing it: task modules import the
services they call, so a service importing its task back would make an import circle. The
row the task reads is committed before the message leaves (no phantom work).

The message is only a shortcut. Work that must survive is a committed row (a submission, a
delivery, an invitation) and each kind has a periodic sweep that sends whatever was never
sent, so when Redis is away the enqueue failure is logged and the request that committed
the work still succeeds.
"""

import logging
from functools import partial
from typing import Any

from celery import Task
from django.db import transaction
from kombu.exceptions import OperationalError
from redis.exceptions import RedisError

from portal.celery import app

logger = logging.getLogger(__name__)

# What Redis being away looks like, as the broker (kombu) or as the cache (redis-py).
REDIS_UNAVAILABLE = (OperationalError, RedisError, ConnectionError, TimeoutError)


def task_named(name: str) -> Task:
    """The registered task with that name ("accounts.tasks.send_invitation_email")."""
    if name not in app.tasks:
        # Task modules register themselves when imported; autodiscovery imports them all.
        app.loader.import_default_modules()
    task: Task = app.tasks[name]
    return task


def send_now(
    name: str, *args: Any, queue: str | None = None, countdown: float | None = None
) -> bool:
    """Send the task now; False (logged) when the broker cannot take it and a sweep will."""
    options: dict[str, Any] = {"countdown": countdown}
    if queue is not None:
        options["queue"] = queue
    try:
        task_named(name).apply_async(args, **options)
    except REDIS_UNAVAILABLE as exc:
        logger.warning(
            "could not enqueue %s%r (%s); the periodic sweep will send it", name, args, exc
        )
        return False
    return True


def enqueue_on_commit(
    name: str, *args: Any, queue: str | None = None, countdown: float | None = None
) -> None:
    """Run the task (in a worker, or in-process where tasks run eagerly) after commit."""
    task_named(name)  # an unknown name fails here, in the caller's transaction
    transaction.on_commit(partial(send_now, name, *args, queue=queue, countdown=countdown))
