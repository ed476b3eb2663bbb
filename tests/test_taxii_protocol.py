"""TAXII 2.1 wire rules: what clients we did not write send and must get back."""

from datetime import UTC, datetime

import pytest
from django.http import QueryDict

from sharing.taxii.protocol import (
    MAX_PAGE_SIZE,
    Cursor,
    TaxiiError,
    accepts_taxii,
    decode_cursor,
    encode_cursor,
    format_timestamp,
    is_taxii_content_type,
    parse_object_query,
)


@pytest.mark.parametrize(
    "accept",
    [
        "application/taxii+json;version=2.1",
        "application/taxii+json; version=2.1",
        "application/taxii+json",
        "application/json, application/taxii+json;version=2.1;q=0.9",
        "*/*",
    ],
)
def test_taxii_21_clients_are_served(accept: str) -> None:
    assert accepts_taxii(accept)


@pytest.mark.parametrize(
    "accept",
    [
        "",
        "application/json",
        "application/taxii+json;version=2.0",
        "application/stix+json;version=2.1",
        "application/taxii+json;version=2.1;q=0",
        "text/html",
    ],
)
def test_clients_that_cannot_take_taxii_21_are_refused(accept: str) -> None:
    assert not accepts_taxii(accept)


def test_posted_content_must_be_taxii_json() -> None:
    assert is_taxii_content_type("application/taxii+json;version=2.1")
    assert is_taxii_content_type("application/taxii+json")
    assert not is_taxii_content_type("application/json")
    assert not is_taxii_content_type("application/taxii+json;version=2.0")
    assert not is_taxii_content_type("")


def test_cursor_round_trips_and_keeps_microseconds() -> None:
    cursor = Cursor(date_added=datetime(2026, 11, 23, 8, 1, 2, 345678, tzinfo=UTC), row_id=42)

    assert decode_cursor(encode_cursor(cursor)) == cursor


@pytest.mark.parametrize("token", ["garbage", "", "a.b", "MjAyNi0xMS0yM3w0Mg.AAAAAAAAAAAAAAAA"])
def test_a_forged_or_garbled_cursor_is_a_clean_400(token: str) -> None:
    with pytest.raises(TaxiiError) as caught:
        decode_cursor(token)
    assert caught.value.http_status == 400


def test_a_cursor_edited_by_the_client_is_refused() -> None:
    token = encode_cursor(Cursor(datetime(2026, 1, 1, tzinfo=UTC), 7))
    _, signature = token.split(".")
    other = encode_cursor(Cursor(datetime(2026, 1, 1, tzinfo=UTC), 8)).split(".")[0]

    with pytest.raises(TaxiiError):
        decode_cursor(f"{other}.{signature}")


def test_filters_are_read_as_the_specification_names_them() -> None:
    params = QueryDict(
        "limit=50&added_after=2026-11-01T00:00:00.000Z&match[type]=indicator,malware"
        "&match[id]=indicator--1&match[version]=all&match[spec_version]=2.1"
    )

    query = parse_object_query(params)

    assert query.limit == 50
    assert query.added_after == datetime(2026, 11, 1, tzinfo=UTC)
    assert query.types == ("indicator", "malware")
    assert query.ids == ("indicator--1",)
    assert query.versions == ("all",)
    assert query.spec_versions == ("2.1",)


def test_version_defaults_to_last_and_accepts_timestamps() -> None:
    assert parse_object_query(QueryDict("")).versions == ("last",)

    query = parse_object_query(QueryDict("match[version]=first,2026-01-02T03:04:05.000Z"))

    assert query.versions == ("first",)
    assert query.version_timestamps == (datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC),)


def test_the_server_caps_the_page_size() -> None:
    assert parse_object_query(QueryDict("limit=1000000")).limit == MAX_PAGE_SIZE


@pytest.mark.parametrize(
    "query",
    [
        "limit=0",
        "limit=ten",
        "added_after=yesterday",
        "added_after=2026-11-01T00:00:00",
        "match[version]=newest",
        "match[spec_version]=1.2",
        "next=not-a-cursor",
    ],
)
def test_malformed_filters_are_a_clean_400(query: str) -> None:
    with pytest.raises(TaxiiError) as caught:
        parse_object_query(QueryDict(query))
    assert caught.value.http_status == 400


def test_timestamps_are_utc_with_a_trailing_z() -> None:
    stamp = format_timestamp(datetime(2026, 11, 23, 8, 0, tzinfo=UTC))

    assert stamp == "2026-11-23T08:00:00.000000Z"
