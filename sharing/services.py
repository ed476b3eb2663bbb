"""Every change to a report goes through these functions: drafting, submitting, curation,
publication, revision, withdrawal, attachments, comments and sightings.

Each checks the access policy itself as well (a view that forgot to ask would still be
refused), writes in one transaction, and tells recipients through the fan-out outbox in
that same transaction.
"""

import hashlib
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone

from accounts.audit import audit_record
from accounts.models import (
    Membership,
    Organisation,
    Sector,
    TrustGroup,
    User,
)
from accounts.policy import administers, require_isac_admin
from sharing import policy
from sharing.attribution import attribution_default, review_required
from sharing.audience import (
    report_audience_change,
    report_audience_widen,
    revision_audience_sync,
    unaddressable_group_problems,
)
from sharing.fanout.outbox import outbox_write
from sharing.government.consent import narrowing_problem
from sharing.lifecycle.services import sighting_applied
from sharing.models import (
    Attachment,
    Comment,
    CurationEvent,
    Indicator,
    Notification,
    PublishingDefaults,
    Report,
    ReportRevision,
    ReviewRequirement,
    RfiAnswer,
    Sighting,
    Submission,
)
from sharing.normalize.services import (
    report_announce,
    submission_create,
    submission_mark_published,
)
from sharing.notices import author_notify
from sharing.preview import preview_findings, redact_report, report_text
from sharing.search import report_search_refresh
from sharing.tlp import TLP
from sharing.uploads import HEAD_BYTES, check_upload


@dataclass
class ReportContent:
    """What the analyst typed into the report form."""

    title: str = ""
    summary: str = ""
    body_markdown: str = ""
    tlp: str = ""
    report_type: str = Report.Type.ALERT
    confidence: int = Report.Confidence.MEDIUM
    attributed: bool | None = None  # None: follow the organisation's agreement
    # Release on the ISAC's public feed: the author's choice, for TLP:CLEAR only.
    public_release: bool = False
    indicators_text: str = ""
    sectors: Sequence[Sector] = ()
    audience_everyone: bool = False
    audience_sectors: Sequence[Sector] = ()
    audience_organisations: Sequence[Organisation] = ()
    audience_people: Sequence[User] = ()
    audience_groups: Sequence[TrustGroup] = field(default_factory=tuple)
    # Government forwarding: blank follows the organisation's consent; a value narrows it.
    government_consent: str = ""
    government_cisa_proprietary: bool = False


EDITABLE_STATUSES = (Report.Status.DRAFT, Report.Status.REJECTED)


def _apply_content(report: Report, content: ReportContent) -> None:
    """Everything but the TLP and audience, which only _apply_audience changes."""
    report.title = content.title.strip()[:300]
    report.summary = content.summary
    report.body_markdown = content.body_markdown
    report.report_type = content.report_type
    report.confidence = content.confidence
    report.indicators_text = content.indicators_text
    report.public_release = content.public_release
    report.government_consent = content.government_consent
    report.government_cisa_proprietary = content.government_cisa_proprietary
    if content.attributed is not None:
        report.attributed = content.attributed


def _apply_audience(
    report: Report, content: ReportContent, *, by: Membership, widen_reason: str = ""
) -> Report:
    """Set the TLP and audience.

    A draft (or a rejected report, back with its author) takes whatever was typed, even
    half-chosen: it is checked when the analyst confirms the preview. Once submitted, the
    audience changes only through sharing.audience, which refuses an accidental widening.
    """
    report.sectors.set(list(content.sectors))
    if report.status in EDITABLE_STATUSES:
        report.tlp = content.tlp
        report.audience_everyone = content.audience_everyone
        report.save(update_fields=["tlp", "audience_everyone", "updated_at"])
        report.audience_sectors.set(list(content.audience_sectors))
        report.audience_organisations.set(list(content.audience_organisations))
        report.audience_groups.set(list(content.audience_groups))
        report.audience_people.set(list(content.audience_people))
        return report
    if content.tlp not in TLP.values:
        raise ValidationError("Choose a TLP label: there is no default.")
    audience = {
        "report": report,
        "by": by,
        "tlp": content.tlp,
        "everyone": content.audience_everyone,
        "sectors": content.audience_sectors,
        "organisations": content.audience_organisations,
        "groups": content.audience_groups,
        "people": content.audience_people,
    }
    if widen_reason.strip():
        return report_audience_widen(reason=widen_reason, **audience)  # type: ignore[arg-type]
    return report_audience_change(**audience)  # type: ignore[arg-type]


