"""Every change to a request for information: asking, answering, routing, merging,
closing, and turning an answer into a report.

Each checks the policy itself (a page or API view that forgot to ask is still refused),
writes in one transaction, records an audit event and tells the people concerned through
the notification inbox (sharing.fanout.services.notifications) in that same transaction.
Text is scrubbed of personal data and checked for competitively sensitive wording exactly
as a report's is before it is shared (sharing.normalize.analysis).
"""

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from accounts.audit import audit_record
from accounts.models import Membership, Organisation, Sector, TrustGroup, User
from sharing import policy
from sharing.audience import Audience, addressable_groups, audience_check, audience_of, widening
from sharing.fanout.services.notifications import RfiRecipient, rfi_notify
from sharing.models import Notification, Report, Rfi, RfiAnswer
from sharing.normalize.analysis import TextAnalysis, analyse_for_organisation
from sharing.rfi.selectors import asker_membership, rfi_audience_subscribers
from sharing.services import ReportContent, report_create_draft
from sharing.tlp import TLP

SENSITIVE_REFUSAL = (
    "The text mentions prices, costs, bids, salaries or strategy: remove it or confirm that "
    "it is fit to share."
)


@dataclass
class RfiQuestion:
    """What the asker typed."""

    title: str = ""
    body_markdown: str = ""
    tlp: str = ""
    anonymous: bool = False
    indicators_text: str = ""
    due_on: date | None = None
    audience_everyone: bool = False
    audience_sectors: Sequence[Sector] = ()
    audience_organisations: Sequence[Organisation] = ()
    audience_groups: Sequence[TrustGroup] = ()
    audience_people: Sequence[User] = field(default_factory=tuple)


def _scrubbed(text: str, organisation: Organisation) -> tuple[str, TextAnalysis | None]:
    if not text.strip():
        return text, None
    analysis = analyse_for_organisation(text, organisation=organisation)
    return analysis.redacted_text, analysis


def _indicators(*analyses: TextAnalysis | None) -> list[dict[str, str]]:
    """Indicators found, once each, in the order found (refanged by extraction; values on
    warning lists and victims' addresses are left out by the analysis)."""
    found: dict[tuple[str, str], None] = {}
    for analysis in analyses:
        if analysis is not None:
            for item in analysis.indicators:
                found.setdefault((item.type.value, item.value), None)
    return [{"type": kind, "value": value} for kind, value in found]


def _refuse_sensitive(confirmed: bool, *analyses: TextAnalysis | None) -> None:
    if not confirmed and any(a is not None and a.sensitive for a in analyses):
        raise ValidationError(SENSITIVE_REFUSAL, code="sensitive")


def _tell_audience(rfi: Rfi) -> None:
    rfi_notify(
        rfi=rfi,
        event=Notification.Event.RFI_ASKED,
        recipients=rfi_audience_subscribers(rfi),
        once=True,
    )


def _tell_asker(rfi: Rfi, event: str, *, by: Membership, message: str = "") -> None:
    asker = asker_membership(rfi)
    if asker is not None and asker.pk != by.pk:
        rfi_notify(
            rfi=rfi, event=event, recipients=[RfiRecipient(asker, email=True)], message=message
        )


@transaction.atomic
def rfi_ask(*, by: Membership, question: RfiQuestion, sensitive_confirmed: bool = False) -> Rfi:
    """Ask a question to an audience under a TLP label; the audience's subscribers are told."""
    if not policy.can_post(by):
        raise PermissionDenied("Your organisation can ask once it is in good standing.")
    problems = []
    if not question.title.strip():
        problems.append("Write the question.")
    if question.tlp not in TLP.values:
        problems.append("Choose a TLP label: there is no default.")
    if question.due_on is not None and question.due_on < timezone.localdate():
        problems.append("The due date cannot be in the past.")
    if problems:
        raise ValidationError(problems)
    sectors, organisations = list(question.audience_sectors), list(question.audience_organisations)
    groups, people = list(question.audience_groups), list(question.audience_people)
    audience_check(
        by=by,
        tlp=question.tlp,
        everyone=question.audience_everyone,
        sectors=sectors,
        organisations=organisations,
        groups=groups,
        people=people,
        noun="request",
    )
    organisation = by.organisation
    title, title_analysis = _scrubbed(question.title.strip()[:300], organisation)
    body, body_analysis = _scrubbed(question.body_markdown, organisation)
    indicators_text, list_analysis = _scrubbed(question.indicators_text, organisation)
    _refuse_sensitive(sensitive_confirmed, title_analysis, body_analysis, list_analysis)
    rfi = Rfi.objects.create(
        title=title[:300],
        body_markdown=body,
        tlp=question.tlp,
        asked_by=by.user,
        organisation=organisation,
        anonymous=question.anonymous,
        due_on=question.due_on,
        audience_everyone=question.audience_everyone,
        indicators_text=indicators_text,
        indicators=_indicators(list_analysis, body_analysis),
    )
    rfi.audience_sectors.set(sectors)
    rfi.audience_organisations.set(organisations)
    rfi.audience_groups.set(groups)
    rfi.audience_people.set(people)
    audit_record(
        action="rfi.ask",
        obj=rfi,
        by=by,
        organisation=organisation,
        after={**audience_of(rfi).as_dict(), "anonymous": rfi.anonymous},
    )
    _tell_audience(rfi)
    return rfi


