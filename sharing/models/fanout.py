"""Feeds, subscriptions and the durable fan-out rows: deliveries, attempts, notifications.

A delivery is written in the same transaction that publishes, revises or withdraws a
report (see sharing.fanout.outbox); workers claim it with a conditional update, and every
try is an attempt row, so a crash loses nothing and a poison delivery stops after
`max_attempts`.
"""

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone

from sharing.models.partners import Partner
from sharing.tlp import TLP


class Feed(models.Model):
    """A saved filter over the reports a viewer may receive.

    Curated feeds and the built-in ones (one per sector, "everything I can see") belong to
    the ISAC; personal feeds belong to one membership and are seen only by it. A feed never
    widens what anyone may see: its reports are always `policy.forwardable(viewer, channel)`
    narrowed by these criteria.
    """

    class Kind(models.TextChoices):
        EVERYTHING = "everything", "Everything I can see"
        SECTOR = "sector", "Sector feed"
        CURATED = "curated", "Curated by the ISAC"
        PERSONAL = "personal", "Personal filter"

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    name = models.CharField(max_length=150)
    description = models.TextField(blank=True)
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.CURATED)
    owner = models.ForeignKey(
        "accounts.Membership",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="personal_feeds",
        help_text="Only for personal filters.",
    )
    # Criteria: an empty value means "any".
    sectors = models.ManyToManyField("accounts.Sector", blank=True, related_name="feeds")
    report_types = models.JSONField(default=list, blank=True)
    min_confidence = models.PositiveSmallIntegerField(default=0)
    tlp_min = models.CharField(max_length=20, choices=TLP.choices, default=TLP.CLEAR)
    tlp_max = models.CharField(max_length=20, choices=TLP.choices, default=TLP.RED)
    # Matches only reports that name their source: filtering on an anonymous report's
    # real source would reveal it.
    source_organisation = models.ForeignKey(
        "accounts.Organisation", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    trust_group = models.ForeignKey(
        "accounts.TrustGroup",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
        help_text="Only reports addressed to this trust group.",
    )
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["kind", "name"]

    def __str__(self) -> str:
        return self.name


class Subscription(models.Model):
    """Someone asks for a feed over one channel.

    `membership` is the person acting for their organisation who owns the subscription; with
    scope ORGANISATION it serves the whole organisation (org admins manage it) and access is
    still checked as that membership, so it never carries more than its owner may read.
    """

    class Scope(models.TextChoices):
        PERSON = "person", "Just me"
        ORGANISATION = "organisation", "My organisation"

    class ChannelKind(models.TextChoices):
        PORTAL = "portal", "In-portal notification"
        EMAIL = "email", "E-mail"
        WEBHOOK = "webhook", "Webhook"
        TAXII = "taxii", "TAXII collection (polled)"
        PEER = "peer", "Peer ISAC (TAXII push)"

    class EmailMode(models.TextChoices):
        IMMEDIATE = "immediate", "At once"
        DIGEST = "digest", "Daily digest"

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    feed = models.ForeignKey(Feed, on_delete=models.CASCADE, related_name="subscriptions")
    membership = models.ForeignKey(
        "accounts.Membership", on_delete=models.CASCADE, related_name="subscriptions"
    )
    scope = models.CharField(max_length=20, choices=Scope.choices, default=Scope.PERSON)
    channel = models.CharField(max_length=20, choices=ChannelKind.choices)
    name = models.CharField(max_length=150, blank=True)

    email_mode = models.CharField(
        max_length=20, choices=EmailMode.choices, default=EmailMode.IMMEDIATE
    )
    digest_hour = models.PositiveSmallIntegerField(default=8)
    time_zone = models.CharField(max_length=64, default="UTC")

    webhook_url = models.URLField(max_length=2000, blank=True)
    # A feed pushed to a peer ISAC (channel PEER): the ISAC admin who set it up is the
    # membership whose access is re-checked at send time.
    peer = models.ForeignKey(
        "sharing.Peer", null=True, blank=True, on_delete=models.CASCADE, related_name="pushes"
    )
    # Standard Webhooks signing keys, encrypted at rest (sharing.fanout.secrets). During a
    # rotation the previous key keeps signing too until `previous_secret_expires_at`.
    secret_encrypted = models.TextField(blank=True)
    previous_secret_encrypted = models.TextField(blank=True)
    previous_secret_expires_at = models.DateTimeField(null=True, blank=True)

    is_active = models.BooleanField(default=True)
    consecutive_failures = models.PositiveIntegerField(default=0)
    disabled_at = models.DateTimeField(null=True, blank=True)
    disabled_reason = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["feed", "is_active"])]

    def __str__(self) -> str:
        return self.name or f"{self.feed} by {self.get_channel_display()}"


