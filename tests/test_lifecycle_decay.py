"""The decay model against values worked out by hand from OpenCTI's formula and defaults:
score(t) = S0 * (1 - (t / lifetime) ** (1 / (3 * pound))), revoked below 20."""

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sharing.indicator_types import IndicatorType
from sharing.lifecycle.decay import (
    DEFAULT_RULES,
    DecayRule,
    base_after_false_positive,
    current_score,
    days_until_score,
    rule_problems,
    score_after,
    valid_until,
)

IP = DEFAULT_RULES[IndicatorType.IPV4]
START = datetime(2026, 11, 1, tzinfo=UTC)


def test_defaults_follow_opencti_ip_and_url_short_domains_longer_hashes_longest() -> None:
    assert (IP.lifetime_days, IP.pound, IP.revoke_score) == (47, 0.55, 20)
    assert DEFAULT_RULES[IndicatorType.URL] == IP
    assert DEFAULT_RULES[IndicatorType.IPV6] == IP
    domain = DEFAULT_RULES[IndicatorType.DOMAIN]
    assert (domain.lifetime_days, domain.pound) == (300, 0.7)
    sha256 = DEFAULT_RULES[IndicatorType.SHA256]
    assert (sha256.lifetime_days, sha256.pound) == (460, 0.3)
    general = DEFAULT_RULES[IndicatorType.EMAIL]
    assert (general.lifetime_days, general.pound) == (470, 0.35)
    assert IndicatorType.CVE not in DEFAULT_RULES
    assert IndicatorType.ATTACK_TECHNIQUE not in DEFAULT_RULES


@pytest.mark.parametrize(
    ("kind", "days"),
    [
        # t(20) = exp(ln(1 - 20/50) * 3 * pound) * lifetime, worked out by hand
        (IndicatorType.IPV4, 20.2324),
        (IndicatorType.URL, 20.2324),
        (IndicatorType.DOMAIN, 102.6216),
        (IndicatorType.SHA256, 290.4651),
        (IndicatorType.EMAIL, 274.8886),
    ],
)
def test_a_default_indicator_stays_valid_as_long_as_its_type_allows(
    kind: IndicatorType, days: float
) -> None:
    rule = DEFAULT_RULES[kind]
    assert days_until_score(score=20, base=50, rule=rule) == pytest.approx(days, abs=1e-3)
    until = valid_until(start=START, base=50, rule=rule)
    # to the second; the figures above are rounded to 1e-4 days (9 s)
    assert until - START == pytest.approx(timedelta(days=days), abs=timedelta(seconds=10))


def test_an_ip_address_loses_score_by_the_polynomial() -> None:
    # 50 * (1 - (10/47) ** (1/1.65)) = 30.43
    assert score_after(base=50, elapsed_days=10, rule=IP) == pytest.approx(30.428, abs=1e-3)
    assert score_after(base=50, elapsed_days=0, rule=IP) == 50
    assert score_after(base=50, elapsed_days=-3, rule=IP) == 50
    assert score_after(base=50, elapsed_days=47, rule=IP) == 0
    assert score_after(base=50, elapsed_days=400, rule=IP) == 0
    assert current_score(base=50, start=START, now=START + timedelta(days=10), rule=IP) == 30


def test_a_higher_base_score_lasts_longer() -> None:
    # exp(ln(1 - 20/80) * 1.65) * 47 = 29.24 days
    assert days_until_score(score=20, base=80, rule=IP) == pytest.approx(29.238, abs=1e-3)


def test_a_base_at_or_below_the_threshold_is_invalid_at_once() -> None:
    assert days_until_score(score=20, base=20, rule=IP) == 0
    assert valid_until(start=START, base=12, rule=IP) == START


def test_false_positives_halve_the_base_two_take_a_default_indicator_below_20() -> None:
    assert base_after_false_positive(50) == 25
    assert base_after_false_positive(base_after_false_positive(50)) == 12


@given(
    base=st.integers(min_value=21, max_value=100),
    lifetime=st.integers(min_value=1, max_value=3650),
    pound=st.floats(min_value=0.05, max_value=5),
)
def test_the_score_at_valid_until_is_the_revoke_score(
    base: int, lifetime: int, pound: float
) -> None:
    rule = DecayRule(lifetime_days=lifetime, pound=pound, revoke_score=20, base_score=base)
    days = days_until_score(score=20, base=base, rule=rule)
    assert 0 <= days <= lifetime
    assert score_after(base=base, elapsed_days=days, rule=rule) == pytest.approx(20, abs=1e-6)


@given(
    elapsed=st.floats(min_value=0, max_value=100),
    later=st.floats(min_value=0, max_value=100),
)
def test_the_score_never_rises_with_time(elapsed: float, later: float) -> None:
    assert score_after(base=50, elapsed_days=elapsed + later, rule=IP) <= score_after(
        base=50, elapsed_days=elapsed, rule=IP
    )


def test_rules_an_admin_cannot_set_are_refused_with_reasons() -> None:
    assert rule_problems(IP) == []
    bad = DecayRule(lifetime_days=0, pound=0, revoke_score=60, base_score=50)
    assert rule_problems(bad) == [
        "The lifetime must be between 1 and 3650 days.",
        "The pound must be between 0.01 and 10.",
        "The revoke score must be at least 0 and below the base score.",
    ]
