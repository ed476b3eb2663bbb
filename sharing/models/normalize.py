"""Submissions and the STIX objects normalisation makes of them.

Minimal version of the models the normalisation change owns (same names and fields as its
contract), so the TAXII server and the API can be built and tested alongside it; that
change's version replaces this one.
"""

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone


class Submission(models.Model):
    """A raw upload (form, text, STIX, CSV, MISP or TAXII), kept unchanged, and its progress."""

    class Kind(models.TextChoices):
        FORM = "form", "Form"
        TEXT = "text", "Text"
        STIX = "stix", "STIX bundle"
        CSV = "csv", "CSV"
        MISP = "misp", "MISP event"
        TAXII = "taxii", "TAXII envelope"

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        PROCESSING = "processing", "Processing"
        NEEDS_REVIEW = "needs_review", "Needs review"
        PUBLISHED = "published", "Published"
        FAILED = "failed", "Failed"

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    organisation = models.ForeignKey(
        "accounts.Organisation", on_delete=models.PROTECT, related_name="submissions"
    )
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="submissions"
    )
    kind = models.CharField(max_length=10, choices=Kind.choices)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.QUEUED)
    raw = models.BinaryField()
    filename = models.CharField(max_length=255, blank=True)
    content_type = models.CharField(max_length=100, blank=True)
    anonymous = models.BooleanField(default=False)
    report = models.ForeignKey(
        "sharing.Report",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="submissions",
    )
    error = models.TextField(blank=True)
    details = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} submission {self.uuid}"


class StixObject(models.Model):
    """One version of one STIX 2.1 object, as served over TAXII and in bundles."""

    stix_id = models.CharField(max_length=100)
    type = models.CharField(max_length=50)
    spec_version = models.CharField(max_length=5, default="2.1")
    modified = models.DateTimeField()
    date_added = models.DateTimeField(default=timezone.now)
    data = models.JSONField()
    report = models.ForeignKey(
        "sharing.Report", on_delete=models.CASCADE, related_name="stix_objects"
    )
    submission = models.ForeignKey(
        Submission,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="stix_objects",
    )

    class Meta:
        indexes = [
            # TAXII paging walks (date_added, id); versions are looked up per object.
            models.Index(fields=["date_added", "id"], name="stixobject_paging"),
            models.Index(fields=["stix_id", "modified"], name="stixobject_versions"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["report", "stix_id", "modified"], name="stixobject_one_version_per_report"
            )
        ]

    def __str__(self) -> str:
        return f"{self.stix_id} @ {self.modified.isoformat()}"
