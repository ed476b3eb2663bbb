"""Partners outside the membership that the ISAC pushes reports to over TAXII 2.1, and the
record of every forward.

A partner is a destination of the delivery outbox like a member's subscription: its
deliveries are `Delivery` rows with `partner` set (and no subscription), written in the
publishing transaction, claimed, re-checked at send time and retried like webhooks. Each
kind of partner has its transport (sharing/fanout/transports/), registered under the
kind's value, which is also the delivery's channel.
"""

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone

from sharing.taxii.client import AUTH_KIND_LABELS, AuthKind


class Partner(models.Model):
    """A TAXII 2.1 collection of an organisation outside the membership (a government
    agency), configured by ISAC admins.

    Credentials are kept encrypted (sharing.fanout.secrets); a client certificate is public
    and kept as it is, its key encrypted. A new partner is off until an ISAC admin has
    looked at the dry run and turned it on.
    """

    class Kind(models.TextChoices):
        GOVERNMENT = "government", "Government partner"

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.GOVERNMENT)
    name = models.CharField(max_length=150)
    # Consent "US government only" reaches only partners that are US government agencies.
    is_us_government = models.BooleanField(default=True)
    api_root = models.URLField(max_length=2000, help_text="e.g. https://taxii.example.gov/api1/")
    collection_id = models.CharField(max_length=200)
    auth_kind = models.CharField(
        max_length=20,
        choices=[(kind.value, label) for kind, label in AUTH_KIND_LABELS.items()],
        default=AuthKind.BASIC.value,
    )
    username = models.CharField(max_length=200, blank=True)
    password_encrypted = models.TextField(blank=True)
    token_encrypted = models.TextField(blank=True)
    certificate_pem = models.TextField(blank=True)
    key_encrypted = models.TextField(blank=True)
    ca_certificate_pem = models.TextField(
        blank=True, help_text="The authority that signed the server's certificate, if private."
    )
    is_active = models.BooleanField(default=False)
    consecutive_failures = models.PositiveIntegerField(default=0)
    last_error = models.CharField(max_length=500, blank=True)
    last_success_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Forward(models.Model):
    """The record of one report version (or its withdrawal) that left for a partner: which
    consent applied and under which acceptance, what left (SHA-256 of the exact bundle),
    when, and what the partner's TAXII server said.

    Written when the partner accepted the bundle, in the transaction that marks the delivery
    delivered, so there is one record per delivery whatever crashed in between. Kept for
    the organisation's proof of good-faith sharing (it sees and exports its own).
    """

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    delivery = models.OneToOneField(
        "sharing.Delivery", on_delete=models.PROTECT, related_name="forward"
    )
    partner = models.ForeignKey(Partner, on_delete=models.PROTECT, related_name="forwards")
    report = models.ForeignKey("sharing.Report", on_delete=models.PROTECT, related_name="forwards")
    report_version = models.PositiveIntegerField()
    event = models.CharField(max_length=20)
    organisation = models.ForeignKey(
        "accounts.Organisation", on_delete=models.PROTECT, related_name="forwards"
    )
    consent = models.CharField(max_length=20)
    cisa_proprietary = models.BooleanField(default=False)
    # The organisation's consent row and the acceptance it was chosen under; empty for a
    # report the ISAC wrote itself (its staff chose on the report).
    consent_choice = models.ForeignKey(
        "accounts.ForwardingConsent",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="forwards",
    )
    acceptance = models.ForeignKey(
        "accounts.AgreementAcceptance",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="forwards",
    )
    bundle_id = models.CharField(max_length=100)
    bundle_sha256 = models.CharField(max_length=64)
    object_count = models.PositiveIntegerField(default=0)
    sent_at = models.DateTimeField(default=timezone.now)
    taxii_status_id = models.CharField(max_length=200, blank=True)
    taxii_status = models.CharField(max_length=20, blank=True)
    success_count = models.PositiveIntegerField(default=0)
    failure_count = models.PositiveIntegerField(default=0)
    pending_count = models.PositiveIntegerField(default=0)
    status_detail = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-sent_at", "-id"]
        indexes = [models.Index(fields=["organisation", "-sent_at"])]

    def __str__(self) -> str:
        return f"{self.report_id} v{self.report_version} -> {self.partner_id}"
