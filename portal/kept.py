"""Answers kept for a short while per membership in the shared cache (Redis).

For what every page shows and a minute's lag costs nothing: the header's unread badge, the
report list's Source choices. Each answer is stored with the membership's UUID and used only
when it matches, so a cache that outlives its database (a new database numbers its rows from
1 again) never answers for another membership. When the cache is away, the answer is
computed on every request instead.
"""

import logging
from collections.abc import Callable
from typing import TypeVar

from django.core.cache import cache

from accounts.models import Membership
from portal.enqueue import REDIS_UNAVAILABLE

logger = logging.getLogger(__name__)

T = TypeVar("T")


def _key(kind: str, membership_id: int) -> str:
    return f"{kind}:{membership_id}"


def kept_for_membership(
    kind: str, membership: Membership, seconds: int, compute: Callable[[], T]
) -> T:
    """The kept answer of this kind for the membership, or `compute()` kept for `seconds`."""
    key = _key(kind, membership.pk)
    owner = str(membership.uuid)
    try:
        kept = cache.get(key)
    except REDIS_UNAVAILABLE:
        return compute()
    if isinstance(kept, tuple) and len(kept) == 2 and kept[0] == owner:
        value: T = kept[1]
        return value
    value = compute()
    try:
        cache.set(key, (owner, value), seconds)
    except REDIS_UNAVAILABLE:
        logger.warning("The cache is away: %s is computed on every page.", kind)
    return value


def forget_for_membership(kind: str, membership_id: int) -> None:
    """Compute the membership's answer of this kind afresh next time."""
    try:
        cache.delete(_key(kind, membership_id))
    except REDIS_UNAVAILABLE:
        logger.warning("The cache is away: %s may lag for a minute.", kind)
