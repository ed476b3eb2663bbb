"""Writes for normalisation: store a submission, process it, retry it, mark it published.

Contract for the report and API code:
- `submission_create(...)` stores the raw upload and enqueues `normalize_submission` after
  the transaction commits;
- the worker calls `submission_process(submission_id=...)`, which ends the submission in
  `needs_review` (indicators and STIX objects attached to `submission.report`, a draft
  report created for uploads without one) or `failed` with a reason and details;
- `submission_retry(...)` re-runs a failed submission from its raw bytes;
- after the analyst confirms, the report services publish and call
  `submission_mark_published(submission=...)`.

A worker that dies mid-task leaves nothing half-written: all output of one run is written
in one transaction, and output of an earlier run of the same submission is replaced. Which
run may write is decided in `runs.py` (claims, heartbeats, the limit on lost runs).
"""

import hashlib
import logging
from collections.abc import Collection, Iterable, Iterator
from datetime import datetime, timedelta
from typing import Any

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from accounts.audit import audit_record
from accounts.models import Organisation, OrganisationDomain, User
from portal.enqueue import enqueue_on_commit, send_now
from sharing.models import Report, StixObject, Submission
from sharing.normalize.parsers import NormalisationError, ParsedIndicator
from sharing.normalize.pipeline import (
    Context,
    Prepared,
    bundle_objects,
    classify,
    findings,
    indicator_objects,
    prepare,
)
from sharing.normalize.runs import (
    ClaimLost,
    claimable_q,
    heartbeat,
    staff_alert_submission,
)
from sharing.normalize.runs import submission_claim as submission_claim
from sharing.normalize.store import VersionStore
from sharing.normalize.store import link_indicators as _link_indicators
from sharing.search import report_search_refresh
from sharing.stix.markings import TLP2_MARKING_IDS, marking_definition
from sharing.stix.objects import timestamp
from sharing.stix.report import report_object, source_identity
from sharing.tlp import TLP

logger = logging.getLogger(__name__)

# A report created from an upload with no TLP marking gets the narrow default; the analyst
# widens it deliberately before publishing.
DEFAULT_TLP = TLP.AMBER


def submission_create(
    *,
    organisation: Organisation,
    submitted_by: User,
    kind: str,
    raw: bytes | bytearray,
    filename: str = "",
    content_type: str = "",
    report: Report | None = None,
    anonymous: bool = False,
    insist_values: Collection[str] = (),
) -> Submission:
    """Store an upload exactly as received and queue its normalisation.

    Raises ValidationError when the upload is larger than NORMALIZE_MAX_UPLOAD_BYTES or the
    kind is unknown. The task is sent only once the surrounding transaction commits.
    """
    limit = settings.NORMALIZE_MAX_UPLOAD_BYTES
    if len(raw) > limit:
        raise ValidationError(
            f"The file is {len(raw) / 1048576:.1f} MB; the limit is {limit / 1048576:.0f} MB.",
            code="too_large",
        )
    if kind not in Submission.Kind.values:
        raise ValidationError(f"Unknown kind of submission {kind!r}.", code="invalid_kind")
    with transaction.atomic():
        submission = Submission.objects.create(
            organisation=organisation,
            submitted_by=submitted_by,
            kind=kind,
            raw=raw,
            filename=filename[:255],
            content_type=content_type[:100],
            size=len(raw),
            sha256=hashlib.sha256(raw).hexdigest(),
            report=report,
            anonymous=anonymous,
            insist_values=sorted(set(insist_values)),
        )
        _enqueue(submission)
    return submission


NORMALIZE_SUBMISSION = "sharing.tasks.normalize_submission"


def _enqueue(submission: Submission) -> None:
    enqueue_on_commit(NORMALIZE_SUBMISSION, submission.pk)


def submission_retry(*, submission: Submission, by: User) -> Submission:
    """Queue a failed (or stranded) submission again; it re-runs from its raw bytes."""
    with transaction.atomic():
        updated = Submission.objects.filter(
            pk=submission.pk,
            status__in=[Submission.Status.FAILED, Submission.Status.QUEUED],
        ).update(
            status=Submission.Status.QUEUED,
            progress=0,
            error="",
            error_details=[],
            runs_lost=0,
            staff_alerted_at=None,
        )
        if not updated:
            raise ValidationError(
                "Only a failed or queued submission can be retried.", code="not_retryable"
            )
        submission.refresh_from_db()
        audit_record(
            action="submission.retry",
            obj=submission,
            actor=by,
            organisation=submission.organisation,
        )
        _enqueue(submission)
    return submission


