"""Invitations to join an organisation, and the reminders sent before an acceptance expires."""

import uuid

from django.db import models
from django.utils import timezone


class Invitation(models.Model):
    """An e-mailed, expiring, single-use link that makes its holder a member of one organisation.

    Only a hash of the link's secret is stored; the secret is generated when the e-mail is
    sent, so it never travels through the task queue.
    """

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    organisation = models.ForeignKey(
        "accounts.Organisation", on_delete=models.CASCADE, related_name="invitations"
    )
    email = models.EmailField()
    role = models.CharField(max_length=20)
    invited_by = models.ForeignKey(
        "accounts.User", null=True, on_delete=models.SET_NULL, related_name="+"
    )
    token_sha256 = models.CharField(max_length=64, blank=True, db_index=True)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    sent_at = models.DateTimeField(null=True, blank=True)
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(
        "accounts.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"Invitation of {self.email} to {self.organisation}"

    @property
    def is_expired(self) -> bool:
        return self.expires_at <= timezone.now()

    @property
    def is_open(self) -> bool:
        return self.accepted_at is None and self.revoked_at is None and not self.is_expired


class AgreementReminder(models.Model):
    """One reminder e-mail about one acceptance nearing expiry; the unique row makes it once only.

    The row is written before the e-mail is sent; `sent_at` is set in the same transaction
    as the sending, so a crash leaves the row for the sweep to send again.
    """

    acceptance = models.ForeignKey(
        "accounts.AgreementAcceptance", on_delete=models.CASCADE, related_name="reminders"
    )
    days_before = models.PositiveSmallIntegerField()
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["acceptance", "days_before"], name="one_reminder_per_window"
            )
        ]

    def __str__(self) -> str:
        return f"{self.days_before}-day reminder for {self.acceptance}"