def _require_edit(by: Membership, report: Report) -> None:
    if not policy.can_edit(by, report):
        raise PermissionDenied("You cannot change this report.")


@transaction.atomic
def report_create_draft(*, by: Membership, content: ReportContent) -> Report:
    """A new draft, saved as typed: nothing is checked but that the person may post."""
    if not policy.can_post(by):
        raise PermissionDenied("Your organisation cannot share until it is in good standing.")
    if content.attributed is None:
        content.attributed = attribution_default(by.organisation)
    report = Report(author=by.user, organisation=by.organisation, status=Report.Status.DRAFT)
    _apply_content(report, content)
    report.save()
    report_search_refresh(report_ids=[report.pk])
    return _apply_audience(report, content, by=by)


@transaction.atomic
def report_update_draft(*, report: Report, by: Membership, content: ReportContent) -> Report:
    """Save what was typed into a draft (also the autosave), or a curator's edit under review."""
    report = Report.objects.select_for_update().get(pk=report.pk)
    _require_edit(by, report)
    curating = report.status == Report.Status.PENDING_REVIEW and by.is_isac_staff
    if report.status not in EDITABLE_STATUSES and not curating:
        raise ValidationError("Only drafts can be edited this way; revise a published report.")
    _apply_content(report, content)
    report.save()
    report_search_refresh(report_ids=[report.pk])
    report = _apply_audience(report, content, by=by)
    if curating:
        CurationEvent.objects.create(report=report, action=CurationEvent.Action.EDITED, by=by.user)
    return report


def report_problems(report: Report, *, by: Membership | None = None) -> list[str]:
    """Why the report cannot be shared yet, in words for the analyst; empty when it can."""
    problems = []
    if by is not None:
        problems += unaddressable_group_problems(by=by, groups=report.audience_groups.all())
    if not report.title.strip():
        problems.append("Give the report a title.")
    consent_problem = narrowing_problem(
        organisation=report.organisation, report_scope=report.government_consent
    )
    if consent_problem:
        problems.append(consent_problem)
    if report.tlp not in TLP.values:
        problems.append("Choose a TLP label: there is no default.")
        return problems
    problems += upload_marking_problems(report)
    problems += public_release_problems(report)
    problems += rfi_marking_problems(report)
    problems += policy.audience_problems(
        tlp=report.tlp,
        everyone=report.audience_everyone,
        sector_count=report.audience_sectors.count(),
        organisation_count=report.audience_organisations.count(),
        group_count=report.audience_groups.count(),
        people_count=report.audience_people.count(),
    )
    return problems


def public_release_problems(report: Report) -> list[str]:
    """Public release is an author's choice for TLP:CLEAR only: anything narrower must
    never reach the public feed, so the combination is refused rather than ignored."""
    if report.public_release and report.tlp != TLP.CLEAR:
        return [
            f"Only a TLP:CLEAR report can be released on the ISAC's public feed: untick "
            f"“Release on the public feed” or choose TLP:CLEAR instead of "
            f"{TLP(report.tlp).label}."
        ]
    return []


def rfi_marking_problems(report: Report) -> list[str]:
    """A report made from an answer carries the question's indicators: it cannot be shared
    wider than the request for information's label."""
    answer = RfiAnswer.objects.filter(report_id=report.pk).select_related("rfi").first()
    if answer is None or TLP(answer.rfi.tlp).rank <= TLP(report.tlp).rank:
        return []
    label = TLP(answer.rfi.tlp).label
    return [
        f"This report answers a request for information marked {label}; it cannot be "
        f"shared wider than that. Choose {label} or narrower."
    ]


def upload_marking_problems(report: Report) -> list[str]:
    """An upload marked by its sender (TLP:AMBER, say) cannot be shared wider than that."""
    problems = []
    uploads = report.submissions.exclude(kind=Submission.Kind.FORM).exclude(
        status=Submission.Status.FAILED
    )
    for submission in uploads.only("findings", "kind", "filename"):
        marked = (submission.findings or {}).get("tlp")
        if marked in TLP.values and TLP(marked).rank > TLP(report.tlp).rank:
            problems.append(
                f"The uploaded {submission.get_kind_display()} is marked {TLP(marked).label}; "
                f"the report cannot be shared wider than that. Choose {TLP(marked).label} "
                "or narrower."
            )
    return problems


