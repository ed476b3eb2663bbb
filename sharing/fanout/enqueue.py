"""Sending fan-out work to the workers, after commit, naming the tasks by string.

Services enqueue through here and the tasks module imports the services, never the other
way round, so there is no import circle between them.
"""

from functools import partial

from celery import Task, current_app
from django.db import transaction

DELIVER_BATCH = "sharing.fanout.tasks.deliver_batch"


def _task(name: str) -> Task:
    if name not in current_app.tasks:
        # A web process has not imported the task modules yet (workers have).
        current_app.loader.import_default_modules()
    task: Task = current_app.tasks[name]
    return task


def deliver_after_commit(ids: list[int], *, queue: str, countdown: float | None = None) -> None:
    """Send these deliveries, on the given queue, once the current transaction commits."""
    task = _task(DELIVER_BATCH)
    transaction.on_commit(partial(task.apply_async, (ids,), queue=queue, countdown=countdown))
