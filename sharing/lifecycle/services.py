"""Writes of the indicator lifecycle: rules, clocks, expiry and the revocation sweep.

Every change that alters what a STIX consumer should know (a new `valid_until`, a lower
score, a revocation) writes a new version of the report's `indicator` object, so a TAXII
client polling with `added_after` receives it. STIX 2.1 makes revocation final: a revoked
indicator gets no later version, and a sighting after that does not revive it (post the
value again in a new report).
"""

import logging
from collections.abc import Iterable
from datetime import UTC, datetime, time, timedelta
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from accounts.audit import audit_record
from accounts.models import Membership
from accounts.policy import require_isac_admin
from sharing import policy
from sharing.indicator_types import IndicatorType
from sharing.lifecycle.decay import (
    SECONDS_PER_DAY,
    DecayRule,
    base_after_false_positive,
    current_score,
    days_until_score,
    rule_problems,
    valid_until,
)
from sharing.lifecycle.selectors import Rules, base_score_of, rules_in_force
from sharing.lifecycle.stamping import after_valid_from
from sharing.models import (
    IndicatorDecayRule,
    IndicatorExpiry,
    Report,
    ReportIndicator,
    Sighting,
    StixObject,
    Submission,
)
from sharing.normalize.parsers.stix import indicators_in
from sharing.normalize.store import VersionStore
from sharing.stix.objects import deterministic_id, timestamp

logger = logging.getLogger(__name__)

SWEEP_BATCH = 500


# --- Rules -----------------------------------------------------------------------------


@transaction.atomic
def decay_rule_set(
    *,
    indicator_type: str,
    lifetime_days: int,
    pound: float,
    revoke_score: int,
    base_score: int,
    by: Membership | None,
) -> IndicatorDecayRule:
    """An ISAC admin sets the decay rule of one indicator type.

    Live indicators of the type get a `valid_until` under the new rule at once (the sweep
    revokes any now past it); their STIX objects carry the new date from their next
    version on.
    """
    require_isac_admin(by, "Only ISAC admins can set decay rules.")
    if indicator_type not in rules_in_force():
        raise ValidationError(f"Indicators of type {indicator_type!r} do not decay.")
    rule = DecayRule(
        lifetime_days=lifetime_days, pound=pound, revoke_score=revoke_score, base_score=base_score
    )
    if problems := rule_problems(rule):
        raise ValidationError(problems)
    before = IndicatorDecayRule.objects.filter(indicator_type=indicator_type).first()
    row, _ = IndicatorDecayRule.objects.update_or_create(
        indicator_type=indicator_type,
        defaults={
            "lifetime_days": lifetime_days,
            "pound": pound,
            "revoke_score": revoke_score,
            "base_score": base_score,
            "updated_at": timezone.now(),
            "updated_by": by.user if by is not None else None,
        },
    )
    _revalidate_type(indicator_type, rule)
    audit_record(
        action="indicator.decay_rule",
        obj=row,
        by=by,
        before=_rule_dict(before) if before is not None else None,
        after=_rule_dict(row),
    )
    return row


@transaction.atomic
def decay_rule_reset(*, indicator_type: str, by: Membership | None) -> None:
    """Back to the default rule for the type."""
    require_isac_admin(by, "Only ISAC admins can set decay rules.")
    row = IndicatorDecayRule.objects.filter(indicator_type=indicator_type).first()
    if row is None:
        return
    before = _rule_dict(row)
    row.delete()
    rule = rules_in_force()[indicator_type]
    _revalidate_type(indicator_type, rule)
    audit_record(action="indicator.decay_rule_reset", obj=row, by=by, before=before)


def _rule_dict(row: IndicatorDecayRule) -> dict[str, Any]:
    return {
        "indicator_type": row.indicator_type,
        "lifetime_days": row.lifetime_days,
        "pound": row.pound,
        "revoke_score": row.revoke_score,
        "base_score": row.base_score,
    }


