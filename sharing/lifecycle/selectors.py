"""Reading the lifecycle: the rules in force and an indicator's score and validity now.

Nothing here checks who may read: callers pass links they obtained through
`sharing.policy` (visible_report_indicators and friends).
"""

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Q

from sharing.indicator_types import IndicatorType
from sharing.lifecycle.decay import DEFAULT_RULES, DecayRule, current_score
from sharing.models import IndicatorDecayRule, ReportIndicator

Rules = dict[str, DecayRule]


def rules_in_force() -> Rules:
    """Each decaying indicator type's rule: the ISAC's own where set, else the default."""
    rules: Rules = {kind.value: rule for kind, rule in DEFAULT_RULES.items()}
    for row in IndicatorDecayRule.objects.all():
        if row.indicator_type in rules:
            rules[row.indicator_type] = DecayRule(
                lifetime_days=row.lifetime_days,
                pound=row.pound,
                revoke_score=row.revoke_score,
                base_score=row.base_score,
            )
    return rules


def rule_rows() -> list[tuple[IndicatorType, DecayRule, bool]]:
    """Every decaying type with its rule in force and whether the ISAC changed it."""
    changed = set(IndicatorDecayRule.objects.values_list("indicator_type", flat=True))
    rules = rules_in_force()
    return [
        (kind, rules[kind.value], kind.value in changed)
        for kind in IndicatorType
        if kind.value in rules
    ]


def base_score_of(link: ReportIndicator, rule: DecayRule | None) -> int | None:
    """Where the score starts: lowered by false positives, else the source's confidence,
    else the rule's base score."""
    if link.base_score is not None:
        return link.base_score
    if link.confidence is not None:
        return min(link.confidence, 100)
    return rule.base_score if rule is not None else None


class State:
    ACTIVE = "active"
    EXPIRED = "expired"
    REVOKED = "revoked"
    LASTING = "lasting"  # a type that does not decay (CVE ids, ATT&CK techniques)


@dataclass(frozen=True, slots=True)
class Lifecycle:
    """An indicator's standing as one report shares it, at one moment."""

    score: int | None
    valid_until: datetime | None
    state: str
    revoked_at: datetime | None

    @property
    def is_valid(self) -> bool:
        return self.state in (State.ACTIVE, State.LASTING)


def lifecycle_of(link: ReportIndicator, *, kind: str, rules: Rules, now: datetime) -> Lifecycle:
    """The score now and whether the indicator is still valid; `kind` is its type (passed
    so a list read with values() needs no join)."""
    rule = rules.get(kind)
    base = base_score_of(link, rule)
    if rule is None or base is None:
        state = State.REVOKED if link.revoked_at else State.LASTING
        return Lifecycle(score=base, valid_until=None, state=state, revoked_at=link.revoked_at)
    score = current_score(base=base, start=link.decay_from, now=now, rule=rule)
    if link.revoked_at is not None:
        state = State.REVOKED
        score = min(
            score, current_score(base=base, start=link.decay_from, now=link.revoked_at, rule=rule)
        )
    elif link.valid_until is not None and link.valid_until <= now:
        state = State.EXPIRED
    else:
        state = State.ACTIVE
    return Lifecycle(
        score=score, valid_until=link.valid_until, state=state, revoked_at=link.revoked_at
    )


def state_of(link: ReportIndicator, *, now: datetime) -> str:
    """Whether the link is still valid, from its row alone (no rule needed): for lists that
    show validity but not the score."""
    if link.revoked_at is not None:
        return State.REVOKED
    if link.valid_until is None:
        return State.LASTING
    return State.EXPIRED if link.valid_until <= now else State.ACTIVE


def still_valid(now: datetime) -> Q:
    """Links (ReportIndicator) neither revoked nor past their valid_until: what block-list
    style feeds carry by default."""
    return Q(revoked_at__isnull=True) & (Q(valid_until__isnull=True) | Q(valid_until__gt=now))
