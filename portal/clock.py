"""A clock the embedded demo can be told to read, so time-bound behaviour shows without waiting.

PORTAL_CLOCK_FILE names a file holding an ISO 8601 time with its offset, for example
`2026-12-04T06:59:50-06:00`. While the file exists, the portal's time starts from that value
at the moment the file was last written and runs on at the normal pace: a daily digest due
at 07:00 in Chicago goes out ten seconds after the file above is written. Writing the file
again moves the clock; removing it brings back the real time.

The portal reads the time only through `django.utils.timezone.now` (and `localtime` and
`localdate`, which call it), so that is the one function replaced. The settings honour the
variable only in embedded mode with DEBUG on: a deployment never runs on a moved clock.
Celery's own timing (the beat intervals, countdowns) keeps the real time, as a broker would.
"""

import logging
import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone

logger = logging.getLogger(__name__)
_real_now = timezone.now


class FileClock:
    """`now()` from the time written in a file plus the real time elapsed since it was written."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._stamp: int | None = None
        self._offset = timedelta()

    def _read_offset(self) -> timedelta:
        try:
            stat = os.stat(self.path)
        except FileNotFoundError:
            self._stamp = None
            return timedelta()
        if stat.st_mtime_ns != self._stamp:
            text = self.path.read_text().strip()
            try:
                told = datetime.fromisoformat(text)
            except ValueError:
                raise ImproperlyConfigured(
                    f"PORTAL_CLOCK_FILE {self.path} holds {text!r}, not an ISO 8601 time "
                    "such as 2026-12-04T06:59:50-06:00."
                ) from None
            if told.tzinfo is None:
                raise ImproperlyConfigured(
                    f"PORTAL_CLOCK_FILE {self.path} holds {text!r}: add the offset (+00:00)."
                )
            written = datetime.fromtimestamp(stat.st_mtime_ns / 1e9, tz=UTC)
            self._offset = told - written
            self._stamp = stat.st_mtime_ns
        return self._offset

    def now(self) -> datetime:
        try:
            return _real_now() + self._read_offset()
        except ImproperlyConfigured as problem:
            # Mid-run, a half-written or mistyped file keeps the clock where it was.
            logger.warning("%s The clock keeps its previous time.", problem)
            return _real_now() + self._offset


def install(path: Path) -> FileClock:
    """Make the portal read its time from `path` (see the module docstring)."""
    clock = FileClock(path)
    clock._read_offset()  # a malformed file stops start-up, naming the variable
    timezone.now = clock.now
    return clock
