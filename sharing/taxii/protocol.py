"""The TAXII 2.1 wire rules the endpoints share: media types, errors, filters and paging.

Plain functions and dataclasses with no database access, so the rules are tested alone.
"""

import base64
import binascii
import hashlib
import hmac
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from django.conf import settings
from django.http import HttpResponse, JsonResponse, QueryDict

TAXII_MEDIA_TYPE = "application/taxii+json;version=2.1"
STIX_SPEC_VERSION = "2.1"
DEFAULT_PAGE_SIZE = 1000
MAX_PAGE_SIZE = 1000
VERSION_KEYWORDS = frozenset({"first", "last", "all"})


class TaxiiError(Exception):
    """An error the client should see as a TAXII error message with this HTTP status."""

    def __init__(self, http_status: int, title: str, description: str = "") -> None:
        super().__init__(title)
        self.http_status = http_status
        self.title = title
        self.description = description


def taxii_response(body: dict[str, Any], *, status: int = 200) -> JsonResponse:
    return JsonResponse(body, status=status, content_type=TAXII_MEDIA_TYPE)


def error_response(error: TaxiiError) -> JsonResponse:
    body: dict[str, Any] = {"title": error.title, "http_status": str(error.http_status)}
    if error.description:
        body["description"] = error.description
    return taxii_response(body, status=error.http_status)


def _media_ranges(header: str) -> list[tuple[str, dict[str, str]]]:
    ranges = []
    for item in header.split(","):
        parts = [p.strip() for p in item.split(";") if p.strip()]
        if not parts:
            continue
        params = {}
        for param in parts[1:]:
            name, _, value = param.partition("=")
            params[name.strip().lower()] = value.strip().strip('"')
        ranges.append((parts[0].lower(), params))
    return ranges


def accepts_taxii(accept_header: str) -> bool:
    """Whether a client sending this Accept header can take a TAXII 2.1 response.

    `application/taxii+json` without a version means the newest version the server speaks,
    which is 2.1; wildcards are accepted so that a person can look with a browser.
    """
    if not accept_header.strip():
        return False
    for media_range, params in _media_ranges(accept_header):
        if params.get("q") in {"0", "0.0", "0.00", "0.000"}:
            continue
        if media_range == "application/taxii+json" and params.get("version", "2.1") == "2.1":
            return True
        if media_range in {"*/*", "application/*"}:
            return True
    return False


def is_taxii_content_type(content_type: str) -> bool:
    ranges = _media_ranges(content_type)
    if len(ranges) != 1:
        return False
    media_type, params = ranges[0]
    return media_type == "application/taxii+json" and params.get("version", "2.1") == "2.1"


def format_timestamp(value: datetime) -> str:
    """STIX/TAXII timestamp: UTC, microsecond precision, trailing Z."""
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse_timestamp(value: str, *, parameter: str) -> datetime:
    text = value.strip()
    if not text.endswith("Z"):
        raise TaxiiError(400, f"{parameter} must be a UTC timestamp ending in Z", value)
    try:
        parsed = datetime.fromisoformat(text[:-1])
    except ValueError:
        raise TaxiiError(400, f"{parameter} is not a valid timestamp", value) from None
    return parsed.replace(tzinfo=UTC)


def set_date_added_headers(response: HttpResponse, first: datetime, last: datetime) -> None:
    response["X-TAXII-Date-Added-First"] = format_timestamp(first)
    response["X-TAXII-Date-Added-Last"] = format_timestamp(last)


# --- Paging -----------------------------------------------------------------------------
# The cursor names the last row served by its (date_added, row id): any server process can
# continue from it, and rows sharing a date_added are neither skipped nor repeated. It is
# signed so a client cannot hand the server arbitrary values.


@dataclass(frozen=True)
class Cursor:
    date_added: datetime
    row_id: int


def _signature(payload: bytes) -> str:
    digest = hmac.new(settings.SECRET_KEY.encode(), b"taxii-cursor:" + payload, hashlib.sha256)
    return base64.urlsafe_b64encode(digest.digest()[:12]).decode().rstrip("=")


def encode_cursor(cursor: Cursor) -> str:
    payload = f"{format_timestamp(cursor.date_added)}|{cursor.row_id}".encode()
    body = base64.urlsafe_b64encode(payload).decode().rstrip("=")
    return f"{body}.{_signature(payload)}"


def decode_cursor(token: str) -> Cursor:
    invalid = TaxiiError(400, "The next parameter is not a cursor this server issued")
    body, _, signature = token.partition(".")
    try:
        payload = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
    except (binascii.Error, ValueError):
        raise invalid from None
    if not hmac.compare_digest(signature, _signature(payload)):
        raise invalid
    stamp, _, row_id = payload.decode().partition("|")
    return Cursor(date_added=parse_timestamp(stamp, parameter="next"), row_id=int(row_id))


# --- Filters ----------------------------------------------------------------------------


@dataclass(frozen=True)
class ObjectQuery:
    """The filters of a Get Objects, Get Manifest or Get Object Versions request."""

    limit: int = DEFAULT_PAGE_SIZE
    added_after: datetime | None = None
    after: Cursor | None = None
    ids: tuple[str, ...] = ()
    types: tuple[str, ...] = ()
    versions: tuple[str, ...] = ("last",)
    version_timestamps: tuple[datetime, ...] = field(default=())
    spec_versions: tuple[str, ...] = ()


def _split(params: QueryDict, name: str) -> tuple[str, ...]:
    values: list[str] = []
    for raw in params.getlist(name):
        values.extend(v.strip() for v in raw.split(",") if v.strip())
    return tuple(values)


def parse_object_query(params: QueryDict, *, default_versions: str = "last") -> ObjectQuery:
    """Read TAXII 2.1 filter parameters, refusing malformed ones with a 400 error."""
    limit = DEFAULT_PAGE_SIZE
    raw_limit = params.get("limit")
    if raw_limit is not None:
        try:
            limit = int(raw_limit)
        except ValueError:
            raise TaxiiError(400, "limit must be a positive whole number", raw_limit) from None
        if limit < 1:
            raise TaxiiError(400, "limit must be a positive whole number", raw_limit)
    raw_added_after = params.get("added_after")
    added_after = (
        parse_timestamp(raw_added_after, parameter="added_after") if raw_added_after else None
    )
    raw_next = params.get("next")
    after = decode_cursor(raw_next) if raw_next else None

    versions = _split(params, "match[version]") or (default_versions,)
    timestamps = tuple(
        parse_timestamp(v, parameter="match[version]")
        for v in versions
        if v not in VERSION_KEYWORDS
    )
    spec_versions = _split(params, "match[spec_version]")
    unknown = [v for v in spec_versions if v not in {"2.0", "2.1"}]
    if unknown:
        raise TaxiiError(400, "match[spec_version] accepts 2.0 and 2.1", ", ".join(unknown))
    return ObjectQuery(
        limit=min(limit, MAX_PAGE_SIZE),
        added_after=added_after,
        after=after,
        ids=_split(params, "match[id]"),
        types=_split(params, "match[type]"),
        versions=tuple(v for v in versions if v in VERSION_KEYWORDS),
        version_timestamps=timestamps,
        spec_versions=spec_versions,
    )
