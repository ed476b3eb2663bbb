"""MISP feed endpoints: manifest.json, <event-uuid>.json and hashes.csv per feed and group.

A MISP instance subscribes with source format "MISP Feed" and sends a member's API token
in an Authorization header. MISP polls the manifest every few minutes: a conditional GET
(ETag, Last-Modified) answers 304 after a digest of the feed's state, and a changed
manifest is written once and cached for every member who receives exactly the same events.
Reads come from `selectors`, which start from the access policy.
"""

import functools
import json
import logging
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.utils.cache import get_conditional_response, patch_vary_headers
from django.utils.http import http_date, quote_etag
from django.views.decorators.csrf import csrf_exempt
from rest_framework import exceptions

from accounts.api.authentication import PerTokenRateThrottle, presented_token
from accounts.models import ApiToken, Membership
from accounts.services.tokens import TokenRefused, token_authenticate
from portal.kept import keep, keep_first, kept
from sharing.formats.misp import manifest_entry
from sharing.misp import selectors
from sharing.misp.selectors import MispFeed

logger = logging.getLogger(__name__)

JSON = "application/json"
# Manifests up to this size are kept in the cache (a 10,000-event manifest is about 3 MB);
# larger ones are streamed from the database every time they change.
CACHE_MAX_BYTES = 16 * 1024 * 1024
CACHE_SECONDS = 6 * 3600

MispView = Callable[..., HttpResponseBase]
FeedLookup = Callable[[Membership, uuid.UUID], MispFeed | None]


class MispError(Exception):
    def __init__(self, status: int, name: str, message: str = "") -> None:
        super().__init__(name)
        self.status = status
        self.name = name
        self.message = message or name


def _error(request: HttpRequest, error: MispError) -> HttpResponse:
    # MISP's own error shape (without the URL, which the caller knows), which its feed
    # fetcher logs.
    body = {"name": error.name, "message": error.message}
    response = JsonResponse(body, status=error.status)
    if error.status == 401:
        response["WWW-Authenticate"] = 'Bearer realm="misp-feed", Basic realm="misp-feed"'
    return response


def _authenticate(request: HttpRequest) -> ApiToken:
    refused = "Send a member's API token as 'Authorization: Bearer <token>'."
    try:
        plaintext = presented_token(request)
    except exceptions.AuthenticationFailed as failed:
        raise MispError(401, "Authentication failed", str(failed.detail)) from None
    if plaintext is None:
        raise MispError(401, "Authentication required", refused)
    try:
        return token_authenticate(plaintext=plaintext, ip_address=request.META.get("REMOTE_ADDR"))
    except TokenRefused as failed:
        raise MispError(401, "Authentication failed", str(failed)) from None


def _throttle(request: HttpRequest, token: ApiToken) -> None:
    """The REST API's per-token rate limit applies to feed pulls too."""
    throttle = PerTokenRateThrottle()
    shim: Any = SimpleNamespace(auth=token, user=token.membership.user, META=request.META)
    if not throttle.allow_request(shim, None):  # type: ignore[arg-type]
        wait = int(throttle.wait() or 1) + 1
        raise MispError(429, "Too many requests", f"Retry in {wait} seconds.")


def misp_endpoint(lookup: FeedLookup) -> Callable[[MispView], Callable[..., HttpResponseBase]]:
    """GET and HEAD only, a member's token, and the feed the token's member may pull (404,
    as for a feed that does not exist, otherwise). Token calls carry no cookies: no CSRF."""

    def decorate(view: MispView) -> Callable[..., HttpResponseBase]:
        @csrf_exempt
        @functools.wraps(view)
        def wrapper(request: HttpRequest, feed_uuid: uuid.UUID, **kwargs: Any) -> HttpResponseBase:
            try:
                if request.method not in ("GET", "HEAD"):
                    refused = _error(request, MispError(405, "Method not allowed"))
                    refused["Allow"] = "GET, HEAD"
                    return refused
                token = _authenticate(request)
                _throttle(request, token)
                feed = lookup(token.membership, feed_uuid)
                if feed is None:
                    raise MispError(404, "No such feed")
                response: HttpResponseBase = view(request, feed, **kwargs)
            except MispError as error:
                return _error(request, error)
            # Nothing shared is stored by browsers or proxies, as for every API answer; MISP
            # keeps the ETag itself and asks again with it, which costs a 304.
            response["Cache-Control"] = "private, no-store"
            patch_vary_headers(response, ["Authorization"])
            return response

        return wrapper

    return decorate


