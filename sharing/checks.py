"""System checks for settings that are only wrong together."""

from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Error, register


@register()
def normalize_stale_after_exceeds_hard_time_limit(
    app_configs: Any = None, **kwargs: Any
) -> list[CheckMessage]:
    """A run is taken over once it is older than NORMALIZE_STALE_AFTER_SECONDS; a live run
    may last up to the hard time limit, so a shorter stale time would run it twice."""
    stale = settings.NORMALIZE_STALE_AFTER_SECONDS
    hard = settings.CELERY_TASK_TIME_LIMIT
    if stale > hard:
        return []
    return [
        Error(
            f"NORMALIZE_STALE_AFTER_SECONDS ({stale}) must exceed the hard task time limit "
            f"({hard} s: CELERY_TASK_SOFT_TIME_LIMIT + 60), or a submission still being "
            "normalised would be normalised a second time.",
            hint=f"Unset NORMALIZE_STALE_AFTER_SECONDS (default {hard + 60}) or raise it.",
            id="sharing.E001",
        )
    ]
