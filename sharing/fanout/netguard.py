"""Outbound HTTP that cannot be turned against the portal's own network (SSRF).

A webhook URL is chosen by a member, so the host it names is untrusted: it may be an
address inside the ISAC's network, or a name that resolves to one. Every request resolves
the host once, checks every address it resolves to, and connects to the checked address
only (the host name is still sent in `Host` and used for TLS), so DNS cannot answer
differently between the check and the connection. Redirects are never followed: a public
URL that redirects inward is refused at the first hop.

Every request also has a total deadline. httpx's timeouts apply to each read and write,
so a receiver that answers one byte every few seconds would hold a request for as long as
it likes; the streams below shorten each read and write to what is left of the request's
deadline, which ends it on time whatever the receiver does.

`address_problem` and `parse_networks` are pure; `resolve_checked` and `post` do I/O.
"""

import contextvars
import ipaddress
import socket
import ssl
import time
import typing
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from types import TracebackType
from urllib.parse import urlsplit, urlunsplit

import httpcore
import httpx

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

# Cloud metadata services: never reachable, whatever an allow-list says.
_METADATA = (
    ipaddress.ip_network("169.254.169.254/32"),
    ipaddress.ip_network("169.254.170.2/32"),
    ipaddress.ip_network("fd00:ec2::254/128"),
)
_CGNAT = ipaddress.ip_network("100.64.0.0/10")
_NAT64 = ipaddress.ip_network("64:ff9b::/96")


class BlockedDestination(Exception):
    """The URL may not be contacted; the message says why, for the subscription's owner."""


@dataclass(frozen=True)
class Response:
    status_code: int
    text: str  # the first 500 characters, for messages and logs
    headers: Mapping[str, str]
    content: bytes = b""  # the whole body, up to the caller's `max_bytes`


class ResponseTooLarge(httpx.HTTPError):
    """The answer was longer than the caller allowed (a server answering without end)."""


def parse_networks(values: Iterable[str]) -> list[IPNetwork]:
    return [ipaddress.ip_network(value.strip(), strict=False) for value in values if value.strip()]


# The widest range an ISAC admin may open to webhooks: an on-premises receiver lives in a
# site's range, never in "all of 10/8" (and never in 0.0.0.0/0, which would switch the guard
# off).
WIDEST_ALLOWANCE = {4: 16, 6: 48}


def allowance_problem(network: IPNetwork) -> str | None:
    """Why a private range may not be opened to webhooks, or None when it may.

    Loopback, link-local (which holds the cloud metadata services), metadata addresses and
    the unspecified address stay closed whatever an admin says; so does any range wider
    than a /16 (IPv6: /48).
    """
    widest = WIDEST_ALLOWANCE[network.version]
    inside_closed = _inside(network, _LOOPBACK[network.version]) or _inside(
        network, _LINK_LOCAL[network.version]
    )
    if network.prefixlen < widest and not inside_closed:
        return (
            f"{network} is wider than a /{widest}; allow only the range the receiver is in "
            f"(a /{widest} or narrower)."
        )
    if network.overlaps(_LOOPBACK[network.version]):
        return f"{network} contains loopback addresses (the portal's own host)."
    if network.overlaps(_LINK_LOCAL[network.version]):
        return f"{network} contains link-local addresses, where cloud metadata services live."
    if any(network.version == m.version and network.overlaps(m) for m in _METADATA):
        return f"{network} contains a cloud metadata address."
    if network.network_address.is_unspecified:
        return f"{network} contains the unspecified address."
    return None


def _inside(network: IPNetwork, outer: IPNetwork) -> bool:
    return (
        network.version == outer.version
        and int(outer.network_address) <= int(network.network_address)
        and int(network.broadcast_address) <= int(outer.broadcast_address)
    )


_LOOPBACK: dict[int, IPNetwork] = {
    4: ipaddress.ip_network("127.0.0.0/8"),
    6: ipaddress.ip_network("::1/128"),
}
_LINK_LOCAL: dict[int, IPNetwork] = {
    4: ipaddress.ip_network("169.254.0.0/16"),
    6: ipaddress.ip_network("fe80::/10"),
}


