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

A report is the sum of what its submissions brought. An upload (STIX, CSV, MISP, TAXII,
free text) brings indicators and objects that stay with the report; the report's own text
(kind `form`) is read again at every publication and revision, and only what came from the
text before is replaced by what the text holds now. The report object always references
every object stored for the report, so nothing served is ever an orphan; an object the text
no longer yields gets a revoked version instead of vanishing.

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
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from accounts.audit import audit_record
from accounts.models import Membership, Organisation, OrganisationDomain, User
from portal.enqueue import enqueue_on_commit, send_now
from sharing.alerts.services.scanning import alert_scan_write
from sharing.attribution import attribution_default
from sharing.fanout.outbox import outbox_write
from sharing.lifecycle.stamping import Stamper, lifecycle_start
from sharing.models import Notification, Report, ReportIndicator, StixObject, Submission
from sharing.normalize.parsers import NormalisationError, ParsedIndicator
from sharing.normalize.parsers.stix import SCO_TYPES
from sharing.normalize.pipeline import (
    HOLD_CHECK_MAX_CHARS,
    Context,
    Prepared,
    bundle_objects,
    classify,
    findings,
    held_back_reasons,
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
from sharing.notices import author_notify
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
    anonymous: bool | None = None,
    insist_values: Collection[str] = (),
    publish_directly: bool = False,
) -> Submission:
    """Store an upload exactly as received and queue its normalisation.

    `anonymous` None follows the organisation's agreement (as a report typed in the browser
    does); True or False is the submitter's explicit choice. Raises ValidationError when
    the upload is larger than NORMALIZE_MAX_UPLOAD_BYTES or the kind is unknown. The task
    is sent only once the surrounding transaction commits.
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
            report_version=report.version if report is not None else None,
            anonymous=(not attribution_default(organisation)) if anonymous is None else anonymous,
            insist_values=sorted(set(insist_values)),
            publish_directly=publish_directly and kind != Submission.Kind.FORM,
        )
        _enqueue(submission)
    return submission


NORMALIZE_SUBMISSION = "sharing.tasks.normalize_submission"


def _enqueue(submission: Submission) -> None:
    enqueue_on_commit(NORMALIZE_SUBMISSION, submission.pk)


def submission_retry(*, submission: Submission, by: Membership | None) -> Submission:
    """Queue a failed (or stranded) submission again; it re-runs from its raw bytes.

    The submitting organisation's people and ISAC staff may retry; `by=None` is the portal.
    """
    if by is not None and not (
        by.organisation_id == submission.organisation_id or by.is_isac_staff
    ):
        raise PermissionDenied("Only the submitting organisation or ISAC staff can retry this.")
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
            by=by,
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
    """Record this run's failure, if the run still holds the submission; tell the author."""
    with transaction.atomic():
        updated = Submission.objects.filter(
            pk=submission.pk, status=Submission.Status.PROCESSING, attempts=submission.attempts
        ).update(
            status=Submission.Status.FAILED,
            error=message,
            error_details=details or [],
            progress=100,
            runs_lost=0,
            finished_at=timezone.now(),
        )
        if not updated:
            return False
        report = (
            Report.objects.select_for_update().filter(pk=submission.report_id).first()
            if submission.report_id
            else None
        )
        if report is not None and report.status == Report.Status.PUBLISHED:
            # The text could not be read again; recipients still hear of the report as it is.
            _announce_if_settled(report, submission)
        author_notify(
            user=submission.submitted_by,
            organisation=submission.organisation,
            event=Notification.Event.UPLOAD_FAILED,
            report=report,
            submission=submission,
            message=message,
        )
    return True


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
    publish = submission.publish_directly and submission.report_id is None
    raw_text = ""
    if publish:
        if prepared.tlp is None:
            raise NormalisationError(NO_TLP_TO_PUBLISH)
        if prepared.analysis is None:
            raw_text = bytes(raw)[: HOLD_CHECK_MAX_CHARS + 1].decode("utf-8", errors="replace")
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
        from_text = submission.kind == Submission.Kind.FORM
        origin = ReportIndicator.Origin.TEXT if from_text else ReportIndicator.Origin.UPLOAD
        # A retry replaces what an earlier, failed run of this submission stored.
        StixObject.objects.filter(submission=submission).delete()
        # Objects stored before this run may carry an older marking or source.
        had_objects = StixObject.objects.filter(report=report).exists()
        identity = source_identity(report=report, now=now)
        marking_id = TLP2_MARKING_IDS[TLP(report.tlp)]
        store = VersionStore(report=report, submission=submission, now=now)
        store.add([marking_definition(TLP(report.tlp)), identity])
        # Indicator objects carry their lifecycle (valid_until, confidence) from version one.
        stamper = Stamper(report=report, now=now)

        found: list[ParsedIndicator] = list(prepared.indicators)
        if prepared.scan is not None:
            store.add(
                stamper.stamp(
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
            )
        classified = classify(found, context=context)
        if prepared.scan is None:
            # A value an upload brought keeps the upload's objects; the text adds no copy.
            uploaded = _uploaded_values(report) if from_text else set()
            store.add(
                stamper.stamp(
                    indicator_objects(
                        [k for k in classified.kept if (k.type.value, k.value) not in uploaded],
                        report_key=str(report.uuid),
                        now=now,
                        identity_id=identity["id"],
                        marking_id=marking_id,
                    )
                )
            )
        if from_text:
            _revoke_dropped_text_objects(report, submission, set(store.refs), now)
        if had_objects:
            restamp_report_objects(report=report, submission=submission, now=now)
        refs = _report_refs(report)
        final = VersionStore(report=report, submission=submission, now=now)
        final.add([_report_object(report, prepared, identity["id"], marking_id, refs, now)])
        final.carry_forward()
        _link_indicators(report, classified, now, origin=origin)
        lifecycle_start(report=report, now=now)
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
        published = report.status == Report.Status.PUBLISHED
        Submission.objects.filter(pk=submission.pk).update(
            status=Submission.Status.PUBLISHED if published else Submission.Status.NEEDS_REVIEW,
            runs_lost=0,
            progress=100,
            report=report,
            error="",
            error_details=[],
            findings=findings(prepared, classified),
            finished_at=timezone.now(),
        )
        if published:
            _announce_if_settled(report, submission)
        if publish:
            _publish_directly(
                submission,
                report,
                held_back_reasons(prepared, classified, raw_text, context=context),
            )


NO_TLP_TO_PUBLISH = (
    "This upload carries no TLP marking, and a token that publishes directly shares only "
    "what its sender marked. Mark it and send it again: object_marking_refs to a TLP marking "
    "definition (STIX, TAXII), a tlp:green (or other) tag on the MISP event, a TLP: line in "
    "the text, or a tlp column in the CSV."
)


def _publish_directly(submission: Submission, report: Report, reasons: list[str]) -> None:
    """Publish an upload from a token that may publish, unless it must wait for a person;
    the submission's status says which, and why."""
    from sharing.services import report_publish_upload  # the report services import this

    if not reasons:
        why = report_publish_upload(report=report, submission=submission)
        if not why:
            return
        reasons = [why]
    held = " ".join(reasons)
    Submission.objects.filter(pk=submission.pk).update(held_reason=held)
    author_notify(
        user=submission.submitted_by,
        organisation=submission.organisation,
        event=Notification.Event.UPLOAD_READY,
        report=report,
        submission=submission,
        message=held,
    )


def _uploaded_values(report: Report) -> set[tuple[str, str]]:
    return set(
        ReportIndicator.objects.filter(
            report=report, origin=ReportIndicator.Origin.UPLOAD
        ).values_list("indicator__type", "indicator__value")
    )


_NOT_REFERENCED = ("marking-definition", "report")
# Observables have no versions and cannot be revoked; they stay referenced as they are.
_UNREVOCABLE = ("marking-definition", "report", "identity", *SCO_TYPES)


def _report_refs(report: Report) -> list[str]:
    """Every object stored for the report (its object_refs): the report object is the one
    place a reader walks from, so an object it does not list would be an orphan."""
    return list(
        StixObject.objects.filter(report=report)
        .exclude(type__in=_NOT_REFERENCED)
        .order_by("stix_id")
        .values_list("stix_id", flat=True)
        .distinct()
    )


def _latest_versions(objects: Any) -> dict[str, StixObject]:
    latest: dict[str, StixObject] = {}
    for row in objects.order_by("stix_id", "-modified", "-id"):
        latest.setdefault(row.stix_id, row)
    return latest


def _revoke_dropped_text_objects(
    report: Report, submission: Submission, produced: set[str], now: datetime
) -> None:
    """Objects an earlier reading of the text produced that this one did not: the text was
    changed on purpose, so they get a revoked version (STIX's way of saying "no longer
    stands"). Objects an upload brought are never touched here."""
    uploaded = set(
        StixObject.objects.filter(report=report)
        .exclude(submission__kind=Submission.Kind.FORM)
        .values_list("stix_id", flat=True)
    )
    earlier = (
        StixObject.objects.filter(report=report, submission__kind=Submission.Kind.FORM)
        .exclude(submission=submission)
        .exclude(type__in=_UNREVOCABLE)
        .exclude(stix_id__in=produced | uploaded)
    )
    revoked = [
        {**row.data, "revoked": True, "modified": timestamp(now)}
        for row in _latest_versions(earlier).values()
        if not row.data.get("revoked")
    ]
    if revoked:
        VersionStore(report=report, submission=submission, now=now).add(revoked)


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
    before = _latest_versions(StixObject.objects.filter(report=report, type="report"))
    if not restamp_report_objects(report=report, submission=submission, now=now):
        return
    identity = source_identity(report=report, now=now)
    marking_id = TLP2_MARKING_IDS[TLP(report.tlp)]
    previous = next(iter(before.values()), None)
    refs = _report_refs(report)
    if previous is None:
        updated = _report_object(report, Prepared(), identity["id"], marking_id, refs, now)
    else:
        updated = {
            **previous.data,
            "created_by_ref": identity["id"],
            "object_marking_refs": [marking_id],
            "object_refs": [ref for ref in refs if not ref.startswith("marking-definition--")]
            or [identity["id"]],
            "modified": timestamp(now),
        }
    VersionStore(report=report, submission=submission, now=now).add([updated])


def restamp_report_objects(*, report: Report, submission: Submission, now: datetime) -> bool:
    """Give every object of the report the report's current TLP marking and source identity.

    An object already carrying them is left as it is; a changed one gets a new version. The
    identity of a source the report no longer shows (the member, after the report was made
    anonymous) is deleted so it can never be served. Returns whether anything changed.
    """
    identity = source_identity(report=report, now=now)
    marking_id = TLP2_MARKING_IDS[TLP(report.tlp)]
    current = (
        StixObject.objects.filter(report=report, type="report").order_by("-modified", "-id").first()
    )
    if (
        current is not None
        and current.data.get("object_marking_refs") == [marking_id]
        and current.data.get("created_by_ref") == identity["id"]
        and not StixObject.objects.filter(report=report, type="identity")
        .exclude(stix_id=identity["id"])
        .exists()
    ):
        # Every writer leaves all objects marked as the report object says: nothing changed.
        return False
    former = StixObject.objects.filter(report=report, type="identity").exclude(
        stix_id=identity["id"]
    )
    former_ids = list(former.values_list("stix_id", flat=True).distinct())
    removed, _ = former.delete()
    changed: list[dict[str, Any]] = []
    latest = _latest_versions(
        StixObject.objects.filter(report=report).exclude(
            type__in=("marking-definition", "identity", "report")
        )
    )
    for row in latest.values():
        data = row.data
        updated = dict(data)
        if "object_marking_refs" in data:
            updated["object_marking_refs"] = [marking_id]
        if "created_by_ref" in data:
            updated["created_by_ref"] = identity["id"]
        if updated != data:
            if "modified" in updated:
                updated["modified"] = timestamp(now)
            changed.append(updated)
    if not changed and not removed:
        return False
    store = VersionStore(report=report, submission=submission, now=now)
    store.add([marking_definition(TLP(report.tlp)), identity, *changed])
    if former_ids:
        # Earlier versions naming the former source would still reveal it.
        StixObject.objects.filter(report=report, data__created_by_ref__in=former_ids).delete()
    return True


def _announce_if_settled(report: Report, submission: Submission) -> None:
    """Recipients of a published report are told once its content is final: when no other
    submission of it is still being normalised (that one will tell them)."""
    if not _still_normalising(report, exclude=submission):
        outbox_write(report=report, event="published" if report.version == 1 else "revised")
        alert_scan_write(report=report)


def _still_normalising(report: Report, *, exclude: Submission | None = None) -> bool:
    pending = Submission.objects.filter(
        report=report, status__in=[Submission.Status.QUEUED, Submission.Status.PROCESSING]
    )
    if exclude is not None:
        pending = pending.exclude(pk=exclude.pk)
    return pending.exists()


def report_announce(*, report: Report, event: str) -> None:
    """Tell recipients about a publication or revision once the report's content is final.

    Called by the report services in the transaction that publishes or revises. When a
    submission of the report still waits for normalisation, its run writes the deliveries
    (in its own transaction) instead, so no delivery carries a half-normalised report.
    """
    if not _still_normalising(report):
        outbox_write(report=report, event=event)
        alert_scan_write(report=report)
