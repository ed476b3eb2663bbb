"""Sending fan-out work to the workers, after commit, naming the tasks by string.

Services enqueue through here and the tasks module imports the services, never the other
way round, so there is no import circle between them. The message is only a shortcut: the
delivery rows are committed, so when the broker cannot take a message the failure is
logged and the fan-out sweep sends the rows once it is back.
"""

import importlib
import logging
from functools import partial

from celery import Task, current_app
from django.db import transaction
from kombu.exceptions import OperationalError
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)

DELIVER_BATCH = "sharing.fanout.tasks.deliver_batch"


def _task(name: str) -> Task:
    if name not in current_app.tasks:
        # A web process may not have imported the task's module yet (workers have).
        importlib.import_module(name.rpartition(".")[0])
    task: Task = current_app.tasks[name]
    return task


def _send(name: str, ids: list[int], queue: str, countdown: float | None) -> None:
    try:
        _task(name).apply_async((ids,), queue=queue, countdown=countdown)
    except (OperationalError, RedisError, ConnectionError, TimeoutError) as error:
        logger.warning("Could not enqueue deliveries %s (%s); the sweep will send them", ids, error)


def deliver_after_commit(ids: list[int], *, queue: str, countdown: float | None = None) -> None:
    """Send these deliveries, on the given queue, once the current transaction commits."""
    transaction.on_commit(partial(_send, DELIVER_BATCH, ids, queue, countdown))
