"""“Have we seen 45.9.148.203?”: search and lookup find reports by the indicator values they
carry, written defanged or clean, and count only what the asker may read."""

from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import Organisation, User
from sharing.models import Indicator, Report
from sharing.services import sighting_create
from sharing.tlp import TLP
from tests.fixtures.members import acting, signed_in
from tests.fixtures.reports import shared
from tests.fixtures.taxii import IssueToken

pytestmark = pytest.mark.django_db

IP = "45.9.148.203"


@pytest.fixture
def reports(
    analyst_a: User,
    outsider_c: User,
    org_a: Organisation,
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> tuple[Report, Report]:
    """A shares the address defanged with everyone; C shares it in AMBER with A alone."""
    with django_capture_on_commit_callbacks(execute=True):
        everyone = shared(
            analyst_a,
            TLP.GREEN,
            title="Loader staging",
            body_markdown="Second stage from 45.9.148[.]203 over HTTPS.",
        )
        for_a = shared(
            outsider_c,
            TLP.AMBER,
            title="Bank-only loader note",
            indicators_text=IP,
            audience_organisations=[org_a],
        )
    return everyone, for_a


def titles(page: str, *candidates: str) -> set[str]:
    return {title for title in candidates if title in page}


def test_search_finds_reports_by_the_value_written_clean_or_defanged(
    reports: tuple[Report, Report], peer_b: User, analyst_a: User
) -> None:
    b, a = signed_in(peer_b), signed_in(analyst_a)
    url = reverse("report-list")

    for query in (IP, "45.9.148[.]203", " 45.9.148.203 "):
        found = titles(b.get(url, {"q": query}).text, "Loader staging", "Bank-only loader note")
        assert found == {"Loader staging"}, query
    everything = titles(a.get(url, {"q": IP}).text, "Loader staging", "Bank-only loader note")
    assert everything == {"Loader staging", "Bank-only loader note"}
    # words still search as before
    assert "Loader staging" in b.get(url, {"q": "staging"}).text


def test_api_search_finds_reports_by_indicator_value(
    reports: tuple[Report, Report], peer_b: User, issue_token: IssueToken
) -> None:
    everyone, _ = reports
    token = issue_token(peer_b, read_only=True)

    answer = Client().get(
        reverse("api-report-list"), {"q": "45.9.148[.]203"}, HTTP_AUTHORIZATION=f"Bearer {token}"
    )

    assert [row["id"] for row in answer.json()["results"]] == [str(everyone.uuid)]


def test_lookup_page_counts_only_readable_reports_and_shows_sightings(
    reports: tuple[Report, Report], peer_b: User, analyst_a: User, outsider_c: User
) -> None:
    everyone, _ = reports
    indicator = Indicator.objects.get(type="ipv4", value=IP)
    sighting_create(report=everyone, by=acting(outsider_c), note="Blocked at the proxy")

    sighting_create(report=everyone, by=acting(peer_b), indicator=indicator, note="Seen on our VPN")
    as_b = signed_in(peer_b).get(reverse("indicator-lookup"), {"q": "45.9.148[.]203"}).text
    as_a = signed_in(analyst_a).get(reverse("indicator-lookup"), {"q": IP}).text

    assert "Loader staging" in as_b
    assert "Bank-only loader note" not in as_b
    assert "<dt>Reports you can read</dt><dd>1</dd>" in as_b
    assert "<dt>Reporting organisations</dt><dd>1</dd>" in as_b
    assert "Seen on our VPN" in as_b
    assert "<dt>Sighted by</dt><dd>1 organisation</dd>" in as_b
    assert "<dt>Reports you can read</dt><dd>2</dd>" in as_a
    assert "<dt>Reporting organisations</dt><dd>2</dd>" in as_a
    unknown = signed_in(peer_b).get(reverse("indicator-lookup"), {"q": "198.18.0.1"}).text
    assert "Not seen in any report you can read." in unknown


def test_bulk_lookup_says_which_pasted_values_are_known(
    reports: tuple[Report, Report], peer_b: User, outsider_c: User
) -> None:
    pasted = "45.9.148[.]203\n91.215.85.17\nnot a value\n"

    page_b = signed_in(peer_b).post(reverse("indicator-bulk-lookup"), {"values": pasted})
    too_many = signed_in(peer_b).post(
        reverse("indicator-bulk-lookup"),
        {"values": "\n".join(f"10.0.{i // 250}.{i % 250}" for i in range(1001))},
    )

    assert page_b.status_code == 200
    assert "1 of 3 known" in page_b.text
    assert "not an indicator" in page_b.text
    assert too_many.status_code == 400
    assert "at most 1000" in too_many.text


def test_api_bulk_lookup_with_a_read_only_token_follows_the_policy(
    reports: tuple[Report, Report], peer_b: User, analyst_a: User, issue_token: IssueToken
) -> None:
    url = reverse("api-indicator-lookup")
    values = ["45.9.148[.]203", "91.215.85.17"]

    def lookup(user: User) -> list[dict[str, Any]]:
        token = issue_token(user, read_only=True)
        response = Client().post(
            url,
            {"values": values},
            content_type="application/json",
            HTTP_AUTHORIZATION=f"Bearer {token}",
        )
        assert response.status_code == 200, response.content
        return list(response.json())

    as_b, as_a = lookup(peer_b), lookup(analyst_a)

    assert [(row["value"], row["known"], row["reports"]) for row in as_b] == [
        (IP, True, 1),
        ("91.215.85.17", False, 0),
    ]
    assert as_a[0]["reports"] == 2
    assert as_a[0]["reporting_organisations"] == 2
    one = Client().get(
        url, {"value": IP}, HTTP_AUTHORIZATION=f"Bearer {issue_token(peer_b, read_only=True)}"
    )
    assert one.json()[0]["known"] is True
    refused = Client().post(
        url,
        {"values": [f"10.0.0.{i % 250}" for i in range(1001)]},
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {issue_token(peer_b)}",
    )
    assert refused.status_code == 400


def test_bulk_lookup_costs_the_same_queries_for_three_values_or_a_thousand(
    reports: tuple[Report, Report],
    peer_b: User,
    django_assert_max_num_queries: Callable[..., Any],
) -> None:
    from sharing.selectors import indicator_lookup

    viewer = acting(peer_b)
    few = [IP, "91.215.85.17", "not a value"]
    many = few + [f"10.1.{i // 250}.{i % 250}" for i in range(997)]

    with CaptureQueriesContext(connection) as for_few:
        assert len(indicator_lookup(viewer, few)) == 3
    with django_assert_max_num_queries(len(for_few.captured_queries)):
        answers = indicator_lookup(viewer, many)

    assert len(answers) == 1000
    assert [a.value for a in answers if a.known] == [IP]
