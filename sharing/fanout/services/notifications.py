"""In-portal notifications, as their reader marks them."""

from django.db import transaction
from django.utils import timezone

from sharing.fanout.badge import unread_badge_forget
from sharing.models import Notification


@transaction.atomic
def notification_mark_read(*, notification: Notification) -> None:
    if notification.read_at is None:
        notification.read_at = timezone.now()
        notification.save(update_fields=["read_at"])
        unread_badge_forget(notification.membership_id)
