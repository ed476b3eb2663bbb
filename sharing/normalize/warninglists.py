"""Warning lists, like MISP's: values that look like indicators but almost never are.

A hit is reported with the list's name and the value is not turned into an indicator unless
the analyst insists. The lists: special-purpose address ranges, documentation and local
names, every member organisation's registered domains (a member's VPN host in a victim
story is not an indicator), benign infrastructure shipped as data with its sources
(data/benign-infrastructure.json: public resolvers, connectivity checks, NTP, IP lookup
services, empty-file hashes), widely used benign domains (data/benign-domains.txt) and
the hosts of shared services (data/shared-hosting.json). A URL with a path on a shared
service stays an indicator: `url_flags` labels it instead. Pure: domains are passed in.
"""

import ipaddress
import json
from collections.abc import Collection, Iterable
from functools import lru_cache
from importlib import resources
from typing import Any

from sharing.normalize.extract import HASH_TYPES, IndicatorType
from sharing.normalize.extract.network import (
    domain_and_parents,
    domain_in,
    ipv4_number,
    url_host,
)
from sharing.normalize.references import reference_domains

DOCUMENTATION_NETWORKS = tuple(
    ipaddress.ip_network(network)
    for network in ("192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24", "2001:db8::/32")
)
DOCUMENTATION_DOMAINS = frozenset({"example.com", "example.net", "example.org"})
DOCUMENTATION_TLDS = frozenset({"example", "test", "invalid"})
LOCAL_TLDS = frozenset({"localhost", "local", "internal", "lan", "home.arpa"})
MEMBER_DOMAINS = "members' registered domains"
OWN_DOMAINS = "the member's own domains"
SHARED_SERVICE = "shared hosting services"
SHARED_SERVICE_LABEL = "hosted-on-shared-service"
REFERENCE_SOURCES = "advisory and reference sources"


def _data(name: str) -> str:
    return resources.files("sharing.normalize").joinpath(f"data/{name}").read_text()


@lru_cache(maxsize=1)
def benign_domains() -> frozenset[str]:
    return frozenset(
        line.strip().lower()
        for line in _data("benign-domains.txt").splitlines()
        if line.strip() and not line.lstrip().startswith("#")
    )


@lru_cache(maxsize=1)
def benign_infrastructure() -> dict[str, str]:
    """Value (IP address, host or hash, lower case) -> the name of its list."""
    document: dict[str, Any] = json.loads(_data("benign-infrastructure.json"))
    values: dict[str, str] = {}
    for entry in document["lists"]:
        for value in entry["values"]:
            key = value.lower()
            if ":" in key:
                key = str(ipaddress.ip_address(key))
            values[key] = entry["name"]
    return values


@lru_cache(maxsize=1)
def shared_services() -> tuple[frozenset[str], frozenset[str]]:
    """Hosts of shared services: (customers get a path, customers get a subdomain)."""
    document: dict[str, Any] = json.loads(_data("shared-hosting.json"))
    return frozenset(document["path"]), frozenset(document["subdomain"])


_DOCUMENTATION = "documentation address ranges"
# IPv4 special-purpose ranges (RFC 6890 and friends) as integer intervals: checking a few
# integers is much faster than ipaddress's is_private & co. for 100,000 addresses.
_IPV4_RANGES: list[tuple[int, int, str]] = [
    (int(network.network_address), int(network.broadcast_address), name)
    for network, name in (
        (ipaddress.IPv4Network("192.0.2.0/24"), _DOCUMENTATION),
        (ipaddress.IPv4Network("198.51.100.0/24"), _DOCUMENTATION),
        (ipaddress.IPv4Network("203.0.113.0/24"), _DOCUMENTATION),
        (ipaddress.IPv4Network("0.0.0.0/32"), "unspecified"),
        (ipaddress.IPv4Network("0.0.0.0/8"), "reserved address ranges"),
        (ipaddress.IPv4Network("10.0.0.0/8"), "private address ranges"),
        (ipaddress.IPv4Network("100.64.0.0/10"), "private address ranges"),
        (ipaddress.IPv4Network("127.0.0.0/8"), "loopback"),
        (ipaddress.IPv4Network("169.254.0.0/16"), "link-local"),
        (ipaddress.IPv4Network("172.16.0.0/12"), "private address ranges"),
        (ipaddress.IPv4Network("192.0.0.0/24"), "reserved address ranges"),
        (ipaddress.IPv4Network("192.168.0.0/16"), "private address ranges"),
        (ipaddress.IPv4Network("198.18.0.0/15"), "reserved address ranges"),
        (ipaddress.IPv4Network("224.0.0.0/4"), "multicast"),
        (ipaddress.IPv4Network("240.0.0.0/4"), "reserved address ranges"),
    )
]


