"""Sightings: "we saw this too", from one organisation, about a report or one of its indicators."""

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone


class Sighting(models.Model):
    """A member organisation saw what a report describes.

    Anonymous sightings count like any other but never show who reported them, except to
    ISAC staff. Readable by those who may read the report at the version it was reported
    under (`report_version`).
    """

    class Kind(models.TextChoices):
        SEEN = "seen", "Seen"
        FALSE_POSITIVE = "false_positive", "False positive"

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    # "Seen" restarts an indicator's decay clock; "false positive" lowers its score.
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.SEEN)
    report = models.ForeignKey("sharing.Report", on_delete=models.CASCADE, related_name="sightings")
    # Blank: the report as a whole was seen; else one of its indicators.
    indicator = models.ForeignKey(
        "sharing.Indicator",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="sightings",
    )
    organisation = models.ForeignKey(
        "accounts.Organisation", on_delete=models.PROTECT, related_name="sightings"
    )
    reported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    seen_on = models.DateField(null=True, blank=True)
    note = models.TextField(blank=True)
    anonymous = models.BooleanField(default=False)
    report_version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"Sighting of {self.report} by {self.organisation}"