@transaction.atomic
def report_submit(
    *,
    report: Report,
    by: Membership,
    sensitive_confirmed: bool = False,
    unanalysed_confirmed: bool = False,
) -> Report:
    """The analyst confirmed the preview: publish now, or send to ISAC review.

    Competitively sensitive wording found in the text must be removed or explicitly
    confirmed. The text goes to the normalisation pipeline, which extracts the indicators
    and writes the STIX objects after commit.
    """
    report = Report.objects.select_for_update().get(pk=report.pk)
    if report.author_id != by.user_id or report.status not in EDITABLE_STATUSES:
        raise PermissionDenied("Only the author can submit their draft.")
    _require_edit(by, report)
    problems = report_problems(report, by=by)
    findings = preview_findings(report)
    if findings.unanalysable and not unanalysed_confirmed:
        problems.append(
            f"The text cannot be analysed: {findings.unanalysable} No indicators would be "
            "extracted. Shorten it, or confirm that it is shared without extracted indicators."
        )
    if findings.sensitive_hits and not sensitive_confirmed:
        problems.append(
            "The preview found wording about prices, costs, bids, salaries or strategy: "
            "remove it or confirm that it is fit to share."
        )
    if problems:
        raise ValidationError(problems)
    report.submitted_at = timezone.now()
    redacted = redact_report(report)
    report.save(update_fields=["submitted_at", "updated_at", *redacted])
    if redacted:
        report_search_refresh(report_ids=[report.pk])
    submission_create(
        organisation=report.organisation,
        submitted_by=by.user,
        kind=Submission.Kind.FORM,
        raw=report_text(report).encode(),
        report=report,
        anonymous=not report.attributed,
    )
    if review_required(report.organisation):
        report.status = Report.Status.PENDING_REVIEW
        report.save(update_fields=["status", "updated_at"])
        CurationEvent.objects.create(
            report=report, action=CurationEvent.Action.SUBMITTED, by=by.user
        )
        return report
    return _publish(report=report, by=by.user)


def _snapshot(report: Report, *, by: User, note: str) -> ReportRevision:
    """Freeze the version's text together with the TLP and audience it is shared under."""
    revision = ReportRevision.objects.create(
        report=report,
        number=report.version,
        title=report.title,
        summary=report.summary,
        body_markdown=report.body_markdown,
        indicators_text=report.indicators_text,
        tlp=report.tlp,
        public_release=report.public_release,
        note=note,
        created_by=by,
    )
    revision_audience_sync(report=report)
    return revision


def _publish(*, report: Report, by: User, read_text: bool = True) -> Report:
    report.status = Report.Status.PUBLISHED
    report.published_at = timezone.now()
    report.save(update_fields=["status", "published_at", "updated_at"])
    _snapshot(report, by=by, note="First published")
    if read_text:
        # A curator's edits in review are read like the author's text: what was approved is
        # what the indicators and STIX objects say.
        _read_text_again_if_changed(report, by=by)
    # Submissions already analysed get their final marking; one still queued is published
    # with the report's state when the pipeline reaches it.
    for submission in report.submissions.filter(status=Submission.Status.NEEDS_REVIEW):
        submission_mark_published(submission=submission)
    audit_record(
        action="report.publish",
        obj=report,
        actor=by,
        organisation=report.organisation,
        after={
            "tlp": report.tlp,
            "version": report.version,
            "public_release": report.public_release,
        },
    )
    report_announce(report=report, event="published")
    return report


def _read_text_again_if_changed(report: Report, *, by: User) -> None:
    text = report_text(report).encode()
    last = (
        report.submissions.filter(kind=Submission.Kind.FORM)
        .exclude(status=Submission.Status.FAILED)
        .order_by("-created_at", "-id")
        .values_list("raw", flat=True)
        .first()
    )
    if last is not None and bytes(last) == text:
        return
    submission_create(
        organisation=report.organisation,
        submitted_by=by,
        kind=Submission.Kind.FORM,
        raw=text,
        report=report,
        anonymous=not report.attributed,
    )


