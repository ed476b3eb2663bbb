"""Start-up checks of the fan-out settings that only make sense together."""

import math
from typing import Any

from django.conf import settings
from django.core import checks


@checks.register(checks.Tags.compatibility)
def batch_ends_before_the_time_limit(**kwargs: Any) -> list[checks.CheckMessage]:
    """A batch whose every receiver is slow must still end before Celery's soft time limit,
    or the task is stopped mid-batch and the sends in flight are repeated later."""
    rounds = math.ceil(settings.FANOUT_BATCH_SIZE / settings.FANOUT_SEND_THREADS)
    longest = rounds * settings.FANOUT_WEBHOOK_TIMEOUT
    if longest < settings.CELERY_TASK_SOFT_TIME_LIMIT:
        return []
    return [
        checks.Error(
            f"A batch of {settings.FANOUT_BATCH_SIZE} webhooks sent by "
            f"{settings.FANOUT_SEND_THREADS} threads may take {longest:g} s when every "
            f"receiver is slow, not less than CELERY_TASK_SOFT_TIME_LIMIT "
            f"({settings.CELERY_TASK_SOFT_TIME_LIMIT} s).",
            hint="Lower FANOUT_BATCH_SIZE, raise FANOUT_SEND_THREADS or raise "
            "CELERY_TASK_SOFT_TIME_LIMIT.",
            id="sharing.E101",
        )
    ]
