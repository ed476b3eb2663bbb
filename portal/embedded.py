"""Embedded mode's background work, run in threads of the process that serves the portal.

With no REDIS_URL, tasks run in-process as soon as they are enqueued. That leaves what a
broker and `celery beat` do in production: running the periodic schedule
(CELERY_BEAT_SCHEDULE: digests and webhook retries through the fan-out sweep, the outbox
sweep, agreement reminders, invitation expiry, community refresh, the indicator revocation
sweep) and holding a task sent with a countdown until it is due. `start()` does both in
daemon threads, so they stop when the server does; `manage.py serve_embedded` (what
scripts/demo runs) calls it.
"""

import logging
import threading
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from celery.beat import EmbeddedService, Scheduler
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import connections
from django.utils import timezone

logger = logging.getLogger(__name__)

_running = threading.Event()
_beat: Any = None


def is_running() -> bool:
    return _running.is_set()


def start() -> None:
    """Run the beat schedule in a thread of this process; refused when a broker is configured."""
    global _beat
    from portal.celery import app

    if settings.REDIS_URL or not app.conf.task_always_eager:
        raise ImproperlyConfigured(
            "The embedded scheduler is for embedded mode only: with REDIS_URL set, run "
            "`celery -A portal worker` and `celery -A portal beat` instead."
        )
    if _running.is_set():
        return
    # A worker imports every task module (CELERY_IMPORTS, autodiscovery) before it takes
    # work; this process must too, or beat finds a task not imported yet (the peers poll)
    # unregistered, hands it to send_task, and eager mode drops it without running it.
    app.loader.import_default_modules()
    # The in-memory scheduler: a restart starts the intervals again, which the sweeps
    # tolerate, and nothing is written beside the database.
    _beat = EmbeddedService(app, thread=True, scheduler_cls=Scheduler)
    _beat.start()
    _running.set()


def stop() -> None:
    """Stop the scheduler thread (held delayed tasks are dropped; the sweeps find their rows)."""
    global _beat
    if _beat is not None:
        _beat.stop()
        _beat = None
    _running.clear()


def deferral(options: Mapping[str, Any]) -> float | None:
    """Seconds a task sent with these apply_async options should wait, or None for now."""
    countdown = options.get("countdown")
    eta = options.get("eta")
    if countdown:
        seconds = float(countdown)
    elif isinstance(eta, datetime):
        # A real broker compares an eta with the real time, not the portal's clock.
        seconds = (
            eta - datetime.now(tz=eta.tzinfo or timezone.get_current_timezone())
        ).total_seconds()
    else:
        return None
    return seconds if seconds > 0 else None


def run_later(delay: float, task_name: str, args: Sequence[Any], kwargs: Mapping[str, Any]) -> None:
    """Run a task in-process after `delay` seconds, as a worker would once it is due."""
    timer = threading.Timer(delay, _run_task, args=(task_name, list(args), dict(kwargs)))
    timer.daemon = True
    timer.name = f"delayed {task_name}"
    timer.start()


def _run_task(task_name: str, args: list[Any], kwargs: dict[str, Any]) -> None:
    from portal.celery import app

    try:
        app.tasks[task_name].apply(args, kwargs)
    except Exception:
        logger.exception("The delayed task %s failed.", task_name)
    finally:
        # This thread ends here; its database connections must not outlive it.
        connections.close_all()
