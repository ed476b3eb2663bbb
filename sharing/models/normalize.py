"""Submissions and what normalisation makes of them: deduplicated indicators and STIX objects.

Contracts other parts of the portal rely on:
- `Submission`: one raw upload, kept byte for byte, and the state of its normalisation.
- `Indicator`: one row per (type, normalised value) across all reports; `ReportIndicator`
  links it to each report carrying it, so "reported by N organisations" is one query.
- `StixObject`: one row per version of a STIX object; TAXII pages by (date_added, id).
"""

import uuid

from django.conf import settings
from django.db import models
from django.db.models.functions import Now
from django.utils import timezone


class Submission(models.Model):
    """Something a member submitted, stored raw, then normalised by a worker into STIX 2.1.

    `raw` is never modified; a retry re-runs normalisation from it. `report` is the report
    the output belongs to: given for the browser form (the draft exists already), created as
    a draft by the pipeline for a STIX/CSV/MISP upload without one.
    """

    class Kind(models.TextChoices):
        FORM = "form", "Browser form"
        TEXT = "text", "Free text"
        STIX = "stix", "STIX bundle"
        CSV = "csv", "CSV of indicators"
        MISP = "misp", "MISP event"
        TAXII = "taxii", "TAXII"

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
    anonymous = models.BooleanField(default=False)
    kind = models.CharField(max_length=10, choices=Kind.choices)
    raw = models.BinaryField()
    filename = models.CharField(max_length=255, blank=True)
    content_type = models.CharField(max_length=100, blank=True)
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)
    # Values the analyst asked to keep although they are on a warning list.
    insist_values = models.JSONField(default=list, blank=True)
    # Made with a token that may publish: published once normalised, unless held back.
    publish_directly = models.BooleanField(default=False)
    # Why an upload meant to be published directly waits for a person instead.
    held_reason = models.TextField(blank=True)

    status = models.CharField(
        max_length=20, choices=Status.choices, default=Status.QUEUED, db_index=True
    )
    progress = models.PositiveSmallIntegerField(default=0, help_text="percent")
    error = models.TextField(blank=True)
    # [{"line": 3, "field": "value", "message": "..."}]: where the input went wrong.
    error_details = models.JSONField(default=list, blank=True)
    # What the analyst should look at before publishing (warning-list hits, redactions ...).
    findings = models.JSONField(default=dict, blank=True)
    # Runs started so far; the number of the current run is also its claim: a run writes
    # its results only while `attempts` still equals the number it claimed.
    attempts = models.PositiveIntegerField(default=0)
    # Runs since the submission was last queued that ended without finishing (their worker
    # was killed); at NORMALIZE_MAX_ATTEMPTS the submission stops instead of running again.
    runs_lost = models.PositiveSmallIntegerField(default=0)
    # Renewed by the running worker every NORMALIZE_HEARTBEAT_SECONDS; a silent run is dead.
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    # When ISAC staff were told about this submission (it stopped or hit an internal error).
    staff_alerted_at = models.DateTimeField(null=True, blank=True)

    report = models.ForeignKey(
        "sharing.Report",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="submissions",
    )
    # The report version the submission's text belongs to (a revision's re-analysis), so its
    # STIX objects are read under that version's TLP and audience however late it runs.
    report_version = models.PositiveIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["status", "started_at"], name="submission_sweep_idx")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.filename or self.uuid}"


class Indicator(models.Model):
    """One observable value, stored once however many reports carry it.

    `stix_id` is deterministic: the STIX 2.1 SCO id for observables (ipv4-addr, url ...),
    a UUIDv5 for vulnerabilities and attack patterns.
    """

    type = models.CharField(max_length=20)
    value = models.CharField(max_length=2048)
    stix_id = models.CharField(max_length=100, unique=True)
    first_seen = models.DateTimeField()
    last_seen = models.DateTimeField()

    class Meta:
        ordering = ["type", "value"]
        constraints = [
            models.UniqueConstraint(fields=["type", "value"], name="indicator_type_value_unique")
        ]

    def __str__(self) -> str:
        return f"{self.type}:{self.value}"


