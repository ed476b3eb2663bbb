"""Requests for information: a member asks the membership a question, and members answer.

An RFI is shared material like a report: it carries a TLP label and an audience of the same
shape (everyone, sectors, organisations, trust groups, named people for TLP:RED), and who
may read it and its answers is decided only by sharing.policy (`visible_rfis`).
"""

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone

from sharing.tlp import TLP


class Rfi(models.Model):
    """A question asked by a member for their organisation, or anonymously (the ISAC is
    then shown as the asker to everyone but ISAC staff and the asker's organisation)."""

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        ANSWERED = "answered", "Answered"
        CLOSED = "closed", "Closed"

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    title = models.CharField(max_length=300)
    # Personal data is removed before it is stored (sharing.normalize's scrubbing).
    body_markdown = models.TextField(blank=True)
    tlp = models.CharField(max_length=20, choices=TLP.choices)
    status = models.CharField(
        max_length=20, choices=Status.choices, default=Status.OPEN, db_index=True
    )
    asked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="rfis"
    )
    organisation = models.ForeignKey(
        "accounts.Organisation", on_delete=models.PROTECT, related_name="rfis"
    )
    anonymous = models.BooleanField(default=False)
    due_on = models.DateField(null=True, blank=True)

    # The audience, with the meaning it has on a report (sharing.audience, docs/tlp.md).
    audience_everyone = models.BooleanField(default=False)
    audience_sectors = models.ManyToManyField("accounts.Sector", blank=True, related_name="+")
    audience_organisations = models.ManyToManyField(
        "accounts.Organisation", blank=True, related_name="+"
    )
    audience_people = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="+")
    audience_groups = models.ManyToManyField(
        "accounts.TrustGroup", blank=True, related_name="addressed_rfis"
    )

    # What the asker pasted, scrubbed; and the indicators found in it and in the question,
    # as [{"type": ..., "value": ...}] (refanged, warning-listed values left out).
    indicators_text = models.TextField(blank=True)
    indicators = models.JSONField(default=list, blank=True)

    # A duplicate closed in favour of another RFI; shown only to those who may read both.
    merged_into = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="duplicates"
    )
    closing_summary = models.TextField(blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = "request for information"
        verbose_name_plural = "requests for information"

    def __str__(self) -> str:
        return self.title

    @property
    def tlp_label(self) -> TLP:
        return TLP(self.tlp)

    @property
    def is_closed(self) -> bool:
        return self.status == self.Status.CLOSED

    @property
    def is_overdue(self) -> bool:
        return self.due_on is not None and not self.is_closed and self.due_on < timezone.localdate()


class RfiAnswer(models.Model):
    """One answer to an RFI: by a member (anonymously if they choose) or by ISAC staff for
    the ISAC. Readable exactly by those who may read its RFI."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    rfi = models.ForeignKey(Rfi, on_delete=models.CASCADE, related_name="answers")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="rfi_answers"
    )
    organisation = models.ForeignKey(
        "accounts.Organisation", on_delete=models.PROTECT, related_name="rfi_answers"
    )
    anonymous = models.BooleanField(default=False)
    # Written by ISAC staff in the ISAC's name: members see "the ISAC", not the analyst.
    for_isac = models.BooleanField(default=False)
    body_markdown = models.TextField()
    # The report this answer became (a draft at first); the report links back through
    # `report.rfi_answer`.
    report = models.OneToOneField(
        "sharing.Report",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="rfi_answer",
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"answer to {self.rfi_id}"
