"""The ISAC's public TLP:CLEAR feed: whether it is on."""

from django.conf import settings
from django.db import models
from django.utils import timezone


class PublicFeed(models.Model):
    """One row: whether the ISAC publishes its public feed (Atom/RSS, indicator lists and
    an unauthenticated TAXII collection of released TLP:CLEAR reports).

    Off until an ISAC admin turns it on (sharing.public.services.public_feed_set); with no
    row the feed is off. Which reports it carries is decided by sharing.policy alone.
    """

    enabled = models.BooleanField(default=False)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=models.Q(pk=1), name="public_feed_single_row")
        ]

    def __str__(self) -> str:
        return f"Public feed ({'on' if self.enabled else 'off'})"
