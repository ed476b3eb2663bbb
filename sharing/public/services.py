"""Turning the public feed on and off."""

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

from accounts.audit import audit_record
from accounts.models import Membership
from accounts.policy import is_isac_admin
from sharing.models import PublicFeed


@transaction.atomic
def public_feed_set(*, enabled: bool, by: Membership | None) -> PublicFeed:
    """An ISAC admin turns the public feed on or off (`by=None`: the system, for the demo).

    Audited with the state before and after; setting the state it already has changes
    nothing and records nothing.
    """
    if by is not None and not is_isac_admin(by):
        raise PermissionDenied("Only ISAC admins turn the public feed on or off.")
    feed, _ = PublicFeed.objects.select_for_update().get_or_create(pk=1)
    if feed.enabled == enabled:
        return feed
    before = feed.enabled
    feed.enabled = enabled
    feed.updated_by = by.user if by is not None else None
    feed.updated_at = timezone.now()
    feed.save()
    audit_record(
        action="public_feed.enable" if enabled else "public_feed.disable",
        obj=feed,
        by=by,
        before={"enabled": before},
        after={"enabled": enabled},
    )
    return feed
