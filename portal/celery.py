"""The Celery app; configuration lives in portal/settings.py under the CELERY_ prefix."""

import os
from typing import Any

from celery import Celery
from celery.contrib.django.task import DjangoTask
from celery.signals import worker_init
from celery.utils import uuid

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")


class PortalTask(DjangoTask):  # type: ignore[misc]  # Celery ships no types
    """Celery's Django task (delay_on_commit...) that waits for its countdown in embedded mode.

    Tasks run in-process there (task_always_eager), and Celery runs an eager task at once
    whatever its countdown: a webhook retry meant for ten seconds later would find nothing due
    and be lost until the sweep. While the embedded runner is up (portal/embedded.py) it holds
    such a task and runs it when it is due.
    """

    def apply_async(self, args: Any = None, kwargs: Any = None, *more: Any, **options: Any) -> Any:
        from portal import embedded

        delay = embedded.deferral(options) if self.app.conf.task_always_eager else None
        if delay is not None and embedded.is_running():
            task_id = options.get("task_id") or uuid()
            embedded.run_later(delay, self.name, args or (), kwargs or {})
            return self.AsyncResult(task_id)
        return super().apply_async(args, kwargs, *more, **options)


app = Celery("portal", task_cls=PortalTask)
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


def refuse_to_start_with_bad_settings(**kwargs: object) -> None:
    """A worker runs the system checks before taking work: settings that would make it
    repeat or lose work (sharing.E001 ...) stop it here, with the message."""
    from django.core.checks import run_checks

    serious = [message for message in run_checks() if message.is_serious()]
    if serious:
        # SystemExit, not an error: Celery logs errors raised by signal handlers and goes on.
        raise SystemExit("\n".join(str(message) for message in serious))


worker_init.connect(refuse_to_start_with_bad_settings)