def _embedded_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address.teredo is not None:
        return address.teredo[1]
    if address in _NAT64:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def address_problem(address: IPAddress, *, allowed: Iterable[IPNetwork] = ()) -> str | None:
    """Why the address may not be contacted, or None when it may."""
    if isinstance(address, ipaddress.IPv6Address):
        embedded = _embedded_ipv4(address)
        if embedded is not None:
            problem = address_problem(embedded, allowed=allowed)
            return f"{problem} (inside the IPv6 address {address})" if problem else None
    if any(address in network for network in _METADATA):
        return f"{address} is a cloud metadata address"
    allowed = list(allowed)
    if any(address.version == network.version and address in network for network in allowed):
        return None
    if address.is_loopback:
        return f"{address} is a loopback address"
    if address.is_link_local:
        return f"{address} is a link-local address"
    if address.is_multicast:
        return f"{address} is a multicast address"
    if isinstance(address, ipaddress.IPv4Address) and address in _CGNAT:
        return f"{address} is a carrier-grade NAT address"
    if address.is_private:
        return f"{address} is a private address"
    if address.is_unspecified or address.is_reserved or not address.is_global:
        return f"{address} is a reserved address"
    return None


def resolve_checked(host: str, port: int, *, allowed: Iterable[IPNetwork] = ()) -> IPAddress:
    """Resolve the host and return the one address to connect to, all of them checked."""
    allowed = list(allowed)
    literal = host.strip("[]")
    try:
        addresses: list[IPAddress] = [ipaddress.ip_address(literal)]
    except ValueError:
        try:
            infos = socket.getaddrinfo(literal, port, type=socket.SOCK_STREAM)
        except socket.gaierror as error:
            raise BlockedDestination(f"{host} does not resolve ({error.strerror})") from None
        addresses = []
        for info in infos:
            candidate = ipaddress.ip_address(str(info[4][0]).split("%", 1)[0])
            if candidate not in addresses:
                addresses.append(candidate)
    if not addresses:
        raise BlockedDestination(f"{host} does not resolve")
    for address in addresses:
        problem = address_problem(address, allowed=allowed)
        if problem:
            raise BlockedDestination(f"{host} resolves to a forbidden address: {problem}")
    return addresses[0]


def check_url(url: str, *, allowed: Iterable[IPNetwork] = ()) -> IPAddress:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise BlockedDestination("Only http:// and https:// URLs with a host name are allowed.")
    if parts.username or parts.password:
        raise BlockedDestination("Credentials in the URL are not allowed; use the signing secret.")
    port = parts.port or (443 if parts.scheme == "https" else 80)
    return resolve_checked(parts.hostname, port, allowed=allowed)


# When the request running in this thread must be over (time.monotonic()), if it has one.
_deadline: contextvars.ContextVar[float | None] = contextvars.ContextVar(
    "netguard_deadline", default=None
)


@contextmanager
def deadline(seconds: float) -> Iterator[None]:
    """Every network operation inside ends, at the latest, `seconds` from now."""
    token = _deadline.set(time.monotonic() + seconds)
    try:
        yield
    finally:
        _deadline.reset(token)


def _left(timeout: float | None, expired: type[Exception]) -> float | None:
    """The timeout for one operation: its own, cut to what is left of the deadline."""
    ends = _deadline.get()
    if ends is None:
        return timeout
    left = ends - time.monotonic()
    if left <= 0:
        raise expired("The request's deadline has passed.")
    return left if timeout is None else min(timeout, left)


