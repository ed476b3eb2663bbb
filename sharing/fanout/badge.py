"""The header's unread badge: how many notifications a person has not read yet.

Every page shows it, so the count (through the policy: only notifications the person may
still open) is kept in the cache for a short while; marking one read or adding one forgets
it once the change commits, so the badge follows at the next page.
"""

from django.db import transaction

from accounts.models import Membership
from portal.kept import forget_for_membership, kept_for_membership
from sharing import policy

KEPT_SECONDS = 60
KIND = "unread-badge"


def unread_badge(viewer: Membership | None) -> int:
    """The viewer's unread notifications they may still open."""
    if viewer is None or viewer.pk is None:
        return 0
    return kept_for_membership(
        KIND, viewer, KEPT_SECONDS, lambda: policy.unread_notification_count(viewer)
    )


def unread_badge_forget(membership_id: int) -> None:
    """Count the person's badge afresh at their next page, once this change commits."""
    transaction.on_commit(lambda: forget_for_membership(KIND, membership_id))