class Delivery(models.Model):
    """One report version (and event) to one destination over its channel.

    The destination is a member's subscription or a partner outside the membership
    (sharing.models.partners; its channel is the partner's kind), never both. The unique
    keys make writing the outbox idempotent; `uuid` is the `webhook-id`, the same on every
    retry, so receivers can drop duplicates.
    """

    class Event(models.TextChoices):
        PUBLISHED = "published", "Published"
        REVISED = "revised", "Revised"
        WITHDRAWN = "withdrawn", "Withdrawn"

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        DELIVERED = "delivered", "Delivered"
        FAILED = "failed", "Failed"
        CANCELLED = "cancelled", "Cancelled"

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    report = models.ForeignKey(
        "sharing.Report", on_delete=models.CASCADE, related_name="deliveries"
    )
    report_version = models.PositiveIntegerField()
    event = models.CharField(max_length=20, choices=Event.choices)
    subscription = models.ForeignKey(
        Subscription, null=True, blank=True, on_delete=models.CASCADE, related_name="deliveries"
    )
    partner = models.ForeignKey(
        Partner,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="deliveries",
    )
    # A subscription's channel, or for a partner its kind.
    channel = models.CharField(
        max_length=20, choices=[*Subscription.ChannelKind.choices, *Partner.Kind.choices]
    )
    status = models.CharField(
        max_length=20, choices=Status.choices, default=Status.PENDING, db_index=True
    )
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    # Set while a worker holds the row; a worker that dies leaves it to expire and the sweep
    # re-enqueues the row.
    claimed_until = models.DateTimeField(null=True, blank=True)
    enqueued_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    delivered_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["report", "report_version", "event", "subscription", "channel"],
                name="one_delivery_per_report_version_subscription_channel",
            ),
            models.UniqueConstraint(
                fields=["report", "report_version", "event", "partner"],
                condition=models.Q(partner__isnull=False),
                name="one_delivery_per_report_version_partner",
            ),
            models.CheckConstraint(
                condition=models.Q(subscription__isnull=True, partner__isnull=False)
                | models.Q(subscription__isnull=False, partner__isnull=True),
                name="delivery_has_one_destination",
            ),
        ]
        indexes = [
            models.Index(
                fields=["next_attempt_at"],
                condition=models.Q(status="pending"),
                name="delivery_pending_due",
            )
        ]

    def __str__(self) -> str:
        destination = self.subscription_id or f"partner {self.partner_id}"
        return f"{self.event} {self.report_id} v{self.report_version} -> {destination}"

    @property
    def webhook_id(self) -> str:
        return f"msg_{self.uuid.hex}"

    @property
    def latency_seconds(self) -> float | None:
        if self.delivered_at is None:
            return None
        return (self.delivered_at - self.created_at).total_seconds()


class DeliveryAttempt(models.Model):
    """One try at sending a delivery: when, how long, what came back."""

    delivery = models.ForeignKey(Delivery, on_delete=models.CASCADE, related_name="attempt_rows")
    number = models.PositiveIntegerField()
    started_at = models.DateTimeField(default=timezone.now)
    duration_ms = models.PositiveIntegerField(default=0)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    ok = models.BooleanField(default=False)
    error = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["delivery_id", "number"]

    def __str__(self) -> str:
        return f"attempt {self.number} of {self.delivery_id}"


class Notification(models.Model):
    """An in-portal notice: a report was published, revised or withdrawn (from a
    subscription), or something happened to what the person submitted (a curator rejected
    their report or asked about it, their upload failed or waits for their review).

    It carries a link and the event, and for the author's notices the curator's words or the
    reason; a report is read through the policy, so a notification for a report the person
    can no longer see shows nothing. A failed upload may have no report at all.
    """

    class Event(models.TextChoices):
        PUBLISHED = "published", "Published"
        REVISED = "revised", "Revised"
        WITHDRAWN = "withdrawn", "Withdrawn"
        REJECTED = "rejected", "Rejected by the ISAC"
        QUESTION = "question", "Question from the ISAC"
        UPLOAD_FAILED = "upload_failed", "Upload failed"
        UPLOAD_READY = "upload_ready", "Upload waits for your review"

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    membership = models.ForeignKey(
        "accounts.Membership", on_delete=models.CASCADE, related_name="notifications"
    )
    report = models.ForeignKey(
        "sharing.Report",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="notifications",
    )
    submission = models.ForeignKey(
        "sharing.Submission",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="notifications",
    )
    delivery = models.OneToOneField(
        Delivery, null=True, blank=True, on_delete=models.SET_NULL, related_name="notification"
    )
    event = models.CharField(max_length=20, choices=Event.choices)
    message = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.event} {self.report_id} for {self.membership_id}"


class PrivateNetworkAllowance(models.Model):
    """A private address range an ISAC admin allows webhooks to reach (on-premises receivers).

    Without one, webhooks go only to public addresses.
    """

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    network = models.CharField(max_length=64, unique=True, help_text="CIDR, e.g. 10.20.0.0/16")
    note = models.CharField(max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["network"]

    def __str__(self) -> str:
        return self.network