class _DeadlineStream(httpcore.NetworkStream):
    def __init__(self, stream: httpcore.NetworkStream) -> None:
        self._stream = stream

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._stream.read(max_bytes, _left(timeout, httpcore.ReadTimeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._stream.write(buffer, _left(timeout, httpcore.WriteTimeout))

    def close(self) -> None:
        self._stream.close()

    def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> httpcore.NetworkStream:
        return _DeadlineStream(
            self._stream.start_tls(
                ssl_context, server_hostname, _left(timeout, httpcore.ConnectTimeout)
            )
        )

    def get_extra_info(self, info: str) -> typing.Any:
        return self._stream.get_extra_info(info)


class _DeadlineBackend(httpcore.NetworkBackend):
    """httpcore's own socket backend, with every stream held to the request's deadline."""

    def __init__(self) -> None:
        self._backend = httpcore.SyncBackend()

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: typing.Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.NetworkStream:
        stream = self._backend.connect_tcp(
            host, port, _left(timeout, httpcore.ConnectTimeout), local_address, socket_options
        )
        return _DeadlineStream(stream)

    def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: typing.Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.NetworkStream:
        stream = self._backend.connect_unix_socket(
            path, _left(timeout, httpcore.ConnectTimeout), socket_options
        )
        return _DeadlineStream(stream)

    def sleep(self, seconds: float) -> None:
        self._backend.sleep(seconds)


class _DeadlineTransport(httpx.HTTPTransport):
    """httpx's transport over a connection pool whose streams keep the deadline."""

    def __init__(self, *, limits: httpx.Limits, ssl_context: ssl.SSLContext | None = None) -> None:
        super().__init__(trust_env=False, limits=limits)
        # httpx does not take a network backend; its pool does (httpcore's documented
        # extension point), so the pool is rebuilt with the same limits around ours.
        self._pool = httpcore.ConnectionPool(
            ssl_context=ssl_context or httpx.create_ssl_context(trust_env=False),
            max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=limits.keepalive_expiry,
            network_backend=_DeadlineBackend(),
        )


def http_client(
    *, ssl_context: ssl.SSLContext | None = None, max_connections: int = 64
) -> httpx.Client:
    """The portal's outbound HTTP client: no redirects (each hop would need its own address
    check), no proxy or certificate settings taken from the environment, and every request
    sent by `request` held to a total deadline.

    `ssl_context` carries what one destination needs beyond the system's trust store: a
    client certificate it asks for, or the authority that signed its own certificate.
    """
    limits = httpx.Limits(
        max_connections=max_connections, max_keepalive_connections=max(1, max_connections // 2)
    )
    return httpx.Client(
        follow_redirects=False,
        trust_env=False,
        limits=limits,
        transport=_DeadlineTransport(limits=limits, ssl_context=ssl_context),
    )


class HoldsHttpClient:
    """For a client class that opens one `http_client()` when it first needs it (kept in
    `_http`): closes it, and closes it when used as a context manager."""

    _http: httpx.Client | None

    def close(self) -> None:
        if self._http is not None:
            self._http.close()
            self._http = None

    def __enter__(self) -> typing.Self:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.close()


def post(
    url: str,
    *,
    content: bytes,
    headers: Mapping[str, str],
    allowed: Iterable[IPNetwork] = (),
    timeout: float = 10.0,
    client: httpx.Client | None = None,
) -> Response:
    """POST to the URL over a connection pinned to its checked address; no redirects.

    `timeout` is the total time the request may take, from connecting to the last byte of
    the answer (httpx.TimeoutException when it runs out)."""
    return request(
        "POST",
        url,
        content=content,
        headers=headers,
        allowed=allowed,
        timeout=timeout,
        client=client,
    )


# What `request` keeps of an answer unless the caller says otherwise.
DEFAULT_MAX_BYTES = 1024 * 1024


def request(
    method: str,
    url: str,
    *,
    headers: Mapping[str, str],
    content: bytes | None = None,
    allowed: Iterable[IPNetwork] = (),
    timeout: float = 10.0,
    client: httpx.Client | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> Response:
    """Send one request over a connection pinned to the URL's checked address; no redirects.

    Every call is one hop: a caller that follows a link it was given (a TAXII status, the
    next page) calls this again, and the new URL's host is resolved and checked again.
    `timeout` is the total time the request may take, from connecting to the last byte of
    the answer (httpx.TimeoutException when it runs out); an answer longer than
    `max_bytes` raises ResponseTooLarge.
    """
    parts = urlsplit(url)
    address = check_url(url, allowed=allowed)
    assert parts.hostname is not None  # check_url refused URLs without one
    host_literal = f"[{address}]" if address.version == 6 else str(address)
    netloc = host_literal + (f":{parts.port}" if parts.port else "")
    pinned = urlunsplit((parts.scheme, netloc, parts.path or "/", parts.query, ""))
    host_header = parts.hostname if ":" not in parts.hostname else f"[{parts.hostname}]"
    if parts.port:
        host_header += f":{parts.port}"
    request_headers = {**headers, "Host": host_header}
    # TLS is checked against the URL's host name, not the address connected to.
    extensions = {"sni_hostname": parts.hostname} if parts.scheme == "https" else {}
    own_client = client is None
    http = client or http_client()
    try:
        with (
            deadline(timeout),
            http.stream(
                method,
                pinned,
                content=content,
                headers=request_headers,
                timeout=timeout,
                follow_redirects=False,
                extensions=extensions,
            ) as response,
        ):
            body = bytearray()
            for chunk in response.iter_bytes():
                body.extend(chunk)
                if len(body) > max_bytes:
                    raise ResponseTooLarge(f"The answer is longer than {max_bytes} bytes.")
            encoding = response.encoding or "utf-8"
            return Response(
                status_code=response.status_code,
                text=bytes(body[:2000]).decode(encoding, errors="replace")[:500],
                headers=dict(response.headers),
                content=bytes(body),
            )
    finally:
        if own_client:
            http.close()
