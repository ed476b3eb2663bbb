"""Which policy channel a subscription's delivery travels on, and when it is due. Pure."""

import random
from collections.abc import Sequence
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from sharing.policy import Channel
from sharing.tlp import TLP

# can_forward answers for a published report; the probe keeps these rules in the policy.
_EMAIL_CONTENT_TLPS = (TLP.CLEAR, TLP.GREEN)


def policy_channel(subscription_channel: str, tlp: TLP) -> Channel | None:
    """The policy channel a delivery uses; None for channels that are polled, not pushed.

    E-mail carries the content of CLEAR and GREEN reports and only a notice with a link
    for AMBER and AMBER+STRICT; whether even that is allowed is `policy.can_forward`'s call.
    """
    if subscription_channel == "portal":
        return Channel.PORTAL
    if subscription_channel == "webhook":
        return Channel.WEBHOOK
    if subscription_channel == "email":
        return Channel.EMAIL_CONTENT if tlp in _EMAIL_CONTENT_TLPS else Channel.EMAIL_NOTICE
    return None


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