@transaction.atomic
def report_publish_upload(*, report: Report, submission: Submission) -> str:
    """Publish the draft an upload made, for a token that may publish: the TLP is the
    upload's own marking (already the draft's), the audience the organisation's publishing
    defaults, the source as the agreement (or the uploader) decided.

    Returns "" when it was published or sent to ISAC review, otherwise why it waits for a
    person instead (the draft stays as it is). Called by normalisation, inside its run.
    """
    by = Membership.objects.filter(
        user_id=submission.submitted_by_id,
        organisation_id=submission.organisation_id,
        is_active=True,
    ).first()
    if by is None or not policy.can_post(by):
        return "The uploader's organisation cannot share until it is in good standing."
    defaults = PublishingDefaults.objects.filter(organisation_id=report.organisation_id).first()
    if defaults is None or not (
        defaults.audience_everyone
        or defaults.audience_sectors.exists()
        or defaults.audience_groups.exists()
    ):
        return (
            "Your organisation's admins have not chosen a default audience for uploads "
            "published directly; choose the audience in the portal and confirm the draft."
        )
    report = Report.objects.select_for_update().get(pk=report.pk)
    report.audience_everyone = defaults.audience_everyone and report.tlp != TLP.RED
    report.save(update_fields=["audience_everyone", "updated_at"])
    if report.tlp != TLP.RED:
        report.audience_sectors.set(list(defaults.audience_sectors.all()))
        report.audience_groups.set(list(defaults.audience_groups.all()))
    problems = report_problems(report, by=by)
    if problems:
        return "It cannot be published with the defaults: " + " ".join(problems)
    report.submitted_at = timezone.now()
    report.save(update_fields=["submitted_at", "updated_at"])
    audit_record(
        action="report.publish_upload",
        obj=report,
        actor=by.user,
        organisation=report.organisation,
        after={"submission": str(submission.uuid), "tlp": report.tlp},
    )
    if review_required(report.organisation):
        report.status = Report.Status.PENDING_REVIEW
        report.save(update_fields=["status", "updated_at"])
        CurationEvent.objects.create(
            report=report, action=CurationEvent.Action.SUBMITTED, by=by.user
        )
        return ""
    _publish(report=report, by=by.user, read_text=False)
    return ""


@transaction.atomic
def publishing_defaults_set(
    *,
    organisation: Organisation,
    by: Membership,
    everyone: bool,
    sectors: Sequence[Sector] = (),
    groups: Sequence[TrustGroup] = (),
) -> PublishingDefaults:
    """The organisation's admins choose the audience of uploads published directly."""
    if not administers(by, organisation.pk):
        raise PermissionDenied("Only the organisation's admins set its publishing defaults.")
    problems = unaddressable_group_problems(by=by, groups=groups)
    if problems:
        raise ValidationError(problems)
    defaults, _ = PublishingDefaults.objects.get_or_create(organisation=organisation)
    defaults.audience_everyone = everyone
    defaults.updated_by = by.user
    defaults.updated_at = timezone.now()
    defaults.save()
    defaults.audience_sectors.set(list(sectors))
    defaults.audience_groups.set(list(groups))
    audit_record(
        action="organisation.publishing_defaults",
        obj=organisation,
        actor=by.user,
        organisation=organisation,
        after={
            "everyone": everyone,
            "sectors": sorted(s.slug for s in sectors),
            "groups": sorted(str(g.uuid) for g in groups),
        },
    )
    return defaults


@transaction.atomic
def report_publish(*, report: Report, by: Membership) -> Report:
    """Publish a report waiting for review (the curator's approval without a message)."""
    return report_approve(report=report, by=by)


@transaction.atomic
def report_approve(*, report: Report, by: Membership, message: str = "") -> Report:
    report = Report.objects.select_for_update().get(pk=report.pk)
    if not policy.can_curate(by, report):
        raise PermissionDenied("Only ISAC staff can approve a report waiting for review.")
    problems = report_problems(report)
    if problems:
        raise ValidationError(problems)
    CurationEvent.objects.create(
        report=report, action=CurationEvent.Action.APPROVED, by=by.user, message=message
    )
    return _publish(report=report, by=by.user)


@transaction.atomic
def report_reject(*, report: Report, by: Membership, reason: str) -> Report:
    report = Report.objects.select_for_update().get(pk=report.pk)
    if not policy.can_curate(by, report):
        raise PermissionDenied("Only ISAC staff can reject a report waiting for review.")
    if not reason.strip():
        raise ValidationError("Say why the report is rejected: the author will read it.")
    report.status = Report.Status.REJECTED
    report.save(update_fields=["status", "updated_at"])
    CurationEvent.objects.create(
        report=report, action=CurationEvent.Action.REJECTED, by=by.user, message=reason.strip()
    )
    audit_record(
        action="report.reject", obj=report, actor=by.user, organisation=report.organisation
    )
    author_notify(
        user=report.author,
        organisation=report.organisation,
        event=Notification.Event.REJECTED,
        report=report,
        message=reason.strip(),
    )
    return report


