"""When a delivery is due: retry backoff and digest times. Pure."""

import random
from collections.abc import Sequence
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo


def retry_delay(attempt: int, *, delays: Sequence[float], jitter: float = 0.2) -> float:
    """Seconds to wait after the attempt-th failure: exponential steps with +/- jitter."""
    base = delays[min(max(attempt, 1), len(delays)) - 1]
    return max(0.0, base * (1 + random.uniform(-jitter, jitter)))  # noqa: S311 (not crypto)


def next_digest_at(now: datetime, *, hour: int, time_zone: str) -> datetime:
    """The next time the clock shows `hour`:00 in the subscriber's time zone (aware, UTC)."""
    zone = ZoneInfo(time_zone)
    local_now = now.astimezone(zone)
    candidate = datetime.combine(local_now.date(), time(hour=hour), tzinfo=zone)
    if candidate <= local_now:
        candidate = datetime.combine(
            local_now.date() + timedelta(days=1), time(hour=hour), tzinfo=zone
        )
    return candidate.astimezone(ZoneInfo("UTC"))
