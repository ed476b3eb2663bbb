"""An outbound MISP feed client: how the portal reads another MISP instance's MISP feed.

A MISP feed is a folder: `manifest.json` (event uuid -> its `timestamp` and what MISP's
filters read) and one `<event-uuid>.json` per event. As with TAXII peers the folder's URL is
typed in by an ISAC admin, so every request goes through the SSRF guard
(sharing.fanout.netguard): the host is resolved and checked on each request, the checked
address alone is connected to, redirects are never followed and each request has a total
deadline. URLs are built from the configured folder and event uuids only (a uuid is
checked before it becomes part of a URL); nothing else the server answers is used as one.

    client = MispFeedClient(feed_url="https://misp.example/feeds/community/", ...)
    manifest = client.manifest(etag=stored)   # None: unchanged since `stored` (HTTP 304)
    for entry in manifest.entries: document = client.event(entry.uuid)
    client.close()

Nothing here touches the database.
"""

import io
import json
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import httpx
import ijson

from sharing.fanout import netguard
from sharing.taxii.client import Credentials, TaxiiError, ssl_context_for

USER_AGENT = "isac-portal-misp-feed-client/1"
# One event file or the manifest is at most this long (a hostile server cannot fill memory).
MAX_RESPONSE_BYTES = 64 * 1024 * 1024


class MispFeedError(Exception):
    """A request to a MISP feed failed. `permanent`: asking again will not help until someone
    changes something (the URL, the headers); otherwise try again at the next poll."""

    def __init__(self, message: str, *, status_code: int | None = None, permanent: bool = False):
        super().__init__(message)
        self.message = message
        self.status_code = status_code
        self.permanent = permanent


class MispEventInvalid(MispFeedError):
    """An event file arrived but is not a MISP event: the event is skipped, not retried."""


@dataclass(frozen=True)
class ManifestEntry:
    uuid: str
    timestamp: int  # Unix seconds of the event's last change


@dataclass(frozen=True)
class Manifest:
    """The events a feed lists (oldest change first), and the ETag it was served with."""

    entries: list[ManifestEntry]
    etag: str = ""
    skipped: int = 0  # entries without a valid uuid or timestamp


def normalise_feed_url(url: str) -> str:
    """The feed's folder as requests are built from it: http(s), a host, one final slash, no
    query, fragment or credentials. A URL ending in manifest.json is taken as its folder."""
    url = url.strip()
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise MispFeedError("The feed URL is an http:// or https:// URL.", permanent=True)
    if parts.username or parts.password:
        raise MispFeedError("Put credentials in their fields, not in the URL.", permanent=True)
    if parts.query or parts.fragment:
        raise MispFeedError("The feed URL has no query or fragment.", permanent=True)
    url = url.removesuffix("manifest.json")
    return url if url.endswith("/") else url + "/"


@dataclass
class MispFeedClient(netguard.HoldsHttpClient):
    """A connection to one MISP feed. `headers` are the feed's configured request headers
    (MISP feeds are protected by one, e.g. Authorization), sent with the credentials'."""

    feed_url: str
    credentials: Credentials = field(default_factory=Credentials)
    headers: Mapping[str, str] = field(default_factory=dict)
    allowed: Sequence[netguard.IPNetwork] = ()
    timeout: float = 30.0
    _http: httpx.Client | None = field(default=None, init=False, repr=False)

    def __post_init__(self) -> None:
        self.feed_url = normalise_feed_url(self.feed_url)
        problems = self.credentials.problems()
        if problems:
            raise MispFeedError(" ".join(problems), permanent=True)

    def _client(self) -> httpx.Client:
        if self._http is None:
            try:
                context = ssl_context_for(self.credentials)
            except TaxiiError as error:
                raise MispFeedError(error.message, permanent=True) from None
            self._http = netguard.http_client(ssl_context=context, max_connections=2)
        return self._http

    def _get(self, name: str, *, extra: Mapping[str, str] | None = None) -> netguard.Response:
        headers = {
            "Accept": "application/json",
            "User-Agent": USER_AGENT,
            **self.headers,
            **self.credentials.headers(),
            **(extra or {}),
        }
        try:
            return netguard.request(
                "GET",
                self.feed_url + name,
                headers=headers,
                allowed=self.allowed,
                timeout=self.timeout,
                client=self._client(),
                max_bytes=MAX_RESPONSE_BYTES,
            )
        except netguard.BlockedDestination as error:
            raise MispFeedError(f"Refused: {error}", permanent=True) from None
        except netguard.ResponseTooLarge as error:
            raise MispFeedError(f"{name}: {error}", permanent=True) from None
        except httpx.TimeoutException:
            raise MispFeedError(
                f"The feed did not answer within {self.timeout:g} seconds."
            ) from None
        except httpx.HTTPError as error:
            raise MispFeedError(f"Could not connect: {error}"[:500]) from None

    def manifest(self, *, etag: str = "") -> Manifest | None:
        """The feed's manifest, or None when it is unchanged since the one served with
        `etag`. Read as a stream of entries, keeping only each event's uuid and timestamp."""
        response = self._get("manifest.json", extra={"If-None-Match": etag} if etag else None)
        if response.status_code == 304 and etag:
            return None
        _raise_for(response, "manifest.json")
        entries: list[ManifestEntry] = []
        skipped = 0
        try:
            for key, entry in ijson.kvitems(io.BytesIO(response.content), "", use_float=True):
                parsed = _entry(key, entry)
                if parsed is None:
                    skipped += 1
                else:
                    entries.append(parsed)
        except (ijson.JSONError, ValueError) as error:
            raise MispFeedError(f"manifest.json is not a JSON object of events: {error}") from None
        entries.sort(key=lambda item: (item.timestamp, item.uuid))
        return Manifest(
            entries=entries, etag=response.headers.get("etag", "")[:200], skipped=skipped
        )

    def event(self, event_uuid: str) -> dict[str, Any]:
        """`{"Event": {...}}` of one event listed in the manifest."""
        name = f"{_uuid(event_uuid)}.json"
        response = self._get(name)
        _raise_for(response, name)
        try:
            document = json.loads(response.content)
        except ValueError:
            raise MispEventInvalid(f"{name} is not JSON.") from None
        if not isinstance(document, dict) or not isinstance(document.get("Event"), dict):
            raise MispEventInvalid(f'{name} is not a MISP event: there is no "Event" object.')
        return document


def _uuid(value: str) -> str:
    try:
        return str(uuid.UUID(value))
    except ValueError:
        raise MispFeedError(f"{value[:60]!r} is not an event uuid.") from None


def _entry(key: str, entry: Any) -> ManifestEntry | None:
    if not isinstance(entry, dict):
        return None
    try:
        event_uuid = str(uuid.UUID(key))
        timestamp = int(entry["timestamp"])
    except (KeyError, TypeError, ValueError):
        return None
    return ManifestEntry(uuid=event_uuid, timestamp=timestamp)


def _raise_for(response: netguard.Response, name: str) -> None:
    code = response.status_code
    if code == 200:
        return
    if 300 <= code < 400:
        raise MispFeedError(
            f"HTTP {code} for {name}: redirects are not followed; give the final URL.",
            status_code=code,
            permanent=True,
        )
    if code in (401, 403):
        raise MispFeedError(
            f"HTTP {code} for {name}: the feed refused the credentials or headers.",
            status_code=code,
            permanent=True,
        )
    if code == 404:
        raise MispFeedError(f"HTTP 404: the feed has no {name}.", status_code=code)
    raise MispFeedError(
        f"HTTP {code} for {name}.", status_code=code, permanent=400 <= code < 500 and code != 429
    )
