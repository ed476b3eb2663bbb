"""Comments under a report, and the curation thread between the ISAC and the author."""

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone


class Comment(models.Model):
    """A recipient's comment on a report, readable by everyone who can read the report at
    the version it was written under (a comment made for a narrower audience does not
    widen with a later version)."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    report = models.ForeignKey("sharing.Report", on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    organisation = models.ForeignKey(
        "accounts.Organisation", on_delete=models.PROTECT, related_name="+"
    )
    body = models.TextField()
    report_version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"Comment by {self.author} on {self.report}"


class CurationEvent(models.Model):
    """One step of ISAC review: submitted, a question, an answer, approved or rejected.

    Seen by the report's authors and ISAC staff only.
    """

    class Action(models.TextChoices):
        SUBMITTED = "submitted", "Submitted for review"
        QUESTION = "question", "Question from the ISAC"
        ANSWER = "answer", "Answer from the author"
        EDITED = "edited", "Edited by the ISAC"
        APPROVED = "approved", "Approved"
        REJECTED = "rejected", "Rejected"

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    report = models.ForeignKey(
        "sharing.Report", on_delete=models.CASCADE, related_name="curation_events"
    )
    action = models.CharField(max_length=20, choices=Action.choices)
    message = models.TextField(blank=True)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.get_action_display()}: {self.report}"


class ReviewRequirement(models.Model):
    """An organisation whose reports wait for ISAC review before publication.

    Set by the ISAC from the organisation's agreement; the REPORT_REVIEW_REQUIRED setting
    requires review for every organisation.
    """

    organisation = models.OneToOneField(
        "accounts.Organisation", on_delete=models.CASCADE, related_name="review_requirement"
    )
    required = models.BooleanField(default=True)
    reason = models.CharField(max_length=300, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.organisation}: review {'required' if self.required else 'not required'}"
