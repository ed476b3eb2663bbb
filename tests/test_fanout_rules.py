"""Feed criteria, channels by TLP, retry delays and digest times: plain inputs, no database."""

from datetime import UTC, datetime

import pytest

from sharing.fanout.channels import next_digest_at, retry_delay
from sharing.fanout.transports import policy_channel
from sharing.feeds.selectors import FeedCriteria, ReportFacts, criteria_match
from sharing.policy import Channel
from sharing.tlp import TLP

ENERGY, FINANCE = 1, 2


def facts(**overrides: object) -> ReportFacts:
    values: dict[str, object] = {
        "tlp": TLP.GREEN,
        "report_type": "alert",
        "confidence": 50,
        "sector_ids": frozenset({ENERGY}),
        "organisation_id": 7,
        "attributed": True,
    }
    values.update(overrides)
    return ReportFacts(**values)  # type: ignore[arg-type]


def test_an_empty_feed_matches_every_report() -> None:
    assert criteria_match(FeedCriteria(), facts())


def test_a_sector_feed_matches_reports_affecting_its_sector_only() -> None:
    feed = FeedCriteria(sector_ids=frozenset({ENERGY}))

    assert criteria_match(feed, facts())
    assert not criteria_match(feed, facts(sector_ids=frozenset({FINANCE})))
    assert not criteria_match(feed, facts(sector_ids=frozenset()))


def test_type_confidence_and_tlp_range_narrow_a_feed() -> None:
    feed = FeedCriteria(
        report_types=frozenset({"advisory"}),
        min_confidence=85,
        tlp_min=TLP.GREEN,
        tlp_max=TLP.AMBER,
    )

    assert criteria_match(feed, facts(report_type="advisory", confidence=85, tlp=TLP.AMBER))
    assert not criteria_match(feed, facts(report_type="alert", confidence=85))
    assert not criteria_match(feed, facts(report_type="advisory", confidence=50))
    assert not criteria_match(feed, facts(report_type="advisory", confidence=85, tlp=TLP.CLEAR))
    assert not criteria_match(feed, facts(report_type="advisory", confidence=85, tlp=TLP.RED))


def test_a_source_feed_never_matches_an_anonymous_report_from_that_source() -> None:
    feed = FeedCriteria(source_organisation_id=7)

    assert criteria_match(feed, facts(attributed=True))
    assert not criteria_match(feed, facts(attributed=False))


@pytest.mark.parametrize(
    ("tlp", "expected"),
    [
        (TLP.CLEAR, Channel.EMAIL_CONTENT),
        (TLP.GREEN, Channel.EMAIL_CONTENT),
        (TLP.AMBER, Channel.EMAIL_NOTICE),
        (TLP.AMBER_STRICT, Channel.EMAIL_NOTICE),
        (TLP.RED, Channel.EMAIL_NOTICE),
    ],
)
def test_amber_e_mail_carries_only_a_notice(tlp: TLP, expected: Channel) -> None:
    assert policy_channel("email", tlp) == expected


def test_taxii_subscriptions_are_polled_not_pushed() -> None:
    assert policy_channel("taxii", TLP.GREEN) is None


def test_retry_delays_grow_and_stay_within_the_jitter() -> None:
    delays = [10, 60, 300]

    for attempt, base in enumerate(delays, start=1):
        for _ in range(50):
            assert base * 0.8 <= retry_delay(attempt, delays=delays) <= base * 1.2
    assert retry_delay(9, delays=delays) <= 300 * 1.2


def test_digest_is_due_at_the_chosen_hour_in_the_subscribers_time_zone() -> None:
    now = datetime(2026, 1, 15, 10, 0, tzinfo=UTC)

    # 08:00 in New York (UTC-5 in January) is 13:00 UTC, still ahead today.
    assert next_digest_at(now, hour=8, time_zone="America/New_York") == datetime(
        2026, 1, 15, 13, 0, tzinfo=UTC
    )
    # 08:00 in Berlin (UTC+1) was 07:00 UTC: tomorrow then.
    assert next_digest_at(now, hour=8, time_zone="Europe/Berlin") == datetime(
        2026, 1, 16, 7, 0, tzinfo=UTC
    )


def test_a_trust_group_feed_matches_only_reports_addressed_to_the_group() -> None:
    feed = FeedCriteria(trust_group_id=3)

    assert criteria_match(feed, facts(group_ids=frozenset({3, 4})))
    assert not criteria_match(feed, facts(group_ids=frozenset({4})))
