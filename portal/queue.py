"""Sending tasks after commit without making the request depend on the broker.

Work that must survive is a committed row (a submission, a delivery) and a periodic sweep
sends whatever was never sent; the message is only a shortcut. So when Redis is away the
enqueue failure is logged and the request that committed the work still succeeds.
"""

import logging
from typing import Any

from celery import Task
from django.db import transaction
from kombu.exceptions import OperationalError
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)

# What Redis being away looks like, as the broker (kombu) or as the cache (redis-py).
REDIS_UNAVAILABLE = (OperationalError, RedisError, ConnectionError, TimeoutError)


def send_task(task: Task, *args: Any, countdown: float | None = None) -> bool:
    """Send now; False (logged) when the broker cannot take it and the sweep will."""
    try:
        task.apply_async(args, countdown=countdown)
    except REDIS_UNAVAILABLE as exc:
        logger.warning(
            "could not enqueue %s%r (%s); the periodic sweep will send it", task.name, args, exc
        )
        return False
    return True


def send_task_on_commit(task: Task, *args: Any, countdown: float | None = None) -> None:
    """Send once the surrounding transaction commits (nothing if it rolls back)."""
    transaction.on_commit(lambda: send_task(task, *args, countdown=countdown))