@transaction.atomic
def rfi_answer(
    *,
    rfi: Rfi,
    by: Membership,
    body: str,
    anonymous: bool = False,
    for_isac: bool = False,
    sensitive_confirmed: bool = False,
) -> RfiAnswer:
    """Answer a question the viewer may read; the asker is told. The first answer from
    outside the asking organisation makes the RFI answered."""
    rfi = Rfi.objects.select_for_update().get(pk=rfi.pk)
    if not policy.can_answer_rfi(by, rfi):
        raise PermissionDenied("You cannot answer this request.")
    if for_isac and not by.is_isac_staff:
        raise PermissionDenied("Only ISAC staff answer for the ISAC.")
    text, analysis = _scrubbed(body.strip()[:20000], by.organisation)
    if not text.strip():
        raise ValidationError("Write your answer first.")
    _refuse_sensitive(sensitive_confirmed, analysis)
    answer = RfiAnswer.objects.create(
        rfi=rfi,
        author=by.user,
        organisation=by.organisation,
        anonymous=anonymous and not for_isac,
        for_isac=for_isac,
        body_markdown=text,
    )
    if rfi.status == Rfi.Status.OPEN and by.organisation_id != rfi.organisation_id:
        rfi.status = Rfi.Status.ANSWERED
        rfi.save(update_fields=["status", "updated_at"])
    audit_record(
        action="rfi.answer",
        obj=rfi,
        by=by,
        organisation=by.organisation,
        after={"answer": str(answer.uuid), "anonymous": answer.anonymous, "for_isac": for_isac},
    )
    _tell_asker(rfi, Notification.Event.RFI_ANSWERED, by=by)
    return answer


@transaction.atomic
def rfi_route(
    *,
    rfi: Rfi,
    by: Membership,
    everyone: bool,
    sectors: Sequence[Sector] = (),
    organisations: Sequence[Organisation] = (),
    groups: Sequence[TrustGroup] = (),
    people: Sequence[User] = (),
    reason: str = "",
) -> Rfi:
    """An ISAC analyst sends the question to another or a wider audience under the same
    label. The audience must fit the label; a change that lets anyone new read the question
    needs a reason (audited). Those newly able to read it are told."""
    rfi = Rfi.objects.select_for_update().get(pk=rfi.pk)
    if not policy.can_manage_rfi(by, rfi):
        raise PermissionDenied("Only ISAC staff route an open request.")
    sector_list, org_list = list(sectors), list(organisations)
    group_list, people_list = list(groups), list(people)
    audience_check(
        by=by,
        tlp=rfi.tlp,
        everyone=everyone,
        sectors=sector_list,
        organisations=org_list,
        groups=group_list,
        people=people_list,
        noun="request",
    )
    before = audience_of(rfi)
    after = Audience.chosen(
        tlp=rfi.tlp,
        everyone=everyone,
        sectors=sector_list,
        organisations=org_list,
        groups=group_list,
        people=people_list,
    )
    if before == after:
        return rfi
    added = widening(before, after)
    if added and not reason.strip():
        raise ValidationError(
            "This lets more people read the request (" + "; ".join(added) + "): say why; "
            "the reason is recorded."
        )
    rfi.audience_everyone = everyone
    rfi.save(update_fields=["audience_everyone", "updated_at"])
    rfi.audience_sectors.set(sector_list)
    rfi.audience_organisations.set(org_list)
    rfi.audience_groups.set(group_list)
    rfi.audience_people.set(people_list)
    audit_record(
        action="rfi.route",
        obj=rfi,
        by=by,
        organisation=rfi.organisation,
        before=before.as_dict(),
        after={**after.as_dict(), "reason": reason.strip()},
    )
    _tell_audience(rfi)
    return rfi


def _close(rfi: Rfi, *, by: Membership, summary: str) -> None:
    rfi.status = Rfi.Status.CLOSED
    rfi.closing_summary = summary
    rfi.closed_at = timezone.now()
    rfi.closed_by = by.user
    rfi.save(
        update_fields=[
            "status",
            "closing_summary",
            "closed_at",
            "closed_by",
            "merged_into",
            "updated_at",
        ]
    )
    answerers = set(rfi.answers.values_list("author_id", "organisation_id"))
    recipients = [
        RfiRecipient(m, email=True)
        for m in Membership.objects.filter(
            is_active=True,
            user_id__in={user for user, _ in answerers},
            organisation_id__in={org for _, org in answerers},
        ).select_related("user", "organisation")
        if (m.user_id, m.organisation_id) in answerers
        and m.pk != by.pk
        and m.user_id != rfi.asked_by_id
    ]
    rfi_notify(rfi=rfi, event=Notification.Event.RFI_CLOSED, recipients=recipients)
    _tell_asker(rfi, Notification.Event.RFI_CLOSED, by=by, message=summary)


