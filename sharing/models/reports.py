"""Reports: what members share, marked with a TLP and addressed to an audience."""

import uuid

from django.conf import settings
from django.contrib.postgres.search import SearchVectorField
from django.db import models
from django.utils import timezone

from accounts.models import ForwardingConsent
from sharing.tlp import TLP


class Report(models.Model):
    """A TLP-marked report posted by an analyst for their organisation.

    Who may see it is decided only by sharing.policy from its TLP and audience fields.
    """

    class Type(models.TextChoices):
        ALERT = "alert", "Alert"
        ADVISORY = "advisory", "Advisory"
        INCIDENT = "incident", "Incident"
        VULNERABILITY = "vulnerability", "Vulnerability"
        CAMPAIGN = "campaign", "Campaign"
        RFI = "rfi", "Request for information"

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        PENDING_REVIEW = "pending_review", "Waiting for ISAC review"
        PUBLISHED = "published", "Published"
        REJECTED = "rejected", "Rejected"
        WITHDRAWN = "withdrawn", "Withdrawn"

    class Confidence(models.IntegerChoices):
        # STIX 2.1 appendix A, "None / Low / Med / High" scale.
        NONE = 0, "None"
        LOW = 15, "Low"
        MEDIUM = 50, "Medium"
        HIGH = 85, "High"

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    title = models.CharField(max_length=300)
    summary = models.TextField(blank=True)
    body_markdown = models.TextField(blank=True)
    # Blank only while a draft: there is no silent default, the analyst must choose.
    tlp = models.CharField(max_length=20, choices=TLP.choices, blank=True)
    report_type = models.CharField(max_length=20, choices=Type.choices, default=Type.ALERT)
    confidence = models.PositiveSmallIntegerField(
        choices=Confidence.choices, default=Confidence.MEDIUM
    )
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.DRAFT)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="reports"
    )
    organisation = models.ForeignKey(
        "accounts.Organisation", on_delete=models.PROTECT, related_name="reports"
    )
    # False: the report shows the ISAC as its source; only ISAC staff see the real submitter.
    attributed = models.BooleanField(default=False)
    # The author allows release on the ISAC's public TLP:CLEAR feed (sharing.policy
    # .public_reports). Meaningful for TLP:CLEAR only; the services refuse it otherwise.
    public_release = models.BooleanField(default=False)
    sectors = models.ManyToManyField(
        "accounts.Sector", blank=True, related_name="affected_by_reports"
    )

    # The audience. Under CLEAR and GREEN "everyone" means every member in good standing;
    # RED admits only audience_people.
    audience_everyone = models.BooleanField(default=False)
    audience_sectors = models.ManyToManyField("accounts.Sector", blank=True, related_name="+")
    audience_organisations = models.ManyToManyField(
        "accounts.Organisation", blank=True, related_name="+"
    )
    audience_people = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="+")
    audience_groups = models.ManyToManyField(
        "accounts.TrustGroup", blank=True, related_name="addressed_reports"
    )

    # Government forwarding (AIS consent): blank follows the organisation's consent; a value
    # may only narrow it (sharing.government.consent), and for a report the ISAC wrote
    # itself it is the ISAC staff's choice. Proprietary handling may be added, never removed.
    government_consent = models.CharField(
        max_length=20,
        blank=True,
        choices=ForwardingConsent.Scope.choices,
    )
    government_cisa_proprietary = models.BooleanField(default=False)

    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)
    published_at = models.DateTimeField(null=True, blank=True, db_index=True)
    version = models.PositiveIntegerField(default=1)

    # What the analyst pasted into the indicators box; extraction reads it with the body.
    indicators_text = models.TextField(blank=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    withdrawn_reason = models.TextField(blank=True)
    # Full-text document (PostgreSQL): kept by sharing.search.report_search_refresh, which
    # the writing services call; GIN-indexed by migration 0009. Empty on SQLite.
    search_document = SearchVectorField(null=True, editable=False)

    class Meta:
        ordering = ["-published_at", "-created_at"]
        indexes = [
            # The dashboard's "your drafts": a handful of rows per author among all reports,
            # found without walking every report by its update time.
            models.Index(
                fields=["author", "-updated_at"],
                condition=models.Q(status__in=["draft", "rejected"]),
                name="report_drafts_by_author",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def tlp_label(self) -> TLP:
        return TLP(self.tlp)

    @property
    def is_published(self) -> bool:
        return self.status == self.Status.PUBLISHED

    @property
    def is_withdrawn(self) -> bool:
        return self.status == self.Status.WITHDRAWN
