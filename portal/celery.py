"""The Celery app; configuration lives in portal/settings.py under the CELERY_ prefix."""

import os

from celery import Celery
from celery.signals import worker_init

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")

app = Celery("portal")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@worker_init.connect
def refuse_to_start_with_bad_settings(**kwargs: object) -> None:
    """A worker runs the system checks before taking work: settings that would make it
    repeat or lose work (sharing.E001 ...) stop it here, with the message."""
    from django.core.checks import run_checks

    serious = [message for message in run_checks() if message.is_serious()]
    if serious:
        # SystemExit, not an error: Celery logs errors raised by signal handlers and goes on.
        raise SystemExit("\n".join(str(message) for message in serious))
