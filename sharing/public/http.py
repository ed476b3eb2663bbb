"""What every public endpoint shares: 404 while the feed is off, a rate limit per client
address, HTTP caching (ETag, Last-Modified, Cache-Control) and a server-side cache.

Anyone may poll these URLs, so each answer is built once per change of the feed: the
cache key is a fingerprint of the public reports (which, their versions, their last
change and their last normalisation), read in two small aggregate queries. A withdrawal,
a revision, a report released or an organisation falling out of good standing changes
the fingerprint at once; PUBLIC_FEED_CACHE_SECONDS bounds the life of an entry for the
few changes it does not see (an organisation renamed).
"""

import functools
import hashlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db.models import Count, Max, Sum
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.utils.cache import get_conditional_response, patch_vary_headers
from django.utils.http import http_date, quote_etag

from accounts.api.authentication import PerTokenRateThrottle
from portal.kept import keep, kept
from sharing import policy
from sharing.models import PublicFeed, Submission
from sharing.taxii.protocol import TaxiiError
from sharing.taxii.views import TaxiiThrottled

logger = logging.getLogger(__name__)

View = Callable[..., HttpResponse]
# Headers a cached answer keeps; the caching headers are set afresh on every answer.
_KEPT_HEADERS = (
    "Content-Type",
    "Content-Disposition",
    "X-TAXII-Date-Added-First",
    "X-TAXII-Date-Added-Last",
)


class PublicFeedRateThrottle(PerTokenRateThrottle):
    """The API's limiter (shared cache, in-process while Redis is away), counted per client
    address at PUBLIC_FEED_RATE_LIMIT: nobody signs in here."""

    scope = "public_feed"

    def get_rate(self) -> str:
        rate: str = settings.PUBLIC_FEED_RATE_LIMIT
        return rate

    def get_cache_key(self, request: Any, view: Any) -> str:
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


@dataclass(frozen=True)
class FeedState:
    fingerprint: str
    last_modified: datetime | None


def feed_state() -> FeedState:
    """What the public feed holds now, as a fingerprint and the time it last changed."""
    reports = policy.public_reports()
    totals = reports.aggregate(
        count=Count("pk"), ids=Sum("pk"), versions=Sum("version"), changed=Max("updated_at")
    )
    normalised = Submission.objects.filter(report__in=reports.values("pk")).aggregate(
        at=Max("updated_at")
    )["at"]
    switched = PublicFeed.objects.filter(pk=1).values_list("updated_at", flat=True).first()
    moments = [m for m in (totals["changed"], normalised, switched) if m is not None]
    parts = [totals["count"], totals["ids"], totals["versions"], *(m.isoformat() for m in moments)]
    return FeedState(
        fingerprint=":".join(str(p) for p in parts),
        last_modified=max(moments) if moments else None,
    )


def _throttled(request: HttpRequest) -> float | None:
    """Seconds to wait when the client is over its rate, otherwise None."""
    throttle = PublicFeedRateThrottle()
    # The limiter reads only the address headers, which a Django request has as they are.
    if throttle.allow_request(request, None):  # type: ignore[arg-type]
        return None
    return throttle.wait() or 1.0


def public_endpoint(*, taxii: bool = False) -> Callable[[View], View]:
    """Serve a view to anyone while the feed is on, rate-limited and cached.

    `taxii`: refusals are raised as TAXII errors (the view sits inside `taxii_wire`, which
    renders them); otherwise a plain 404 page or 429 answer.
    """

    def decorate(view: View) -> View:
        @functools.wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if not policy.public_feed_enabled():
                if taxii:
                    raise TaxiiError(404, "The public feed is off")
                raise Http404("The public feed is off.")
            if not taxii and request.method not in ("GET", "HEAD"):
                # (TAXII endpoints answer this themselves, in TAXII's form.)
                return HttpResponseNotAllowed(["GET", "HEAD"])
            wait = _throttled(request)
            if wait is not None:
                if taxii:
                    raise TaxiiThrottled(wait)
                refused = HttpResponse(
                    f"Too many requests: retry in {int(wait) + 1} seconds.\n",
                    status=429,
                    content_type="text/plain; charset=utf-8",
                )
                refused["Retry-After"] = str(int(wait) + 1)
                return refused
            state = feed_state()
            digest = hashlib.sha256(
                f"{state.fingerprint}|{request.build_absolute_uri()}".encode()
            ).hexdigest()[:40]
            etag = quote_etag(digest)
            modified = int(state.last_modified.timestamp()) if state.last_modified else None
            response = get_conditional_response(request, etag=etag, last_modified=modified)
            if response is None:
                response = _cached_answer(f"public-feed:{digest}", view, request, args, kwargs)
            if response.status_code in (200, 304):
                response["ETag"] = etag
                if modified is not None:
                    response["Last-Modified"] = http_date(modified)
                response["Cache-Control"] = f"public, max-age={settings.PUBLIC_FEED_MAX_AGE}"
            if taxii:
                patch_vary_headers(response, ("Accept",))
            return response

        return wrapped

    return decorate


def _cached_answer(
    key: str, view: View, request: HttpRequest, args: Any, kwargs: Any
) -> HttpResponse:
    stored = kept(key)
    if stored is not None:
        content, headers = stored
        response = HttpResponse(content)
        for name, value in headers.items():
            response[name] = value
        return response
    response = view(request, *args, **kwargs)
    if response.status_code == 200 and not response.streaming:
        headers = {name: response[name] for name in _KEPT_HEADERS if response.has_header(name)}
        keep(key, (response.content, headers), settings.PUBLIC_FEED_CACHE_SECONDS)
    return response
