"""Answers and rendered HTML kept for a while in the shared cache (Redis).

Three kinds. Single answers under a key that names what they answer (`kept`, `keep`,
`keep_first`: the public feed's and the MISP feeds' answers). Answers kept per membership
for what every page shows and a minute's lag costs nothing (the header's unread badge, the
report list's Source choices): each is stored with the membership's UUID and used only
when it matches, so a cache that outlives its database (a new database numbers its rows
from 1 again) never answers for another membership. And HTML fragments kept under keys
that name everything they show (a dashboard's charts, the report list's rows), so a kept
fragment is what rendering it now would give.

When the cache is away, everything is computed or rendered on every request instead.
"""

import logging
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from django.core.cache import cache
from django.utils.safestring import SafeString, mark_safe

from accounts.models import Membership
from portal.enqueue import REDIS_UNAVAILABLE

logger = logging.getLogger(__name__)

T = TypeVar("T")


def _read(keys: list[str]) -> dict[str, Any]:
    try:
        return cache.get_many(keys)
    except REDIS_UNAVAILABLE:
        logger.warning("The cache is away: computing %s afresh.", keys[0].split(":")[0])
        return {}


def _keep(values: dict[str, Any], seconds: int) -> None:
    try:
        cache.set_many(values, seconds)
    except REDIS_UNAVAILABLE:
        logger.warning("The cache is away: %s not kept.", next(iter(values)).split(":")[0])


def kept(key: str) -> Any:
    """What the cache holds under the key; None when it holds nothing or is away."""
    return _read([key]).get(key)


def keep(key: str, value: Any, seconds: int) -> None:
    _keep({key: value}, seconds)


def keep_first(key: str, value: Any, seconds: int) -> Any:
    """Store the value unless the key holds one already; return whichever is stored (the
    value given, when the cache is away)."""
    try:
        cache.add(key, value, seconds)
        stored = cache.get(key)
    except REDIS_UNAVAILABLE:
        logger.warning("The cache is away: %s not kept.", key.split(":")[0])
        return value
    return value if stored is None else stored


def _key(kind: str, membership_id: int) -> str:
    return f"{kind}:{membership_id}"


def kept_for_membership(
    kind: str, membership: Membership, seconds: int, compute: Callable[[], T]
) -> T:
    """The kept answer of this kind for the membership, or `compute()` kept for `seconds`."""
    key = _key(kind, membership.pk)
    owner = str(membership.uuid)
    stored = kept(key)
    if isinstance(stored, tuple) and len(stored) == 2 and stored[0] == owner:
        value: T = stored[1]
        return value
    value = compute()
    _keep({key: (owner, value)}, seconds)
    return value


def forget_for_membership(kind: str, membership_id: int) -> None:
    """Compute the membership's answer of this kind afresh next time."""
    try:
        cache.delete(_key(kind, membership_id))
    except REDIS_UNAVAILABLE:
        logger.warning("The cache is away: %s may lag for a minute.", kind)


def kept_fragments(builds: Mapping[str, Callable[[], str]], seconds: int) -> list[SafeString]:
    """The HTML each build renders, in order, from one read of the cache for them all; the
    ones not kept yet are rendered and kept for `seconds`. A key must name everything its
    fragment shows. Every build renders through the template engine (values escaped)."""
    if not builds:
        return []
    kept = _read(list(builds))
    drawn = {key: build() for key, build in builds.items() if not isinstance(kept.get(key), str)}
    if drawn:
        _keep(drawn, seconds)
    return [mark_safe(drawn[key] if key in drawn else kept[key]) for key in builds]  # noqa: S308


def kept_fragment(key: str, build: Callable[[], str], seconds: int) -> SafeString:
    """`kept_fragments` for one fragment."""
    return kept_fragments({key: build}, seconds)[0]