def _revalidate_type(indicator_type: str, rule: DecayRule) -> None:
    """valid_until of every live link of the type under `rule`. It depends on the clock
    start and the base score only, so one UPDATE per (lowered base, source confidence)
    pair, a handful in practice, computes it in SQL for any number of links."""
    live = ReportIndicator.objects.filter(indicator__type=indicator_type, revoked_at__isnull=True)
    pairs = list(live.order_by().values_list("base_score", "confidence").distinct())
    for lowered, confidence in pairs:
        base = lowered if lowered is not None else confidence
        base = min(base, 100) if base is not None else rule.base_score
        days = days_until_score(score=rule.revoke_score, base=base, rule=rule)
        live.filter(base_score=lowered, confidence=confidence).update(
            valid_until=F("decay_from") + timedelta(seconds=round(days * SECONDS_PER_DAY))
        )


# --- Clocks ----------------------------------------------------------------------------


def sighting_applied(*, sighting: Sighting, now: datetime) -> None:
    """A sighting of one indicator: "seen" restarts its clock from when it was seen,
    "false positive" halves its base score. A revoked indicator stays revoked."""
    if sighting.indicator_id is None:
        return
    link = (
        ReportIndicator.objects.select_for_update()
        .select_related("indicator", "report")
        .filter(report_id=sighting.report_id, indicator_id=sighting.indicator_id)
        .first()
    )
    if link is None or link.revoked_at is not None:
        return
    rules = rules_in_force()
    rule = rules.get(link.indicator.type)
    base = base_score_of(link, rule)
    if rule is None or base is None:
        return
    if sighting.kind == Sighting.Kind.FALSE_POSITIVE:
        link.base_score = base = base_after_false_positive(base)
    else:
        seen = now
        if sighting.seen_on is not None:
            seen = min(now, datetime.combine(sighting.seen_on, time(23, 59, 59), tzinfo=UTC))
        link.decay_from = max(link.decay_from, seen)
    link.valid_until = valid_until(start=link.decay_from, base=base, rule=rule)
    link.save(update_fields=["base_score", "decay_from", "valid_until"])
    if link.valid_until <= now:
        _revoke(link, kind=IndicatorExpiry.Kind.DECAYED, reason=_DECAYED, rules=rules, now=now)
        return
    _write_versions([link], rules=rules, now=now)


# --- Expiry ----------------------------------------------------------------------------


def may_expire_for_everyone(viewer: Membership | None, report: Report) -> bool:
    """The report's own organisation and ISAC staff end an indicator for everyone; other
    readers flag it."""
    if viewer is None:
        return False
    return viewer.is_isac_staff or viewer.organisation_id == report.organisation_id


@transaction.atomic
def indicator_expire(*, link: ReportIndicator, reason: str, by: Membership) -> IndicatorExpiry:
    """Mark an indicator (as one report shares it) no longer valid.

    Who may: anyone who can read the report and take part in it (`policy.can_interact`).
    The report's organisation and ISAC staff end it for everyone (it is revoked, leaves
    block-list feeds and gets a revoked STIX version); any other member's call is a flag,
    one per organisation, counted on the indicator page for the author and ISAC staff to act on.
    """
    report = link.report
    if not policy.visible_report_indicators(by).filter(pk=link.pk).exists():
        raise PermissionDenied("You cannot see this indicator.")
    if not policy.can_interact(by, report):
        raise PermissionDenied("You cannot mark indicators of this report.")
    reason = reason.strip()[:2000]
    if not reason:
        raise ValidationError("Say why the indicator is no longer valid.")
    locked = ReportIndicator.objects.select_for_update().select_related("indicator", "report")
    link = locked.get(pk=link.pk)
    if link.revoked_at is not None:
        raise ValidationError("This indicator is already no longer valid.")
    rules = rules_in_force()
    if may_expire_for_everyone(by, report):
        expiry = _revoke(
            link,
            kind=IndicatorExpiry.Kind.EXPIRED,
            reason=reason,
            rules=rules,
            now=timezone.now(),
            by=by,
        )
        action = "indicator.expire"
    else:
        if IndicatorExpiry.objects.filter(
            link=link, kind=IndicatorExpiry.Kind.FLAGGED, organisation=by.organisation
        ).exists():
            raise ValidationError("Your organisation has already flagged this indicator.")
        expiry = IndicatorExpiry.objects.create(
            link=link,
            kind=IndicatorExpiry.Kind.FLAGGED,
            organisation=by.organisation,
            by=by.user,
            reason=reason,
            score=_score_now(link, rules, timezone.now()),
        )
        action = "indicator.flag_expired"
    audit_record(
        action=action,
        obj=report,
        by=by,
        organisation=report.organisation,
        after={"indicator": link.indicator.stix_id, "reason": reason},
    )
    return expiry


