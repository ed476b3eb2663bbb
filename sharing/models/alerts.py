"""Alerts that touch a member, and how members acknowledge reports.

- `WatchedAsset`: what an organisation registers as its own (domains, address ranges, ASNs,
  brand names, products); its admins keep the list.
- `AlertScan`: the durable row written when a report version's content is final; a worker
  claims it, matches the report against every watch list and marks it done; a sweep
  re-sends scans a lost message left behind.
- `Alert`: one per organisation and report version that matched, with one `AlertMatch` per
  (asset, kind, matched value), so running a scan twice raises nothing twice.
- `ReportAcknowledgement`: an organisation's read receipt and impact answer for a report.
"""

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone


class WatchedAsset(models.Model):
    """Something an organisation owns or runs, watched for in published material."""

    class Kind(models.TextChoices):
        DOMAIN = "domain", "Domain"
        NETWORK = "network", "IP range"
        ASN = "asn", "Autonomous system"
        BRAND = "brand", "Brand name"
        PRODUCT = "product", "Product or vendor"

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    organisation = models.ForeignKey(
        "accounts.Organisation", on_delete=models.CASCADE, related_name="watched_assets"
    )
    kind = models.CharField(max_length=10, choices=Kind.choices)
    # Normalised: a lower-case domain, a CIDR network, "AS64500", a brand or product name.
    value = models.CharField(max_length=255)
    # For products: the CPE 2.3 name where known (cpe:2.3:o:fortinet:fortios:*:...).
    cpe = models.CharField(max_length=255, blank=True)
    note = models.CharField(max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["kind", "value"]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "kind", "value"], name="watched_asset_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.value}"


class AlertScan(models.Model):
    """A report version waiting to be matched against the watch lists."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        DONE = "done", "Done"

    report = models.ForeignKey(
        "sharing.Report", on_delete=models.CASCADE, related_name="alert_scans", db_index=False
    )
    report_version = models.PositiveIntegerField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    # Set while a worker holds the scan; a worker that dies leaves it to expire.
    claimed_until = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)
    alerts_raised = models.PositiveIntegerField(default=0)
    last_error = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["report", "report_version"], name="one_alert_scan_per_report_version"
            )
        ]
        indexes = [
            models.Index(
                fields=["created_at"],
                condition=models.Q(status="pending"),
                name="alert_scan_pending",
            )
        ]

    def __str__(self) -> str:
        return f"scan of {self.report_id} v{self.report_version}"


class Alert(models.Model):
    """A published report version that touches an organisation, and why."""

    class State(models.TextChoices):
        NEW = "new", "New"
        ACKNOWLEDGED = "acknowledged", "Acknowledged"
        DISMISSED = "dismissed", "Dismissed"

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    organisation = models.ForeignKey(
        "accounts.Organisation", on_delete=models.CASCADE, related_name="alerts"
    )
    report = models.ForeignKey("sharing.Report", on_delete=models.CASCADE, related_name="alerts")
    report_version = models.PositiveIntegerField()
    state = models.CharField(max_length=20, choices=State.choices, default=State.NEW)
    created_at = models.DateTimeField(default=timezone.now)
    handled_at = models.DateTimeField(null=True, blank=True)
    handled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # E-mails to the organisation's subscribers: sent once; the sweep sends any left over.
    emailed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "report", "report_version"],
                name="one_alert_per_organisation_report_version",
            )
        ]
        indexes = [
            models.Index(
                fields=["organisation", "state", "-created_at"], name="alert_org_state_idx"
            )
        ]

    def __str__(self) -> str:
        return f"alert for {self.organisation_id} on {self.report_id} v{self.report_version}"


class AlertMatch(models.Model):
    """One reason an alert was raised: an asset of the organisation and what matched it."""

    alert = models.ForeignKey(Alert, on_delete=models.CASCADE, related_name="matches")
    asset = models.ForeignKey(
        WatchedAsset, null=True, on_delete=models.SET_NULL, related_name="matches"
    )
    kind = models.CharField(max_length=20)
    matched = models.CharField(max_length=2048)
    reason = models.TextField()

    class Meta:
        ordering = ["kind", "matched"]
        constraints = [
            models.UniqueConstraint(
                fields=["alert", "asset", "kind", "matched"], name="alert_match_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind}: {self.matched}"


class ReportAcknowledgement(models.Model):
    """An organisation has read a report and, once it knows, says whether it is affected.

    One row per organisation and report. Other members never learn which organisation
    answered what; ISAC staff and the report's own organisation see counts
    (sharing.policy.acknowledgement_counts).
    """

    class Impact(models.TextChoices):
        AFFECTED = "affected", "Affected"
        NOT_AFFECTED = "not_affected", "Not affected"
        INVESTIGATING = "investigating", "Investigating"

    report = models.ForeignKey(
        "sharing.Report", on_delete=models.CASCADE, related_name="acknowledgements"
    )
    organisation = models.ForeignKey(
        "accounts.Organisation", on_delete=models.CASCADE, related_name="acknowledgements"
    )
    read_at = models.DateTimeField(default=timezone.now)
    read_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    impact = models.CharField(max_length=20, choices=Impact.choices, blank=True)
    impact_at = models.DateTimeField(null=True, blank=True)
    impact_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-read_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["report", "organisation"], name="one_acknowledgement_per_organisation"
            )
        ]

    def __str__(self) -> str:
        return f"{self.organisation_id} on {self.report_id}: {self.impact or 'read'}"
