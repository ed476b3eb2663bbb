"""End to end: an analyst shares a report with a value of every type, the real worker
normalises it, and another member's MISP pulls it from a feed: the values and their types
are what was submitted, and what the REST API lists for the same report."""

from typing import Any

import pytest
from django.test import Client

from accounts.models import User
from sharing.formats.misp import MISP_TYPES
from sharing.indicator_types import IndicatorType
from sharing.models import Feed
from sharing.tlp import TLP
from tests.fixtures.reports import shared
from tests.fixtures.taxii import IssueToken
from tests.misp_consumer import MispFeedConsumer
from tests.test_misp_feed import BODY, ETHEREUM, EVERY_TYPE, feed_url
from tests.test_normalize_new_types_end_to_end import wait_for_worker

pytestmark = pytest.mark.services


def portal_type(misp_type: str, category: str, value: str, relation: str | None) -> str:
    """The portal type a consumer reads back from a MISP attribute."""
    if relation == "ja4-fingerprint":
        return IndicatorType.JA4
    if relation == "address-crypto":
        return IndicatorType.CRYPTO_WALLET
    if misp_type == "ip-dst":
        if "/" in value:
            return IndicatorType.CIDR
        return IndicatorType.IPV6 if ":" in value else IndicatorType.IPV4
    if misp_type == "xmr":
        return IndicatorType.CRYPTO_WALLET
    candidates = [
        kind
        for kind, mapped in MISP_TYPES.items()
        if (mapped.type, mapped.category) == (misp_type, category)
    ]
    assert len(candidates) == 1, (misp_type, category)
    return candidates[0]


def received(consumer: MispFeedConsumer, event_uuid: str) -> set[tuple[str, str]]:
    event = consumer.events[event_uuid]
    values = {(portal_type(a.type, a.category, a.value, None), a.value) for a in event.attributes}
    for obj in event.objects:
        for attribute in obj.attributes:
            if attribute.object_relation in ("ja4-fingerprint", "address-crypto"):
                kind = portal_type(
                    attribute.type, attribute.category, attribute.value, attribute.object_relation
                )
                values.add((kind, attribute.value))
    return values


def test_a_report_shared_through_the_worker_reaches_another_members_misp_unchanged(
    celery_worker: object,
    analyst_a: User,
    peer_b: User,
    everything_feed: Feed,
    client: Client,
    issue_token: IssueToken,
) -> None:
    # given: member A shares a GREEN report naming a value of every type
    report = shared(analyst_a, TLP.GREEN, title="Loader campaign", body_markdown=BODY)

    # when: the real worker has normalised it and member B's MISP pulls the feed
    wait_for_worker(report.pk)
    token = issue_token(peer_b, read_only=True)
    misp = MispFeedConsumer(client, feed_url(everything_feed), token)
    fetched = misp.pull()

    # then: the event is there with every submitted value under its own type
    assert str(report.uuid) in fetched
    values = received(misp, str(report.uuid))
    submitted = {(kind.value, value) for kind, value in EVERY_TYPE.items()}
    submitted.add((IndicatorType.CRYPTO_WALLET.value, ETHEREUM))
    assert submitted <= values
    # and: exactly what the portal's own API lists for the report, nothing more or less
    api: Any = client.get(
        f"/api/v1/indicators/?report={report.uuid}&page_size=200",
        headers={"Authorization": f"Bearer {token}"},
    ).json()
    assert values == {(row["type"], row["value"]) for row in api["results"]}
    # and: the overlap hashes cover each value for this event
    assert {event for _, event in misp.hashes} == {str(report.uuid)}
    assert len(misp.hashes) == len(values)