# What a sweep never reads of a link's report: a report with thousands of indicators has a
# pasted text of hundreds of kilobytes, sent again with every link of a batch otherwise.
REPORT_TEXTS = (
    "report__summary",
    "report__body_markdown",
    "report__indicators_text",
    "report__search_document",
)

_DECAYED = "Its score fell below the revoke score of its type's decay rule."


def indicators_sweep(*, now: datetime | None = None) -> int:
    """Revoke every live indicator past its valid_until and record why (the beat task).

    Rows are claimed with SKIP LOCKED, so two sweeps at once never revoke one twice."""
    now = now or timezone.now()
    rules = rules_in_force()
    uploaded = UploadedIndicators()  # each report's bundles parsed once for the whole sweep
    done = 0
    while True:
        with transaction.atomic():
            due = list(
                ReportIndicator.objects.select_for_update(skip_locked=True, of=("self",))
                .filter(revoked_at__isnull=True, valid_until__lte=now)
                .select_related("indicator", "report")
                # A report's texts would come along with each of its links in the batch.
                .defer(*REPORT_TEXTS)
                .order_by("valid_until", "pk")[:SWEEP_BATCH]
            )
            # Set-based: one UPDATE and one INSERT for the batch, not two queries a link.
            expiries = []
            for link in due:
                expiries.append(
                    IndicatorExpiry(
                        link=link,
                        kind=IndicatorExpiry.Kind.DECAYED,
                        reason=_DECAYED,
                        score=_score_now(link, rules, now),
                    )
                )
                link.revoked_at = now
            ReportIndicator.objects.filter(pk__in=[link.pk for link in due]).update(revoked_at=now)
            IndicatorExpiry.objects.bulk_create(expiries)
            _write_versions(due, rules=rules, now=now, uploaded=uploaded)
        done += len(due)
        if len(due) < SWEEP_BATCH:
            return done


def _score_now(link: ReportIndicator, rules: Rules, now: datetime) -> int | None:
    rule = rules.get(link.indicator.type)
    base = base_score_of(link, rule)
    if rule is None or base is None:
        return base
    return current_score(base=base, start=link.decay_from, now=now, rule=rule)


def _revoke(
    link: ReportIndicator,
    *,
    kind: str,
    reason: str,
    rules: Rules,
    now: datetime,
    by: Membership | None = None,
    write: bool = True,
) -> IndicatorExpiry:
    score = _score_now(link, rules, now)
    link.revoked_at = now
    if link.valid_until is None or link.valid_until > now:
        link.valid_until = now
    link.save(update_fields=["revoked_at", "valid_until"])
    expiry = IndicatorExpiry.objects.create(
        link=link,
        kind=kind,
        organisation=by.organisation if by is not None else None,
        by=by.user if by is not None else None,
        reason=reason,
        score=score,
    )
    if write:
        _write_versions([link], rules=rules, now=now)
    return expiry


# --- STIX versions ---------------------------------------------------------------------


class UploadedIndicators:
    """Which uploaded `indicator` objects of a report stand for which single value, read
    once per report: a sweep revoking thousands of a bundle's indicators in batches would
    otherwise read and parse every indicator of the bundle again for each batch.

    New versions keep their object's id, so what is read stays true for the whole sweep."""

    def __init__(self) -> None:
        self._by_report: dict[int, dict[str, list[str]]] = {}

    def ids_naming(self, report: Report, values: Iterable[str]) -> set[str]:
        by_value = self._by_report.get(report.pk)
        if by_value is None:
            by_value = self._by_report[report.pk] = self._read(report)
        return {stix_id for value in values for stix_id in by_value.get(value, ())}

    @staticmethod
    def _read(report: Report) -> dict[str, list[str]]:
        # Matched in Python with the parser that linked them: one read of the uploads'
        # indicator objects, instead of a LIKE per value over every one of them.
        by_value: dict[str, list[str]] = {}
        rows = StixObject.objects.filter(
            report=report,
            type="indicator",
            submission__kind__in=[Submission.Kind.STIX, Submission.Kind.TAXII],
        ).values_list("stix_id", "data")
        for stix_id, data in rows.iterator(chunk_size=2000):
            named = {item.value for item in indicators_in(data)}
            if len(named) == 1:  # a pattern over several values has no single lifecycle
                by_value.setdefault(named.pop(), []).append(stix_id)
        return by_value


