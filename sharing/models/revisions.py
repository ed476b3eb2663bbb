"""Versions of a published report: each publication and revision is kept for diffs."""

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone


class ReportRevision(models.Model):
    """A frozen copy of what recipients could read at one version of a report.

    Written by report_publish (version 1) and report_revise (each later version); never
    edited afterwards.
    """

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    report = models.ForeignKey("sharing.Report", on_delete=models.CASCADE, related_name="revisions")
    number = models.PositiveIntegerField()
    title = models.CharField(max_length=300)
    summary = models.TextField(blank=True)
    body_markdown = models.TextField(blank=True)
    indicators_text = models.TextField(blank=True)
    tlp = models.CharField(max_length=20)
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
