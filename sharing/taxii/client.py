"""An outbound TAXII 2.1 client: reading a peer's collections and adding objects to one.

Every request goes through the SSRF guard (sharing.fanout.netguard): the host is resolved
and checked on each request, redirects are never followed, and each request has a total
deadline. Pages are read one at a time (`object_pages`), so a collection of any size is
never held in memory; the caller stores a page and its cursor before asking for the next.
"""

import base64
import json
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, urlencode

import httpx

from sharing.fanout import netguard

TAXII_ACCEPT = "application/taxii+json;version=2.1"


class TaxiiClientError(Exception):
    """The peer could not be read or written; the message says why, for the status page."""

    def __init__(self, message: str, *, status_code: int | None = None) -> None:
        super().__init__(message)
        self.status_code = status_code


@dataclass(frozen=True)
class Credentials:
    """How to sign in to the peer: basic (user and password), bearer (token) or none."""

    kind: str = "none"
    username: str = ""
    secret: str = ""

    def headers(self) -> dict[str, str]:
        if self.kind == "basic":
            pair = f"{self.username}:{self.secret}".encode()
            return {"Authorization": "Basic " + base64.b64encode(pair).decode()}
        if self.kind == "bearer":
            return {"Authorization": f"Bearer {self.secret}"}
        return {}


@dataclass(frozen=True)
class ObjectPage:
    """One page of a collection's objects and where to go on from it."""

    objects: list[dict[str, Any]]
    more: bool
    next: str
    # X-TAXII-Date-Added-First / -Last: the range of `date_added` the page covers.
    date_added_first: str
    date_added_last: str


@dataclass
class TaxiiClient:
    """One peer's API root (".../api1/"), with its credentials and the allow-list."""

    api_root_url: str
    credentials: Credentials = field(default_factory=Credentials)
    allowed: list[netguard.IPNetwork] = field(default_factory=list)
    timeout: float = 60.0
    max_page_bytes: int = 64 * 1024 * 1024
    http: httpx.Client | None = None

    def _url(self, *parts: str) -> str:
        root = self.api_root_url if self.api_root_url.endswith("/") else self.api_root_url + "/"
        return root + "".join(quote(part, safe="") + "/" for part in parts)

    def _call(
        self, method: str, url: str, *, content: bytes | None = None
    ) -> netguard.FullResponse:
        headers = {"Accept": TAXII_ACCEPT, "User-Agent": "isac-portal-peers/1"}
        headers.update(self.credentials.headers())
        if content is not None:
            headers["Content-Type"] = TAXII_ACCEPT
        try:
            response = netguard.request(
                method,
                url,
                headers=headers,
                content=content,
                allowed=self.allowed,
                timeout=self.timeout,
                max_bytes=self.max_page_bytes,
                client=self.http,
            )
        except netguard.BlockedDestination as error:
            raise TaxiiClientError(f"Refused: {error}") from None
        except netguard.ResponseTooLarge as error:
            raise TaxiiClientError(str(error)) from None
        except httpx.TimeoutException:
            raise TaxiiClientError(f"The peer did not answer within {self.timeout:g} s.") from None
        except httpx.HTTPError as error:
            raise TaxiiClientError(f"Could not connect: {error}"[:300]) from None
        if not 200 <= response.status_code < 300:
            raise TaxiiClientError(
                f"HTTP {response.status_code} from {url}: {_detail(response.content)}",
                status_code=response.status_code,
            )
        return response

    def _json(self, response: netguard.FullResponse) -> dict[str, Any]:
        try:
            body = json.loads(response.content or b"{}")
        except ValueError:
            raise TaxiiClientError("The peer answered with something that is not JSON.") from None
        if not isinstance(body, dict):
            raise TaxiiClientError("The peer's answer is not a JSON object.")
        return body

    def collections(self) -> list[dict[str, Any]]:
        body = self._json(self._call("GET", self._url("collections")))
        return [c for c in body.get("collections") or [] if isinstance(c, dict)]

    def object_page(
        self, collection_id: str, *, added_after: str = "", next_cursor: str = "", limit: int = 500
    ) -> ObjectPage:
        query: dict[str, str] = {"limit": str(limit)}
        if added_after:
            query["added_after"] = added_after
        if next_cursor:
            query["next"] = next_cursor
        url = self._url("collections", collection_id, "objects") + "?" + urlencode(query)
        response = self._call("GET", url)
        body = self._json(response)
        objects = [obj for obj in body.get("objects") or [] if isinstance(obj, dict)]
        headers = {key.lower(): value for key, value in response.headers.items()}
        return ObjectPage(
            objects=objects,
            more=bool(body.get("more")),
            next=str(body.get("next") or ""),
            date_added_first=headers.get("x-taxii-date-added-first", ""),
            date_added_last=headers.get("x-taxii-date-added-last", ""),
        )

    def object_pages(
        self, collection_id: str, *, added_after: str = "", next_cursor: str = "", limit: int = 500
    ) -> Iterator[ObjectPage]:
        """Pages from `added_after` on, following `next` while the server has more. A
        server that pages without `next` is followed by `added_after` alone."""
        while True:
            page = self.object_page(
                collection_id, added_after=added_after, next_cursor=next_cursor, limit=limit
            )
            yield page
            if not page.more or not page.objects:
                return
            if page.next:
                next_cursor = page.next
            elif page.date_added_last and page.date_added_last != added_after:
                added_after, next_cursor = page.date_added_last, ""
            else:
                return

    def add_objects(
        self, collection_id: str, objects: Iterable[Mapping[str, Any]]
    ) -> dict[str, Any]:
        """POST an envelope; returns the status resource the peer answered with."""
        content = json.dumps({"objects": list(objects)}, separators=(",", ":")).encode()
        url = self._url("collections", collection_id, "objects")
        return self._json(self._call("POST", url, content=content))

    def status(self, status_id: str) -> dict[str, Any]:
        return self._json(self._call("GET", self._url("status", status_id)))


def _detail(content: bytes) -> str:
    try:
        body = json.loads(content)
    except ValueError:
        return content[:200].decode("utf-8", errors="replace")
    if isinstance(body, dict):
        return str(body.get("title") or "") + (
            f" ({body['description']})" if body.get("description") else ""
        )
    return ""
