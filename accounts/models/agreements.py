"""The membership agreement: its versions, each organisation's acceptances, the reminders
sent before an acceptance expires."""

import uuid

from django.db import models
from django.utils import timezone

from accounts.models.members import Organisation, User


class AgreementVersion(models.Model):
    """A version of the membership agreement; immutable once published.

    The structured terms are what the code enforces; the Markdown body is what people read.
    """

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    title = models.CharField(max_length=200)
    version_label = models.CharField(max_length=50, unique=True)
    body_markdown = models.TextField()
    effective_date = models.DateField()
    renewal_period_days = models.PositiveIntegerField(default=365)
    may_forward_to_government = models.BooleanField(
        default=False,
        help_text=(
            "The ISAC may forward the member's CLEAR/GREEN reports, anonymised, "
            "to government partners."
        ),
    )
    may_show_source_name = models.BooleanField(
        default=False, help_text="Reports show the member as source by default (else anonymous)."
    )
    retention_days = models.PositiveIntegerField(default=730)
    acceptable_use = models.TextField()
    published_at = models.DateTimeField(null=True, blank=True)
    published_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    body_sha256 = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-effective_date", "-published_at"]

    def __str__(self) -> str:
        return f"{self.title} ({self.version_label})"

    @property
    def is_published(self) -> bool:
        return self.published_at is not None


class AgreementAcceptance(models.Model):
    """An organisation's acceptance of one agreement version: who, when, from where, what text.

    Rows are never edited except to record a revocation.
    """

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="acceptances"
    )
    version = models.ForeignKey(
        AgreementVersion, on_delete=models.PROTECT, related_name="acceptances"
    )
    accepted_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    typed_full_name = models.CharField(max_length=200)
    accepted_at = models.DateTimeField(default=timezone.now)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    text_sha256 = models.CharField(max_length=64)
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    revoke_reason = models.TextField(blank=True)

    class Meta:
        ordering = ["-accepted_at"]

    def __str__(self) -> str:
        return f"{self.organisation} accepted {self.version} on {self.accepted_at:%Y-%m-%d}"


class AgreementReminder(models.Model):
    """One reminder e-mail about one acceptance nearing expiry; the unique row makes it once only.

    The row is written before the e-mail is sent; `sent_at` is set in the same transaction
    as the sending, so a crash leaves the row for the sweep to send again.
    """

    acceptance = models.ForeignKey(
        AgreementAcceptance, on_delete=models.CASCADE, related_name="reminders"
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


class ForwardingConsent(models.Model):
    """An organisation's consent to the ISAC forwarding its reports to government partners,
    in the vocabulary of CISA's Automated Indicator Sharing (AIS).

    Chosen by the organisation's admins when they accept the agreement and changeable later;
    each choice is a new row tied to the acceptance in force when it was made, so the record
    shows which consent applied under which signed agreement. Only the newest row of the
    acceptance in force counts (accounts.consent): when the acceptance lapses, is revoked or
    a new agreement version must be accepted, the organisation consents to nothing until its
    admins accept again and choose again.
    """

    class Scope(models.TextChoices):
        # Ordered from the narrowest: a report may narrow its organisation's scope, never widen.
        NONE = "none", "Do not forward"
        USG = "usg", "US government only"
        EVERYONE = "everyone", "Everyone (the government may share it on)"

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="forwarding_consents"
    )
    acceptance = models.ForeignKey(
        AgreementAcceptance, on_delete=models.PROTECT, related_name="forwarding_consents"
    )
    scope = models.CharField(max_length=20, choices=Scope.choices, default=Scope.NONE)
    # AIS "CISA proprietary": the government keeps the information within its own handling
    # rules (CISA 2015 protections) and does not share it further as open information.
    cisa_proprietary = models.BooleanField(default=False)
    chosen_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    chosen_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-chosen_at", "-id"]
        indexes = [models.Index(fields=["organisation", "-chosen_at"])]

    def __str__(self) -> str:
        return f"{self.organisation}: {self.get_scope_display()} from {self.chosen_at:%Y-%m-%d}"