def _write_versions(
    links: list[ReportIndicator],
    *,
    rules: Rules,
    now: datetime,
    uploaded: UploadedIndicators | None = None,
) -> None:
    """A new version of each link's `indicator` object(s) in its report whose lifecycle
    properties differ from what is stored: `valid_until`, `confidence` (the score when the
    version is written) and `revoked`. `uploaded` carries what earlier calls of the same
    sweep read of the reports' uploaded bundles."""
    if not links:
        return
    uploaded = uploaded or UploadedIndicators()
    by_report: dict[int, list[ReportIndicator]] = {}
    for link in links:
        by_report.setdefault(link.report_id, []).append(link)
    for report_links in by_report.values():
        report = report_links[0].report
        wanted = {_own_indicator_id(report, link): link for link in report_links}
        indicators = StixObject.objects.filter(report=report, type="indicator")
        # The portal's own indicator objects are found by id (indexed); only values none of
        # them stands for are looked for in the patterns of uploaded bundles' indicators.
        own_ids = set(indicators.filter(stix_id__in=list(wanted)).values_list("stix_id", flat=True))
        values = {
            link.indicator.value: link for stix_id, link in wanted.items() if stix_id not in own_ids
        }
        ids = set(own_ids)
        if values:
            ids |= uploaded.ids_naming(report, values)
        rows = (
            indicators.filter(stix_id__in=list(ids))
            .select_related("submission")
            # The upload itself (a whole bundle, megabytes) would come along with each row.
            .defer("submission__raw", "submission__findings")
            .order_by("stix_id", "-modified", "-id")
        )
        batches: dict[tuple[int | None, int], tuple[Submission | None, list[dict[str, Any]]]] = {}
        latest: dict[str, StixObject] = {}
        for version in rows:
            latest.setdefault(version.stix_id, version)
        for row in latest.values():
            if row.data.get("revoked"):
                continue
            named = wanted.get(row.stix_id) or _link_named_by(row.data, values)
            if named is None:
                continue
            updated = _with_lifecycle(row.data, named, rules=rules, now=now)
            if updated == row.data:
                continue
            updated["modified"] = timestamp(now)
            # Each new version stays with its predecessor's submission and report version.
            key = (row.submission_id, row.report_version)
            batches.setdefault(key, (row.submission, []))[1].append(updated)
        for (_, report_version), (submission, objects) in batches.items():
            VersionStore(report=report, submission=submission, now=now, version=report_version).add(
                objects
            )


def _own_indicator_id(report: Report, link: ReportIndicator) -> str:
    """The id the portal gives the indicator object of a value it found (text, CSV, MISP):
    see sharing.stix.objects.objects_for_indicator."""
    kind = IndicatorType(link.indicator.type)
    return deterministic_id("indicator", f"{report.uuid}:{kind.value}:{link.indicator.value}")


def _link_named_by(
    data: dict[str, Any], values: dict[str, ReportIndicator]
) -> ReportIndicator | None:
    """The link an uploaded indicator object stands for: only when its pattern names exactly
    one of the values (a pattern over several values has no single lifecycle)."""
    named = {item.value for item in indicators_in(data)}
    if len(named) != 1:
        return None
    return values.get(named.pop())


def _with_lifecycle(
    data: dict[str, Any], link: ReportIndicator, *, rules: Rules, now: datetime
) -> dict[str, Any]:
    updated = dict(data)
    score = _score_now(link, rules, now)
    if score is not None:
        updated["confidence"] = score
    if link.valid_until is not None:
        updated["valid_until"] = timestamp(after_valid_from(link.valid_until, data))
    if link.revoked_at is not None:
        updated["revoked"] = True
    return updated