@transaction.atomic
def report_question(*, report: Report, by: Membership, question: str) -> CurationEvent:
    """A curator asks the author something; the report keeps waiting for review."""
    if not policy.can_curate(by, report):
        raise PermissionDenied("Only ISAC staff can question a report waiting for review.")
    if not question.strip():
        raise ValidationError("Write the question for the author.")
    event = CurationEvent.objects.create(
        report=report, action=CurationEvent.Action.QUESTION, by=by.user, message=question.strip()
    )
    author_notify(
        user=report.author,
        organisation=report.organisation,
        event=Notification.Event.QUESTION,
        report=report,
        message=question.strip(),
    )
    return event


@transaction.atomic
def report_answer(*, report: Report, by: Membership, answer: str) -> CurationEvent:
    """The author answers the curators' question."""
    if report.author_id != by.user_id or report.status != Report.Status.PENDING_REVIEW:
        raise PermissionDenied("Only the author answers questions about a report under review.")
    if not answer.strip():
        raise ValidationError("Write your answer.")
    return CurationEvent.objects.create(
        report=report, action=CurationEvent.Action.ANSWER, by=by.user, message=answer.strip()
    )


@transaction.atomic
def report_revise(
    *,
    report: Report,
    by: Membership,
    content: ReportContent,
    note: str = "",
    widen_reason: str = "",
) -> Report:
    """Edit a published report: a new version, kept in its history, and recipients told.

    A change that lets anyone new read it needs widen_reason (audited); without one it is
    refused with sharing.audience.AudienceWidening.
    """
    report = Report.objects.select_for_update().get(pk=report.pk)
    _require_edit(by, report)
    if report.status != Report.Status.PUBLISHED:
        raise ValidationError("Only a published report can be revised.")
    was_public = report.public_release
    _apply_content(report, content)
    report.version += 1
    report.save()
    report = _apply_audience(report, content, by=by, widen_reason=widen_reason)
    problems = report_problems(report)
    if problems:
        raise ValidationError(problems)
    redacted = redact_report(report)
    if redacted:
        report.save(update_fields=[*redacted, "updated_at"])
    report_search_refresh(report_ids=[report.pk])
    _snapshot(report, by=by.user, note=note.strip()[:300] or f"Version {report.version}")
    # The new text is analysed again: new indicators join, STIX objects get a new version.
    submission_create(
        organisation=report.organisation,
        submitted_by=by.user,
        kind=Submission.Kind.FORM,
        raw=report_text(report).encode(),
        report=report,
        anonymous=not report.attributed,
    )
    audit_record(
        action="report.revise",
        obj=report,
        actor=by.user,
        organisation=report.organisation,
        before={"public_release": was_public},
        after={
            "tlp": report.tlp,
            "version": report.version,
            "public_release": report.public_release,
        },
    )
    if report.public_release != was_public:
        audit_record(
            action="report.public_release",
            obj=report,
            actor=by.user,
            actor_organisation=by.organisation,
            organisation=report.organisation,
            before={"public_release": was_public},
            after={"public_release": report.public_release, "version": report.version},
        )
    report_announce(report=report, event="revised")
    return report


@transaction.atomic
def report_withdraw(*, report: Report, by: Membership, reason: str) -> Report:
    """Withdraw a published report: kept for the record, marked, and recipients told."""
    report = Report.objects.select_for_update().get(pk=report.pk)
    _require_edit(by, report)
    if report.status != Report.Status.PUBLISHED:
        raise ValidationError("Only a published report can be withdrawn.")
    if not reason.strip():
        raise ValidationError("Say why the report is withdrawn: recipients will read it.")
    report.status = Report.Status.WITHDRAWN
    report.withdrawn_at = timezone.now()
    report.withdrawn_reason = reason.strip()
    report.save(update_fields=["status", "withdrawn_at", "withdrawn_reason", "updated_at"])
    audit_record(
        action="report.withdraw",
        obj=report,
        actor=by.user,
        organisation=report.organisation,
        after={"reason": report.withdrawn_reason},
    )
    outbox_write(report=report, event="withdrawn")
    return report