@transaction.atomic
def rfi_close(*, rfi: Rfi, by: Membership, summary: str) -> Rfi:
    """Close with a summary of what was learnt (ISAC staff, or the asker). The asker and
    those who answered are told."""
    rfi = Rfi.objects.select_for_update().get(pk=rfi.pk)
    if not policy.can_close_rfi(by, rfi):
        raise PermissionDenied("Only the ISAC or the asker close a request.")
    text, _ = _scrubbed(summary.strip()[:10000], by.organisation)
    if not text.strip():
        raise ValidationError(
            "Summarise what was learnt: the asker and those who answered read it."
        )
    _close(rfi, by=by, summary=text)
    audit_record(action="rfi.close", obj=rfi, by=by, organisation=rfi.organisation)
    return rfi


@transaction.atomic
def rfi_merge(*, rfi: Rfi, into: Rfi, by: Membership, summary: str = "") -> Rfi:
    """Close `rfi` as a duplicate of `into`. Its answers stay with it (they were written for
    its audience); the link to `into` is shown only to those who may read both."""
    rfi = Rfi.objects.select_for_update().get(pk=rfi.pk)
    into = Rfi.objects.select_for_update().get(pk=into.pk)
    if not policy.can_manage_rfi(by, rfi) or not policy.can_manage_rfi(by, into):
        raise PermissionDenied("Only ISAC staff merge open requests they can read.")
    if rfi.pk == into.pk or into.merged_into_id is not None:
        raise ValidationError("Merge into another request that is not itself a duplicate.")
    rfi.merged_into = into
    text = summary.strip()[:10000] or "Closed as a duplicate of another request."
    _close(rfi, by=by, summary=text)
    audit_record(
        action="rfi.merge",
        obj=rfi,
        by=by,
        organisation=rfi.organisation,
        after={"merged_into": str(into.uuid)},
    )
    return rfi


@transaction.atomic
def rfi_answer_to_report(*, answer: RfiAnswer, by: Membership) -> Report:
    """Turn one's own answer into a draft report in one step: the answer as its body, the
    question's indicators, the RFI's label and audience (as far as the author may address
    it). The answer and the report link to each other; the report is shared, as any other,
    when its author confirms the preview, and never wider than the RFI's label."""
    answer = RfiAnswer.objects.select_for_update().select_related("rfi").get(pk=answer.pk)
    rfi = answer.rfi
    if not policy.can_view_rfi(by, rfi):
        raise PermissionDenied("You cannot read this request.")
    if answer.author_id != by.user_id or answer.organisation_id != by.organisation_id:
        raise PermissionDenied("Only the person who wrote the answer makes a report of it.")
    if answer.report_id is not None:
        raise ValidationError("This answer is a report already.")
    indicator_lines = [item["value"] for item in rfi.indicators]
    addressable = set(addressable_groups(by).values_list("pk", flat=True))
    organisations, people = list(rfi.audience_organisations.all()), list(rfi.audience_people.all())
    if not rfi.anonymous:
        # The answer goes back to whoever asked, even when they addressed only others; an
        # anonymous asker is not named to the answerer, so they read it through the audience.
        if rfi.tlp == TLP.RED and rfi.asked_by not in people:
            people.append(rfi.asked_by)
        elif rfi.tlp != TLP.RED and not rfi.organisation.is_isac:
            # (ISAC staff read every report but RED anyway.)
            organisations = list(dict.fromkeys([*organisations, rfi.organisation]))
    body = (
        f"{answer.body_markdown}\n\n---\n\nIn answer to the request for information “{rfi.title}”."
    )
    content = ReportContent(
        title=f"Answer: {rfi.title}"[:300],
        summary=answer.body_markdown.strip().split("\n\n")[0][:500],
        body_markdown=body,
        tlp=rfi.tlp,
        report_type=Report.Type.RFI,
        attributed=not (answer.anonymous or answer.for_isac),
        indicators_text="\n".join(indicator_lines),
        audience_everyone=rfi.audience_everyone,
        audience_sectors=list(rfi.audience_sectors.all()),
        audience_organisations=organisations,
        audience_groups=[g for g in rfi.audience_groups.all() if g.pk in addressable],
        audience_people=people,
    )
    report = report_create_draft(by=by, content=content)
    answer.report = report
    answer.save(update_fields=["report"])
    audit_record(
        action="rfi.answer_to_report",
        obj=rfi,
        by=by,
        organisation=by.organisation,
        after={"answer": str(answer.uuid), "report": str(report.uuid)},
    )
    return report