def submission_mark_published(*, submission: Submission) -> Submission:
    """Record that the report of a reviewed submission was published.

    When the analyst changed the report's TLP or attribution during review, the stored STIX
    objects get new versions carrying the final marking and source.
    """
    with transaction.atomic():
        locked = Submission.objects.select_for_update().get(pk=submission.pk)
        if locked.status not in (Submission.Status.NEEDS_REVIEW, Submission.Status.PUBLISHED):
            raise ValidationError(
                "Only a submission that was reviewed can be published.", code="not_reviewed"
            )
        if locked.report_id is not None:
            _restamp(locked)
        locked.status = Submission.Status.PUBLISHED
        locked.finished_at = timezone.now()
        locked.save(update_fields=["status", "finished_at", "updated_at"])
    return locked


def submission_process(*, submission_id: int) -> Submission | None:
    """Normalise one submission (the worker's entry point); never raises for bad input."""
    submission = submission_claim(submission_id=submission_id)
    if submission is None:
        return None
    with heartbeat(submission):
        try:
            _process(submission)
        except ClaimLost:
            logger.warning(
                "run %s of submission %s was taken over; its results are discarded",
                submission.attempts,
                submission.uuid,
            )
        except NormalisationError as exc:
            _fail(submission, exc.message, exc.details)
        except SoftTimeLimitExceeded:
            _fail(submission, "Processing took too long and was stopped. Split the submission.")
        except Exception:
            logger.exception("normalising submission %s failed", submission.uuid)
            if _fail(
                submission,
                "The portal could not process this submission because of an internal error. "
                "ISAC staff have been told; you can retry it.",
            ):
                staff_alert_submission(submission_id=submission.pk)
    submission.refresh_from_db()
    return submission


def submission_sweep() -> int:
    """Queue again what was lost: runs that are over without finishing (their worker died)
    and 'queued' rows whose message never arrived (the broker was down at enqueue)."""
    now = timezone.now()
    stale = now - timedelta(seconds=settings.NORMALIZE_STALE_AFTER_SECONDS)
    ids = list(
        Submission.objects.filter(
            (claimable_q(now) & Q(status=Submission.Status.PROCESSING))
            | Q(status=Submission.Status.QUEUED, created_at__lt=stale, updated_at__lt=stale)
        ).values_list("pk", flat=True)[:500]
    )
    for submission_id in ids:
        send_now(NORMALIZE_SUBMISSION, submission_id)
    return len(ids)


def _fail(
    submission: Submission, message: str, details: list[dict[str, Any]] | None = None
) -> bool:
    """Record this run's failure, if the run still holds the submission."""
    return bool(
        Submission.objects.filter(
            pk=submission.pk, status=Submission.Status.PROCESSING, attempts=submission.attempts
        ).update(
            status=Submission.Status.FAILED,
            error=message,
            error_details=details or [],
            progress=100,
            runs_lost=0,
            finished_at=timezone.now(),
        )
    )


def _progress(submission: Submission, percent: int) -> None:
    Submission.objects.filter(
        pk=submission.pk, status=Submission.Status.PROCESSING, attempts=submission.attempts
    ).update(progress=percent)


def context_for(submission: Submission) -> Context:
    rows = list(OrganisationDomain.objects.values_list("organisation_id", "domain"))
    return Context(
        own_domains={domain.lower() for org, domain in rows if org == submission.organisation_id},
        member_domains={domain.lower() for _, domain in rows},
        allow_documentation_ranges=settings.NORMALIZE_ALLOW_DOCUMENTATION_RANGES,
        insist_values=frozenset(submission.insist_values or ()),
        max_bytes=settings.NORMALIZE_MAX_UPLOAD_BYTES,
        max_line_chars=settings.NORMALIZE_MAX_LINE_CHARS,
        max_json_depth=settings.NORMALIZE_MAX_JSON_DEPTH,
    )