def _ipv4_range(number: int, *, allow_documentation_ranges: bool) -> str | None:
    for first, last, name in _IPV4_RANGES:
        if first <= number <= last:
            if name == _DOCUMENTATION and allow_documentation_ranges:
                return None
            return name
    return None


@lru_cache(maxsize=65536)
def _ip_list(value: str, *, allow_documentation_ranges: bool) -> str | None:
    if "/" not in value and ":" not in value:
        # An IPv4 address or a host name (URL hosts come here too): parsed without building
        # an address object, and a name costs no exceptions. An IPv4 address written by
        # `ipaddress` is the value itself.
        number = ipv4_number(value)
        if number is None:
            return None
        benign = benign_infrastructure().get(value)
        if benign:
            return benign
        return _ipv4_range(number, allow_documentation_ranges=allow_documentation_ranges)
    try:
        if "/" in value:
            address = ipaddress.ip_network(value, strict=False).network_address
        else:
            address = ipaddress.ip_address(value)
            benign = benign_infrastructure().get(str(address))
            if benign:
                return benign
    except ValueError:
        return None
    if address.version == 4:
        return _ipv4_range(int(address), allow_documentation_ranges=allow_documentation_ranges)
    if any(address in doc for doc in DOCUMENTATION_NETWORKS if doc.version == 6):
        return None if allow_documentation_ranges else _DOCUMENTATION
    checks = (
        ("loopback", address.is_loopback),
        ("link-local", address.is_link_local),
        ("multicast", address.is_multicast),
        ("unspecified", address.is_unspecified),
        ("reserved address ranges", address.is_reserved),
        ("private address ranges", address.is_private),
    )
    for name, hit in checks:
        if hit:
            return name
    return None


# The public lists a host can be under, in the order they are consulted: a host under two
# (a vendor's CDN that is also a reference source) is reported under the first.
_DOCUMENTATION_RANK, _BENIGN_HOST, _REFERENCE, _SUBDOMAIN_SERVICE, _PATH_SERVICE, _BENIGN = range(6)


@lru_cache(maxsize=1)
def _public_table() -> dict[str, tuple[tuple[int, str], ...]]:
    """Every host of the public lists -> the lists it is on (rank, list name), by rank.

    One table instead of six sets: each value's parents are looked up once, not once per
    list (a text's hosts all go through here, most of them on no list).
    """
    path_services, subdomain_services = shared_services()
    entries: dict[str, list[tuple[int, str]]] = {}
    lists: list[tuple[int, Iterable[tuple[str, str]]]] = [
        (_DOCUMENTATION_RANK, ((host, "documentation domains") for host in DOCUMENTATION_DOMAINS)),
        (_BENIGN_HOST, benign_infrastructure().items()),
        (_REFERENCE, ((host, REFERENCE_SOURCES) for host in reference_domains())),
        (_SUBDOMAIN_SERVICE, ((host, SHARED_SERVICE) for host in subdomain_services)),
        (_PATH_SERVICE, ((host, SHARED_SERVICE) for host in path_services)),
        (_BENIGN, ((host, "common benign domains") for host in benign_domains())),
    ]
    for rank, hosts in lists:
        for host, name in hosts:
            entries.setdefault(host, []).append((rank, name))
    return {host: tuple(sorted(found)) for host, found in entries.items()}


@lru_cache(maxsize=65536)
def _public_hits(domain: str) -> dict[int, tuple[str, str]]:
    """The public lists `domain` (or a parent) is on: rank -> (the listed host nearest to
    `domain`, the list's name)."""
    table = _public_table()
    hits: dict[int, tuple[str, str]] = {}
    for suffix in domain_and_parents(domain):
        for rank, name in table.get(suffix, ()):
            hits.setdefault(rank, (suffix, name))
    return hits


