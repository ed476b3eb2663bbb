"""Queue background work by task name, once the current transaction has committed.

Services name the task they want run instead of importing it: task modules import the
services they call, so a service importing its task back would make an import circle. The
row the task reads is committed before the message leaves (no phantom work); each kind of
work also has a periodic sweep for a message lost after commit.
"""

from typing import Any

from celery import Task
from django.db import transaction

from portal.celery import app


def task_named(name: str) -> Task:
    """The registered task with that name ("accounts.tasks.send_invitation_email")."""
    if name not in app.tasks:
        # Task modules register themselves when imported; autodiscovery imports them all.
        app.loader.import_default_modules()
    return app.tasks[name]


def enqueue_on_commit(name: str, *args: Any) -> None:
    """Run the task (in a worker, or in-process where tasks run eagerly) after commit."""
    task = task_named(name)  # an unknown name fails here, in the caller's transaction
    transaction.on_commit(lambda: task.delay(*args))