def attachment_path(attachment: Attachment) -> Path:
    return Path(settings.MEDIA_ROOT) / "attachments" / attachment.stored_name


@transaction.atomic
def attachment_add(*, report: Report, by: Membership, upload: "UploadedFile[bytes]") -> Attachment:
    """Check the file by its content and store it under a name the server makes."""
    _require_edit(by, report)
    if report.status not in (*EDITABLE_STATUSES, Report.Status.PENDING_REVIEW):
        raise ValidationError("Attach files while the report is a draft.")
    upload.seek(0)
    head = upload.read(HEAD_BYTES)
    verdict = check_upload(
        name=upload.name or "",
        head=head,
        size=upload.size or 0,
        max_bytes=settings.ATTACHMENT_MAX_BYTES,
    )
    stored_name = uuid.uuid4().hex
    target = Path(settings.MEDIA_ROOT) / "attachments" / stored_name
    target.parent.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256()
    upload.seek(0)
    with target.open("xb") as out:
        for chunk in upload.chunks():
            digest.update(chunk)
            out.write(chunk)
    target.chmod(0o600)
    try:
        return Attachment.objects.create(
            report=report,
            stored_name=stored_name,
            original_name=verdict.safe_name,
            content_type=verdict.content_type,
            size=upload.size or 0,
            sha256=digest.hexdigest(),
            uploaded_by=by.user,
        )
    except BaseException:
        target.unlink(missing_ok=True)
        raise


@transaction.atomic
def attachment_remove(*, attachment: Attachment, by: Membership) -> None:
    report = attachment.report
    _require_edit(by, report)
    if report.status not in EDITABLE_STATUSES:
        raise ValidationError("Files of a shared report stay with it for the record.")
    path = attachment_path(attachment)
    attachment.delete()
    transaction.on_commit(lambda: path.unlink(missing_ok=True))


@transaction.atomic
def comment_create(*, report: Report, by: Membership, body: str) -> Comment:
    if not policy.can_interact(by, report):
        raise PermissionDenied("You cannot comment on this report.")
    if not body.strip():
        raise ValidationError("Write a comment first.")
    return Comment.objects.create(
        report=report,
        author=by.user,
        organisation=by.organisation,
        body=body.strip()[:10000],
        report_version=report.version,
    )


@transaction.atomic
def sighting_create(
    *,
    report: Report,
    by: Membership,
    seen_on: date | None = None,
    note: str = "",
    anonymous: bool = False,
    indicator: Indicator | None = None,
    kind: str = Sighting.Kind.SEEN,
) -> Sighting:
    """Record that the viewer's organisation saw this too: the report, or one indicator of it.

    A sighting of an indicator restarts its decay clock; a "false positive" sighting (only
    of an indicator) lowers its score instead (sharing.lifecycle)."""
    if not policy.can_interact(by, report):
        raise PermissionDenied("You cannot report a sighting on this report.")
    if indicator is not None and not report.report_indicators.filter(indicator=indicator).exists():
        raise ValidationError("That indicator is not part of this report.")
    if seen_on is not None and seen_on > timezone.localdate():
        raise ValidationError("A sighting cannot be in the future.")
    if kind not in Sighting.Kind.values:
        raise ValidationError(f"Unknown kind of sighting {kind!r}.")
    if kind == Sighting.Kind.FALSE_POSITIVE and indicator is None:
        raise ValidationError("Say which indicator was a false positive.")
    with transaction.atomic():
        sighting = Sighting.objects.create(
            report=report,
            organisation=by.organisation,
            reported_by=by.user,
            seen_on=seen_on,
            note=note.strip()[:2000],
            anonymous=anonymous,
            indicator=indicator,
            kind=kind,
            report_version=report.version,
        )
        sighting_applied(sighting=sighting, now=timezone.now())
    return sighting


@transaction.atomic
def review_requirement_set(
    *, organisation: Organisation, required: bool, by: Membership | None, reason: str = ""
) -> ReviewRequirement:
    """The ISAC decides (from the organisation's agreement) whether its reports need review."""
    require_isac_admin(by)
    requirement, _ = ReviewRequirement.objects.update_or_create(
        organisation=organisation, defaults={"required": required, "reason": reason}
    )
    audit_record(
        action="organisation.review_requirement",
        obj=organisation,
        by=by,
        organisation=organisation,
        after={"required": required, "reason": reason},
    )
    return requirement