def _process(submission: Submission) -> None:
    context = context_for(submission)
    raw = Submission.objects.filter(pk=submission.pk).values_list("raw", flat=True).get()
    prepared = prepare(submission.kind, bytes(raw), context=context)
    del raw
    _progress(submission, 30)
    with transaction.atomic():
        if connection.vendor == "postgresql":
            # Safe to skip waiting for the flush: if the server loses this commit, the
            # submission is still "processing" and the sweep runs it again.
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL synchronous_commit = off")
        report = _report_for(submission, prepared)
        now = timezone.now()
        # A retry replaces what an earlier, failed run of this submission stored.
        StixObject.objects.filter(submission=submission).delete()
        identity = source_identity(report=report, anonymous=submission.anonymous, now=now)
        marking_id = TLP2_MARKING_IDS[TLP(report.tlp)]
        store = VersionStore(report=report, submission=submission, now=now)
        store.add([marking_definition(TLP(report.tlp)), identity])

        found: list[ParsedIndicator] = list(prepared.indicators)
        if prepared.scan is not None:
            store.add(
                _collect(
                    bundle_objects(
                        prepared,
                        identity_id=identity["id"],
                        marking_id=marking_id,
                        context=context,
                    ),
                    found,
                )
            )
        classified = classify(found, context=context)
        if prepared.scan is None:
            store.add(
                indicator_objects(
                    classified.kept,
                    report_key=str(report.uuid),
                    now=now,
                    identity_id=identity["id"],
                    marking_id=marking_id,
                )
            )
        store.add([_report_object(report, prepared, identity["id"], marking_id, store.refs, now)])
        _link_indicators(report, classified, now)
        # The extracted values, refanged, join the report's search document.
        report_search_refresh(report_ids=[report.pk])
        # The one place a run's results become final: only while it still holds the claim.
        # The row lock makes a sweep that would take the run over wait for this commit.
        if (
            not Submission.objects.select_for_update()
            .filter(
                pk=submission.pk,
                status=Submission.Status.PROCESSING,
                attempts=submission.attempts,
            )
            .exists()
        ):
            raise ClaimLost
        Submission.objects.filter(pk=submission.pk).update(
            status=Submission.Status.NEEDS_REVIEW,
            runs_lost=0,
            progress=100,
            report=report,
            error="",
            error_details=[],
            findings=findings(prepared, classified),
            finished_at=timezone.now(),
        )


def _collect(
    pairs: Iterable[tuple[dict[str, Any], list[ParsedIndicator]]], found: list[ParsedIndicator]
) -> Iterator[dict[str, Any]]:
    for obj, indicators in pairs:
        found.extend(indicators)
        yield obj


def _report_for(submission: Submission, prepared: Prepared) -> Report:
    """The submission's report, or a new draft owned by the submitter for an upload."""
    if submission.report_id is not None:
        report = Report.objects.select_for_update().get(pk=submission.report_id)
        if prepared.tlp is not None and TLP(prepared.tlp).rank > TLP(report.tlp).rank:
            raise NormalisationError(
                f"The upload is marked {TLP(prepared.tlp).label}, narrower than the report's "
                f"{TLP(report.tlp).label}. Choose {TLP(prepared.tlp).label} for the report first."
            )
        return report
    title = prepared.title or submission.filename or f"{submission.get_kind_display()} upload"
    return Report.objects.create(
        title=title[:300],
        summary=prepared.description[:5000],
        tlp=prepared.tlp or DEFAULT_TLP,
        author=submission.submitted_by,
        organisation=submission.organisation,
        attributed=not submission.anonymous,
        status=Report.Status.DRAFT,
    )


def _report_object(
    report: Report,
    prepared: Prepared,
    identity_id: str,
    marking_id: str,
    refs: list[str],
    now: datetime,
) -> dict[str, Any]:
    description = prepared.description if prepared.analysis is not None else report.summary
    return report_object(
        report=report,
        identity_id=identity_id,
        marking_id=marking_id,
        refs=refs,
        created=now,
        modified=now,
        description=description,
        external_references=prepared.references,
    )


def _restamp(submission: Submission) -> None:
    """New versions of the report's objects when TLP or attribution changed in review."""
    if submission.report is None:
        return
    report = Report.objects.select_related("organisation").get(pk=submission.report.pk)
    now = timezone.now()
    identity = source_identity(report=report, anonymous=submission.anonymous, now=now)
    marking_id = TLP2_MARKING_IDS[TLP(report.tlp)]
    latest: dict[str, StixObject] = {}
    for row in StixObject.objects.filter(report=report).order_by("stix_id", "-modified"):
        latest.setdefault(row.stix_id, row)
    changed: list[dict[str, Any]] = []
    for row in latest.values():
        data = row.data
        if data["type"] == "marking-definition":
            continue
        if data["type"] == "identity":
            continue
        updated = dict(data)
        if "object_marking_refs" in data:
            updated["object_marking_refs"] = [marking_id]
        if "created_by_ref" in data:
            updated["created_by_ref"] = identity["id"]
        if updated != data:
            if "modified" in updated:
                updated["modified"] = timestamp(now)
            changed.append(updated)
    if not changed:
        return
    store = VersionStore(report=report, submission=submission, now=now)
    store.add([marking_definition(TLP(report.tlp)), identity, *changed])
