"""The header's unread badge: how many notifications a person has not read yet.

Every page shows it, so the count (through the policy: only notifications the person may
still open) is kept in the cache for a short while; marking one read or adding one forgets
it once the change commits, so the badge follows at the next page.
"""

import logging

from django.core.cache import cache
from django.db import transaction

from accounts.models import Membership
from portal.enqueue import REDIS_UNAVAILABLE
from sharing import policy

logger = logging.getLogger(__name__)

KEPT_SECONDS = 60


def _key(membership_id: int) -> str:
    return f"unread-badge:{membership_id}"


def unread_badge(viewer: Membership | None) -> int:
    """The viewer's unread notifications they may still open."""
    if viewer is None or viewer.pk is None:
        return 0
    try:
        kept = cache.get(_key(viewer.pk))
    except REDIS_UNAVAILABLE:
        return policy.unread_notification_count(viewer)
    # Kept with the membership's UUID: a cache that outlives its database (a new database
    # numbers its rows from 1 again) never answers for another membership.
    if isinstance(kept, tuple) and len(kept) == 2 and kept[0] == str(viewer.uuid):
        return int(kept[1])
    count = policy.unread_notification_count(viewer)
    try:
        cache.set(_key(viewer.pk), (str(viewer.uuid), count), KEPT_SECONDS)
    except REDIS_UNAVAILABLE:
        logger.warning("The cache is away: the unread badge is counted on every page.")
    return count


def unread_badge_forget(membership_id: int) -> None:
    """Count the person's badge afresh at their next page, once this change commits."""

    def forget() -> None:
        try:
            cache.delete(_key(membership_id))
        except REDIS_UNAVAILABLE:
            logger.warning("The cache is away: an unread badge may lag for a minute.")

    transaction.on_commit(forget)
