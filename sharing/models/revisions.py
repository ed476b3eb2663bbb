"""Versions of a published report: each publication and revision is kept for diffs."""

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone


class ReportRevision(models.Model):
    """A frozen copy of what recipients could read at one version of a report.

    Written by report_publish (version 1) and report_revise (each later version); its text
    is never edited afterwards. It keeps the TLP and audience it was shared under: an earlier
    version stays readable only by those allowed under *its* label and audience
    (sharing.policy.visible_revisions), so a later, wider version never opens the older text.
    While a version is the latest, an audience change of the report is copied onto it.
    """

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    report = models.ForeignKey("sharing.Report", on_delete=models.CASCADE, related_name="revisions")
    number = models.PositiveIntegerField()
    title = models.CharField(max_length=300)
    summary = models.TextField(blank=True)
    body_markdown = models.TextField(blank=True)
    indicators_text = models.TextField(blank=True)
    tlp = models.CharField(max_length=20)
    # Whether this version was released on the public feed: an earlier version kept off it
    # stays off it when a later one is released (sharing.policy.public_stix_objects).
    public_release = models.BooleanField(default=False)
    audience_everyone = models.BooleanField(default=False)
    audience_sectors = models.ManyToManyField("accounts.Sector", blank=True, related_name="+")
    audience_organisations = models.ManyToManyField(
        "accounts.Organisation", blank=True, related_name="+"
    )
    audience_groups = models.ManyToManyField("accounts.TrustGroup", blank=True, related_name="+")
    audience_people = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="+")
    note = models.CharField(max_length=300, blank=True, help_text="What changed, in a line.")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-number"]
        constraints = [
            models.UniqueConstraint(fields=["report", "number"], name="one_revision_per_number")
        ]

    def __str__(self) -> str:
        return f"{self.title} v{self.number}"
