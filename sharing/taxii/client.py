"""An outbound TAXII 2.1 client: how the portal talks to other organisations' TAXII servers.

Government partners and peer ISACs run TAXII 2.1 servers the portal pushes to (and may
read from). Their addresses are typed in by ISAC admins, so every request goes through the
SSRF guard (sharing.fanout.netguard): each hop (the add-objects request, every status
read, every page of objects) resolves and checks the host again, connects to the checked
address only and never follows a redirect. URLs are built from the configured API root
alone; nothing the server answers is used as a URL (`next` is a query parameter).

Authentication is one of: none, HTTP Basic, a bearer token, or a client certificate and
its key (what CISA's AIS asks for); a server whose certificate is signed by a private
authority can be given that authority's certificate.

    client = TaxiiClient(api_root="https://taxii.example.gov/api1/", credentials=...,
                         allowed=allowed_networks())
    status = client.add_objects(collection_id, objects)       # POST, 202 + status
    status = client.wait_for_status(status.id, timeout=30)     # GET .../status/{id}/
    for page in client.iter_object_pages(collection_id, added_after=since):
        ...                                                    # follows `next`
    client.close()

Nothing here touches the database; callers decide what to send and record what came back.
"""

import base64
import json
import ssl
import tempfile
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode, urlsplit

import httpx

from sharing.fanout import netguard

TAXII_MEDIA_TYPE = "application/taxii+json;version=2.1"
USER_AGENT = "isac-portal-taxii-client/1"
# A page of objects or a status is at most this long (a hostile server cannot fill memory).
MAX_RESPONSE_BYTES = 64 * 1024 * 1024


class AuthKind(StrEnum):
    NONE = "none"
    BASIC = "basic"
    BEARER = "bearer"
    CERTIFICATE = "certificate"


AUTH_KIND_LABELS: dict[AuthKind, str] = {
    AuthKind.NONE: "None",
    AuthKind.BASIC: "HTTP Basic (user name and password)",
    AuthKind.BEARER: "Bearer token",
    AuthKind.CERTIFICATE: "Client certificate and key",
}


@dataclass(frozen=True, repr=False)
class Credentials:
    """How to authenticate to one server. Plain text: decrypt just before use, never log.

    `ca_certificate_pem` (optional, any kind) is the authority that signed the server's own
    certificate, for servers outside the public trust store.
    """

    kind: AuthKind = AuthKind.NONE
    username: str = ""
    password: str = ""
    token: str = ""
    certificate_pem: str = ""
    key_pem: str = ""
    ca_certificate_pem: str = ""

    def __repr__(self) -> str:  # never print a secret by accident
        return f"Credentials(kind={self.kind.value!r})"

    def problems(self) -> list[str]:
        """What is missing for the chosen kind, in words for an admin; empty when complete."""
        if self.kind == AuthKind.BASIC and not (self.username and self.password):
            return ["HTTP Basic needs a user name and a password."]
        if self.kind == AuthKind.BASIC and ":" in self.username:
            return ["An HTTP Basic user name cannot contain a colon."]
        if self.kind == AuthKind.BEARER and not self.token.strip():
            return ["Give the bearer token."]
        if self.kind == AuthKind.CERTIFICATE and not (self.certificate_pem and self.key_pem):
            return ["A client certificate needs both the certificate and its private key (PEM)."]
        return []

    def headers(self) -> dict[str, str]:
        if self.kind == AuthKind.BASIC:
            pair = f"{self.username}:{self.password}".encode()
            return {"Authorization": "Basic " + base64.b64encode(pair).decode()}
        if self.kind == AuthKind.BEARER:
            return {"Authorization": f"Bearer {self.token.strip()}"}
        return {}


def ssl_context_for(credentials: Credentials) -> ssl.SSLContext | None:
    """The TLS context a server needs beyond the defaults: a client certificate, a private
    authority. None when the system's defaults do.

    `ssl` loads certificates and keys from files only, so the PEM text is written to a
    private temporary directory for the moment it is read and removed at once.
    """
    wants_certificate = credentials.kind == AuthKind.CERTIFICATE
    if not wants_certificate and not credentials.ca_certificate_pem.strip():
        return None
    context = httpx.create_ssl_context(trust_env=False)
    try:
        if credentials.ca_certificate_pem.strip():
            context.load_verify_locations(cadata=credentials.ca_certificate_pem)
        if wants_certificate:
            with tempfile.TemporaryDirectory(prefix="taxii-") as folder:
                certificate = Path(folder) / "certificate.pem"
                key = Path(folder) / "key.pem"
                for path, text in (
                    (certificate, credentials.certificate_pem),
                    (key, credentials.key_pem),
                ):
                    path.touch(mode=0o600)
                    path.write_text(text)
                context.load_cert_chain(certfile=str(certificate), keyfile=str(key))
    except (ssl.SSLError, ValueError) as error:
        raise TaxiiError(
            f"The certificate or key cannot be used: {error}", permanent=True
        ) from None
    return context