def _domain_list(
    domain: str,
    *,
    own_domains: Collection[str],
    member_domains: Collection[str],
    allow_documentation_ranges: bool,
) -> str | None:
    if domain_in(domain, own_domains):
        return OWN_DOMAINS
    if domain_in(domain, member_domains):
        return MEMBER_DOMAINS
    return _public_domain_list(domain, allow_documentation_ranges=allow_documentation_ranges)


@lru_cache(maxsize=65536)
def _public_domain_list(domain: str, *, allow_documentation_ranges: bool) -> str | None:
    """The lists that do not depend on who submits: the same answer for every member."""
    tld = domain.rsplit(".", 1)[-1]
    if tld in LOCAL_TLDS or domain.endswith(".home.arpa"):
        return "local names"
    hits = _public_hits(domain)
    if tld in DOCUMENTATION_TLDS or _DOCUMENTATION_RANK in hits:
        return None if allow_documentation_ranges else "documentation domains"
    if not hits:
        return None
    rank = min(hits)
    if rank == _SUBDOMAIN_SERVICE:
        # abc123.cloudfront.net belongs to one customer; cloudfront.net to everyone.
        tenant_of = hits[rank][0]
        return SHARED_SERVICE if domain in (tenant_of, f"www.{tenant_of}") else None
    return hits[rank][1]


def _on_shared_service(host: str) -> bool:
    hits = _public_hits(host)
    return _SUBDOMAIN_SERVICE in hits or _PATH_SERVICE in hits


def _on_shared_service_with_path(url: str) -> bool:
    if not _on_shared_service(url_host(url).lower()):
        return False
    rest = url.split("://", 1)[-1]
    path = rest[len(rest.split("/", 1)[0]) :]
    return path.strip("/?#") != ""


@lru_cache(maxsize=65536)
def url_flags(url: str) -> tuple[str, ...]:
    """Labels for a URL that stays an indicator: one on a shared service is flagged."""
    return (SHARED_SERVICE_LABEL,) if _on_shared_service(url_host(url).lower()) else ()


@lru_cache(maxsize=65536)
def domain_flags(domain: str) -> tuple[str, ...]:
    """A customer's own host on a subdomain service (abc123.cloudfront.net) is flagged."""
    return (SHARED_SERVICE_LABEL,) if _SUBDOMAIN_SERVICE in _public_hits(domain) else ()


def warning_list_for(
    kind: IndicatorType,
    value: str,
    *,
    own_domains: Collection[str],
    member_domains: Collection[str] = (),
    allow_documentation_ranges: bool,
) -> str | None:
    """The name of the warning list `value` is on, or None when it is a usable indicator.

    `own_domains` and `member_domains` are in lower case (callers normalise them once: a
    portal has thousands of member domains and a text thousands of values).
    """
    own = own_domains
    members = member_domains
    match kind:
        case IndicatorType.IPV4 | IndicatorType.IPV6 | IndicatorType.CIDR:
            return _ip_list(value, allow_documentation_ranges=allow_documentation_ranges)
        case IndicatorType.DOMAIN:
            return _domain_list(
                value,
                own_domains=own,
                member_domains=members,
                allow_documentation_ranges=allow_documentation_ranges,
            )
        case IndicatorType.URL:
            host = url_host(value).lower()
            address_list = _ip_list(host, allow_documentation_ranges=allow_documentation_ranges)
            if address_list:
                return address_list
            host_list = _domain_list(
                host,
                own_domains=own,
                member_domains=members,
                allow_documentation_ranges=allow_documentation_ranges,
            )
            if host_list in (OWN_DOMAINS, MEMBER_DOMAINS, "local names", "documentation domains"):
                return host_list
            if host_list and _on_shared_service_with_path(value):
                return None  # a file on a shared service: kept, labelled by url_flags
            return host_list
        case IndicatorType.EMAIL:
            # Attackers use free-mail providers, so only members' addresses and
            # documentation addresses are listed; victims' addresses are scrubbed instead.
            domain = value.rsplit("@", 1)[-1]
            if domain_in(domain, own):
                return OWN_DOMAINS
            if domain_in(domain, members):
                return MEMBER_DOMAINS
            if domain.rsplit(".", 1)[-1] in DOCUMENTATION_TLDS | LOCAL_TLDS or domain_in(
                domain, DOCUMENTATION_DOMAINS
            ):
                return None if allow_documentation_ranges else "documentation domains"
        case _ if kind in HASH_TYPES:
            return benign_infrastructure().get(value.lower())
    return None
