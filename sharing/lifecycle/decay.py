"""The decay model: pure functions, no database.

An indicator's score falls from its base score S0 as time passes since its clock started
(publication, or the latest sighting):

    score(t) = S0 * (1 - (t / lifetime) ** (1 / (3 * pound)))

the polynomial model OpenCTI uses. `pound` shapes the curve: a small pound keeps the score
high for most of the lifetime and drops it late; a large one drops it early. Once the score
falls below the rule's revoke score the indicator is no longer valid: its `valid_until` is
the moment that happens,

    t(s) = exp(ln(1 - s / S0) * 3 * pound) * lifetime.
"""

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from sharing.indicator_types import IndicatorType


@dataclass(frozen=True, slots=True)
class DecayRule:
    """How fast indicators of one family lose their score.

    `base_score` is the starting score when the source gave no confidence of its own.
    """

    lifetime_days: int
    pound: float
    revoke_score: int
    base_score: int = 50


# OpenCTI's defaults: addresses and URLs change hands within weeks, domains are re-used for
# months, a file hash names the same file for ever (but the malware behind it goes quiet).
GENERAL = DecayRule(lifetime_days=470, pound=0.35, revoke_score=20)
FILE = DecayRule(lifetime_days=460, pound=0.3, revoke_score=20)
NETWORK = DecayRule(lifetime_days=47, pound=0.55, revoke_score=20)
DOMAIN = DecayRule(lifetime_days=300, pound=0.7, revoke_score=20)

# CVE ids and ATT&CK techniques are knowledge, not detection material: they do not decay.
NON_DECAYING = frozenset({IndicatorType.CVE, IndicatorType.ATTACK_TECHNIQUE})

DEFAULT_RULES: dict[IndicatorType, DecayRule] = {
    kind: GENERAL for kind in IndicatorType if kind not in NON_DECAYING
}
DEFAULT_RULES.update(
    {
        IndicatorType.IPV4: NETWORK,
        IndicatorType.IPV6: NETWORK,
        IndicatorType.CIDR: NETWORK,
        IndicatorType.URL: NETWORK,
        IndicatorType.DOMAIN: DOMAIN,
        IndicatorType.MD5: FILE,
        IndicatorType.SHA1: FILE,
        IndicatorType.SHA256: FILE,
        IndicatorType.SHA512: FILE,
    }
)

SECONDS_PER_DAY = 86400.0


def rule_problems(rule: DecayRule) -> list[str]:
    """Why a rule cannot be used (empty when it can)."""
    problems = []
    if not 1 <= rule.lifetime_days <= 3650:
        problems.append("The lifetime must be between 1 and 3650 days.")
    if not 0.01 <= rule.pound <= 10:
        problems.append("The pound must be between 0.01 and 10.")
    if not 1 <= rule.base_score <= 100:
        problems.append("The base score must be between 1 and 100.")
    if not 0 <= rule.revoke_score < rule.base_score:
        problems.append("The revoke score must be at least 0 and below the base score.")
    return problems


def score_after(*, base: float, elapsed_days: float, rule: DecayRule) -> float:
    """The score `elapsed_days` after the clock started (never below 0)."""
    if base <= 0:
        return 0.0
    if elapsed_days <= 0:
        return float(base)
    if elapsed_days >= rule.lifetime_days:
        return 0.0
    fraction: float = (elapsed_days / rule.lifetime_days) ** (1 / (3 * rule.pound))
    return base * (1 - fraction)


def days_until_score(*, score: float, base: float, rule: DecayRule) -> float:
    """How many days after the clock started the score reaches `score` (0 when the base is
    already at or below it)."""
    if base <= score:
        return 0.0
    if score <= 0:
        return float(rule.lifetime_days)
    return math.exp(math.log(1 - score / base) * 3 * rule.pound) * rule.lifetime_days


def valid_until(*, start: datetime, base: float, rule: DecayRule) -> datetime:
    """When an indicator whose clock started at `start` falls below the revoke score."""
    days = days_until_score(score=rule.revoke_score, base=base, rule=rule)
    return start + timedelta(seconds=round(days * SECONDS_PER_DAY))


def current_score(*, base: float, start: datetime, now: datetime, rule: DecayRule) -> int:
    """The score at `now`, rounded to a whole number as STIX `confidence` wants."""
    elapsed = (now - start).total_seconds() / SECONDS_PER_DAY
    return round(score_after(base=base, elapsed_days=elapsed, rule=rule))


# A "false positive" sighting takes this share off the base score: two independent reports
# of a false positive bring a default indicator (50) to 12, below the revoke score.
FALSE_POSITIVE_FACTOR = 0.5


def base_after_false_positive(base: int) -> int:
    return int(base * FALSE_POSITIVE_FACTOR)