class ReportIndicator(models.Model):
    """An indicator as one report carries it, with that report's context.

    `origin` says where the report got it: found in the report's text (the browser form,
    re-read at every publication and revision, so an edit of the text adds or removes it)
    or brought by an upload (STIX, CSV, MISP, TAXII or a free-text submission), which an
    edit of the text never removes.
    """

    class Origin(models.TextChoices):
        TEXT = "text", "Found in the report's text"
        UPLOAD = "upload", "Brought by an upload"

    # The unique (report, indicator) index serves lookups by report; no second index.
    report = models.ForeignKey(
        "sharing.Report",
        on_delete=models.CASCADE,
        related_name="report_indicators",
        db_index=False,
    )
    indicator = models.ForeignKey(
        Indicator, on_delete=models.CASCADE, related_name="report_indicators"
    )
    first_seen = models.DateTimeField()
    last_seen = models.DateTimeField()
    confidence = models.PositiveSmallIntegerField(null=True, blank=True)
    description = models.TextField(blank=True)
    on_warning_list = models.CharField(max_length=100, blank=True)
    kept_by_insistence = models.BooleanField(default=False)
    origin = models.CharField(max_length=10, choices=Origin.choices, default=Origin.TEXT)

    # Lifecycle (sharing.lifecycle): the score starts at `base_score` (the source's
    # confidence, else the type's rule) when `decay_from` is reached and decays by the
    # type's rule; a sighting moves `decay_from` to its time, a false-positive sighting
    # lowers `base_score`. `valid_until` is when the score falls below the rule's revoke
    # score (None: the type does not decay); `revoked_at` is set once it was ended. The
    # database defaults cover the bulk COPY/INSERT paths of normalisation.
    base_score = models.PositiveSmallIntegerField(null=True, blank=True)
    decay_from = models.DateTimeField(db_default=Now())
    valid_until = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["indicator__type", "indicator__value"]
        constraints = [
            models.UniqueConstraint(fields=["report", "indicator"], name="report_indicator_unique")
        ]
        indexes = [
            # The sweep's question: which live indicators are past their valid_until?
            models.Index(
                fields=["valid_until"],
                name="reportindicator_due_idx",
                condition=models.Q(revoked_at__isnull=True),
            )
        ]

    def __str__(self) -> str:
        return f"{self.indicator} in {self.report_id}"


class StixObject(models.Model):
    """One version of one STIX 2.1 object (`modified` is its version).

    `date_added` is server time of storage; (date_added, id) orders rows uniquely for
    TAXII paging. The JSON is served as stored.

    `is_newest` is True only when no newer version of the STIX id exists in any report; it
    is set by the writer (sharing.normalize.store) under the lock of the id's
    `StixVersionHead` row. False means "a newer version may exist": TAXII then asks, among
    the versions the caller may see, whether one is newer. So a page needs that question
    only for the few rows that were ever superseded, and a row written any other way (or a
    newest version deleted later) is merely checked, never served wrongly.
    """

    stix_id = models.CharField(max_length=100)
    type = models.CharField(max_length=64)
    spec_version = models.CharField(max_length=10, default="2.1")
    modified = models.DateTimeField()
    date_added = models.DateTimeField(default=timezone.now)
    data = models.JSONField()
    is_newest = models.BooleanField(default=False)
    # The unique (report, stix_id, modified) index serves lookups by report.
    report = models.ForeignKey(
        "sharing.Report", on_delete=models.CASCADE, related_name="stix_objects", db_index=False
    )
    submission = models.ForeignKey(
        Submission, on_delete=models.SET_NULL, null=True, blank=True, related_name="stix_objects"
    )
    # The latest report version this object version is part of: readable only by those who
    # may read that version (sharing.policy.visible_stix_objects).
    report_version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["date_added", "id"]
        indexes = [
            models.Index(fields=["date_added", "id"], name="stixobject_paging_idx"),
            models.Index(fields=["stix_id", "modified"], name="stixobject_version_idx"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["report", "stix_id", "modified"], name="stixobject_version_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.stix_id} @ {self.modified.isoformat()}"


class StixVersionHead(models.Model):
    """The newest `modified` of each STIX id across all reports.

    Writers upsert it before storing versions: the row lock serialises two transactions
    writing versions of the same id (a marking definition, the ISAC identity, a shared
    observable), so each knows exactly which stored versions its own supersede. It only ever
    grows; deleting a version does not lower it (the rows then fall back to the exact check).
    """

    stix_id = models.CharField(max_length=100, primary_key=True)
    modified = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.stix_id} newest @ {self.modified.isoformat()}"