class TaxiiError(Exception):
    """A request failed. `permanent`: sending the same request again will not help until
    someone changes something (credentials, the collection, the URL); otherwise retry later.
    """

    def __init__(
        self,
        message: str,
        *,
        status_code: int | None = None,
        permanent: bool = False,
        body: str = "",
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status_code = status_code
        self.permanent = permanent
        self.body = body


@dataclass(frozen=True)
class Status:
    """A TAXII 2.1 status resource: what the server did with an add-objects request."""

    id: str
    status: str  # "complete" or "pending"
    total_count: int = 0
    success_count: int = 0
    failure_count: int = 0
    pending_count: int = 0
    successes: tuple[dict[str, Any], ...] = ()
    failures: tuple[dict[str, Any], ...] = ()
    pendings: tuple[dict[str, Any], ...] = ()
    request_timestamp: str = ""

    @property
    def is_complete(self) -> bool:
        return self.status == "complete"

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> "Status":
        def details(name: str) -> tuple[dict[str, Any], ...]:
            value = data.get(name) or ()
            return tuple(item for item in value if isinstance(item, dict))

        def count(name: str) -> int:
            value = data.get(name, 0)
            return value if isinstance(value, int) and value >= 0 else 0

        if not isinstance(data.get("id"), str) or not isinstance(data.get("status"), str):
            raise TaxiiError("The server's status resource has no id or status.")
        return cls(
            id=data["id"],
            status=data["status"],
            total_count=count("total_count"),
            success_count=count("success_count"),
            failure_count=count("failure_count"),
            pending_count=count("pending_count"),
            successes=details("successes"),
            failures=details("failures"),
            pendings=details("pendings"),
            request_timestamp=str(data.get("request_timestamp", "")),
        )

    def as_record(self) -> dict[str, Any]:
        """The status as kept on record (counts and the ids the server named)."""
        return {
            "id": self.id,
            "status": self.status,
            "total_count": self.total_count,
            "success_count": self.success_count,
            "failure_count": self.failure_count,
            "pending_count": self.pending_count,
            "failures": [dict(item) for item in self.failures],
        }


@dataclass(frozen=True)
class Page:
    """One page of objects: the objects, whether there are more, and how to ask for them."""

    objects: list[dict[str, Any]]
    more: bool = False
    next: str = ""
    date_added_first: str = ""
    date_added_last: str = ""


@dataclass
class TaxiiClient(netguard.HoldsHttpClient):
    """A connection to one API root of one TAXII 2.1 server.

    `allowed` are the private ranges the SSRF guard lets through (the portal's
    FANOUT_ALLOWED_NETWORKS and the ranges ISAC admins allowed); everything else private,
    loopback or link-local is refused before connecting. `timeout` is the total time one
    request may take.
    """

    api_root: str
    credentials: Credentials = field(default_factory=Credentials)
    allowed: Sequence[netguard.IPNetwork] = ()
    timeout: float = 30.0
    _http: httpx.Client | None = field(default=None, init=False, repr=False)

    def __post_init__(self) -> None:
        self.api_root = normalise_api_root(self.api_root)
        problems = self.credentials.problems()
        if problems:
            raise TaxiiError(" ".join(problems), permanent=True)

    # --- Lifetime ---------------------------------------------------------------------------

    def _client(self) -> httpx.Client:
        if self._http is None:
            self._http = netguard.http_client(
                ssl_context=ssl_context_for(self.credentials), max_connections=4
            )
        return self._http

    # --- Requests ---------------------------------------------------------------------------

    def _request(
        self,
        method: str,
        url: str,
        *,
        body: Any = None,
        expect: Iterable[int] = (200,),
    ) -> tuple[Any, Mapping[str, str]]:
        headers = {
            "Accept": TAXII_MEDIA_TYPE,
            "User-Agent": USER_AGENT,
            **self.credentials.headers(),
        }
        content = None
        if body is not None:
            content = json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode()
            headers["Content-Type"] = TAXII_MEDIA_TYPE
        try:
            response = netguard.request(
                method,
                url,
                headers=headers,
                content=content,
                allowed=self.allowed,
                timeout=self.timeout,
                client=self._client(),
                max_bytes=MAX_RESPONSE_BYTES,
            )
        except netguard.BlockedDestination as error:
            raise TaxiiError(f"Refused: {error}", permanent=True) from None
        except httpx.TimeoutException:
            raise TaxiiError(
                f"The server did not answer within {self.timeout:g} seconds."
            ) from None
        except httpx.HTTPError as error:
            raise TaxiiError(f"Could not connect: {error}"[:500]) from None
        code = response.status_code
        if code not in tuple(expect):
            raise _error_for(code, response)
        if not response.content:
            return {}, response.headers
        try:
            data = json.loads(response.content)
        except ValueError:
            raise TaxiiError(
                f"HTTP {code}: the answer is not JSON.", status_code=code, body=response.text
            ) from None
        if not isinstance(data, dict):
            raise TaxiiError(f"HTTP {code}: the answer is not a JSON object.", status_code=code)
        return data, response.headers

    # --- Discovery and collections -----------------------------------------------------------

    def discover(self, server_url: str) -> dict[str, Any]:
        """The server's discovery resource (GET https://host/taxii2/)."""
        data, _ = self._request("GET", _with_slash(server_url))
        return dict(data)

    def api_root_information(self) -> dict[str, Any]:
        data, _ = self._request("GET", self.api_root)
        return dict(data)

    def collections(self) -> list[dict[str, Any]]:
        data, _ = self._request("GET", self.api_root + "collections/")
        return [c for c in data.get("collections", []) if isinstance(c, dict)]

    def collection(self, collection_id: str) -> dict[str, Any]:
        data, _ = self._request("GET", self._collection_url(collection_id))
        return dict(data)

    def _collection_url(self, collection_id: str) -> str:
        return f"{self.api_root}collections/{quote(collection_id.strip(), safe='')}/"

    # --- Adding objects ----------------------------------------------------------------------

    def add_objects(self, collection_id: str, objects: "Envelope") -> Status:
        """POST the objects to the collection as a TAXII 2.1 envelope; the server's status.

        `objects` is a list of STIX objects, an envelope (`{"objects": [...]}`) or a STIX
        bundle (its objects are sent). The server answers 202 with a status resource.
        """
        envelope = {"objects": list(envelope_objects(objects))}
        data, _ = self._request(
            "POST", self._collection_url(collection_id) + "objects/", body=envelope, expect=(202,)
        )
        return Status.from_json(data)

    def status(self, status_id: str) -> Status:
        data, _ = self._request("GET", f"{self.api_root}status/{quote(status_id, safe='')}/")
        return Status.from_json(data)

    def wait_for_status(
        self, status_id: str, *, timeout: float = 30.0, every: float = 1.0
    ) -> Status:
        """Read the status until it is complete or `timeout` seconds have passed (then the
        last status read, still pending)."""
        ends = time.monotonic() + timeout
        while True:
            status = self.status(status_id)
            if status.is_complete or time.monotonic() + every > ends:
                return status
            time.sleep(every)

    # --- Reading objects ---------------------------------------------------------------------

    def get_objects(
        self,
        collection_id: str,
        *,
        added_after: datetime | str | None = None,
        limit: int | None = None,
        next: str = "",
        match: Mapping[str, str | Sequence[str]] | None = None,
    ) -> Page:
        """One page of the collection's objects (GET .../objects/)."""
        params: list[tuple[str, str]] = []
        if added_after is not None:
            params.append(("added_after", _timestamp(added_after)))
        if limit is not None:
            params.append(("limit", str(limit)))
        if next:
            params.append(("next", next))
        for name, value in (match or {}).items():
            values = [value] if isinstance(value, str) else list(value)
            params.append((f"match[{name}]", ",".join(values)))
        url = self._collection_url(collection_id) + "objects/"
        if params:
            url += "?" + urlencode(params)
        data, headers = self._request("GET", url)
        objects = [o for o in data.get("objects", []) if isinstance(o, dict)]
        next_token = data.get("next")
        return Page(
            objects=objects,
            more=bool(data.get("more")),
            next=next_token if isinstance(next_token, str) else "",
            date_added_first=headers.get("x-taxii-date-added-first", ""),
            date_added_last=headers.get("x-taxii-date-added-last", ""),
        )

    def iter_object_pages(
        self,
        collection_id: str,
        *,
        added_after: datetime | str | None = None,
        limit: int | None = None,
        match: Mapping[str, str | Sequence[str]] | None = None,
        max_pages: int = 10_000,
    ) -> Iterator[Page]:
        """Every page of objects added after `added_after`, following the server's `next`
        token (or, from a server that gives none, the last page's X-TAXII-Date-Added-Last)."""
        page = self.get_objects(collection_id, added_after=added_after, limit=limit, match=match)
        yield page
        for _ in range(max_pages - 1):
            if not page.more:
                return
            if page.next:
                page = self.get_objects(
                    collection_id, added_after=added_after, limit=limit, next=page.next, match=match
                )
            elif page.date_added_last:
                page = self.get_objects(
                    collection_id, added_after=page.date_added_last, limit=limit, match=match
                )
            else:
                raise TaxiiError("The server says there are more objects but not how to get them.")
            yield page
        raise TaxiiError(f"More than {max_pages} pages: stopped reading.")

    def iter_objects(self, collection_id: str, **query: Any) -> Iterator[dict[str, Any]]:
        for page in self.iter_object_pages(collection_id, **query):
            yield from page.objects


Envelope = Sequence[Mapping[str, Any]] | Mapping[str, Any]


def envelope_objects(objects: Envelope) -> Iterator[Mapping[str, Any]]:
    """The STIX objects of a list, an envelope or a bundle."""
    if isinstance(objects, Mapping):
        inner = objects.get("objects", [])
        if not isinstance(inner, list):
            raise TaxiiError("The envelope's objects are not a list.", permanent=True)
        yield from inner
    else:
        yield from objects


def normalise_api_root(url: str) -> str:
    """The API root URL as requests are built from it: http(s), a host, one final slash,
    no query, fragment or credentials."""
    url = url.strip()
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise TaxiiError("The API root is an http:// or https:// URL.", permanent=True)
    if parts.username or parts.password:
        raise TaxiiError("Put credentials in their fields, not in the URL.", permanent=True)
    if parts.query or parts.fragment:
        raise TaxiiError("The API root URL has no query or fragment.", permanent=True)
    return _with_slash(url)


def _with_slash(url: str) -> str:
    return url if url.endswith("/") else url + "/"


def _timestamp(value: datetime | str) -> str:
    if isinstance(value, str):
        return value
    if value.tzinfo is None:
        raise ValueError("added_after must be an aware datetime")
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _error_for(code: int, response: netguard.Response) -> TaxiiError:
    detail = _error_detail(response)
    if 300 <= code < 400:
        return TaxiiError(
            f"HTTP {code}: redirects are not followed; give the final URL.",
            status_code=code,
            permanent=True,
        )
    if code in (401, 403):
        return TaxiiError(
            f"HTTP {code}: the server refused the credentials.{detail}",
            status_code=code,
            permanent=True,
        )
    if code == 404:
        return TaxiiError(
            f"HTTP 404: no such API root, collection or status.{detail}",
            status_code=code,
            permanent=True,
        )
    if code == 413:
        return TaxiiError(
            f"HTTP 413: the server takes smaller requests.{detail}",
            status_code=code,
            permanent=True,
        )
    if code == 429 or code >= 500:
        return TaxiiError(f"HTTP {code}: the server is busy or failing.{detail}", status_code=code)
    return TaxiiError(f"HTTP {code}.{detail}", status_code=code, permanent=400 <= code < 500)


def _error_detail(response: netguard.Response) -> str:
    """The TAXII error message's title, when the server sent one."""
    try:
        data = json.loads(response.content)
    except ValueError:
        return ""
    if isinstance(data, dict) and isinstance(data.get("title"), str):
        return f" {data['title'][:200]}"
    return ""


__all__ = [
    "AUTH_KIND_LABELS",
    "AuthKind",
    "Credentials",
    "Page",
    "Status",
    "TaxiiClient",
    "TaxiiError",
    "envelope_objects",
    "normalise_api_root",
    "ssl_context_for",
]