def _conditional(
    request: HttpRequest, etag: str, last_modified: datetime | None
) -> tuple[HttpResponseBase | None, dict[str, str]]:
    headers = {"ETag": quote_etag(etag)}
    stamp = int(last_modified.timestamp()) if last_modified is not None else None
    if stamp is not None:
        headers["Last-Modified"] = http_date(stamp)
    answer = get_conditional_response(request, etag=headers["ETag"], last_modified=stamp)
    if answer is not None:
        for name, value in headers.items():
            answer[name] = value
    return answer, headers


def _feed_last_modified(etag: str, newest: datetime | None) -> datetime | None:
    """The newest change, or when this state of the feed was first served if later: an
    event leaving the feed changes no timestamp, yet If-Modified-Since must see it."""
    first_served = keep_first(f"misp:seen:{etag}", datetime.now(tz=UTC), CACHE_SECONDS)
    if newest is None:
        return first_served if isinstance(first_served, datetime) else None
    if isinstance(first_served, datetime):
        return max(newest, first_served)
    return newest


# --- Endpoints ------------------------------------------------------------------------------


def _in_blocks(lines: Iterator[str], size: int = 64 * 1024) -> Iterator[bytes]:
    """Lines sent in blocks of about `size` bytes: one write per block, not per line."""
    block: list[str] = []
    length = 0
    for line in lines:
        block.append(line)
        length += len(line)
        if length >= size:
            yield "".join(block).encode()
            block, length = [], 0
    if block:
        yield "".join(block).encode()


def _manifest_parts(feed: MispFeed) -> Iterator[str]:
    opening = "{"
    for head in selectors.event_heads(feed):
        yield f"{opening}{json.dumps(head.uuid)}:{json.dumps(manifest_entry(head))}"
        opening = ","
    yield "{}" if opening == "{" else "}"


def _manifest_chunks(feed: MispFeed, cache_key: str) -> Iterator[bytes]:
    """The manifest, written in blocks as it is read, and cached at the end if it is not
    too large."""
    blocks: list[bytes] | None = []
    size = 0
    for block in _in_blocks(_manifest_parts(feed)):
        size += len(block)
        if blocks is not None:
            blocks.append(block)
            if size > CACHE_MAX_BYTES:
                blocks = None
        yield block
    if blocks is not None:
        keep(cache_key, b"".join(blocks), CACHE_SECONDS)


def manifest(request: HttpRequest, feed: MispFeed) -> HttpResponseBase:
    freshness = selectors.feed_freshness(feed)
    last_modified = _feed_last_modified(freshness.etag, freshness.last_modified)
    unchanged, headers = _conditional(request, freshness.etag, last_modified)
    if unchanged is not None:
        return unchanged
    key = f"misp:manifest:{freshness.etag}"
    cached = kept(key)
    response: HttpResponseBase
    if isinstance(cached, bytes):
        response = HttpResponse(cached, content_type=JSON)
    else:
        response = StreamingHttpResponse(_manifest_chunks(feed, key), content_type=JSON)
    for name, value in headers.items():
        response[name] = value
    return response


def event(request: HttpRequest, feed: MispFeed, event_uuid: uuid.UUID) -> HttpResponseBase:
    found = selectors.event_file(feed, event_uuid)
    if found is None:
        raise MispError(404, "No such event")
    changed = datetime.fromtimestamp(found.head.timestamp, tz=UTC)
    unchanged, headers = _conditional(request, found.etag, changed)
    if unchanged is not None:
        return unchanged
    key = f"misp:event:{found.etag}"
    body = kept(key)
    if not isinstance(body, bytes):
        body = json.dumps(selectors.event_body(found)).encode()
        keep(key, body, CACHE_SECONDS)
    response = HttpResponse(body, content_type=JSON)
    for name, value in headers.items():
        response[name] = value
    return response


def hashes(request: HttpRequest, feed: MispFeed) -> HttpResponseBase:
    freshness = selectors.feed_freshness(feed)
    last_modified = _feed_last_modified(freshness.etag, freshness.last_modified)
    unchanged, headers = _conditional(request, freshness.etag + "-hashes", last_modified)
    if unchanged is not None:
        return unchanged
    response = StreamingHttpResponse(
        _in_blocks(selectors.hash_lines_of(feed)), content_type="text/csv; charset=utf-8"
    )
    for name, value in headers.items():
        response[name] = value
    return response


feed_manifest = misp_endpoint(selectors.feed_for)(manifest)
feed_event = misp_endpoint(selectors.feed_for)(event)
feed_hashes = misp_endpoint(selectors.feed_for)(hashes)
group_manifest = misp_endpoint(selectors.group_for)(manifest)
group_event = misp_endpoint(selectors.group_for)(event)
group_hashes = misp_endpoint(selectors.group_for)(hashes)
