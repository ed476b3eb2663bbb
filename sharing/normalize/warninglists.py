"""Warning lists, like MISP's: values that look like indicators but almost never are.

A hit is reported with the list's name and the value is not turned into an indicator unless
the analyst insists. Pure: the member's own domains are passed in.
"""

import ipaddress
from collections.abc import Collection
from functools import lru_cache
from importlib import resources

from sharing.normalize.extract import IndicatorType

DOCUMENTATION_NETWORKS = tuple(
    ipaddress.ip_network(network)
    for network in ("192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24", "2001:db8::/32")
)
DOCUMENTATION_DOMAINS = frozenset({"example.com", "example.net", "example.org"})
DOCUMENTATION_TLDS = frozenset({"example", "test", "invalid"})
LOCAL_TLDS = frozenset({"localhost", "local", "internal", "lan", "home.arpa"})


@lru_cache(maxsize=1)
def benign_domains() -> frozenset[str]:
    text = resources.files("sharing.normalize").joinpath("data/benign-domains.txt").read_text()
    return frozenset(
        line.strip().lower()
        for line in text.splitlines()
        if line.strip() and not line.lstrip().startswith("#")
    )


def _domain_in(domain: str, domains: Collection[str]) -> bool:
    """`domain` is one of `domains` or a subdomain of one."""
    labels = domain.split(".")
    return any(".".join(labels[i:]) in domains for i in range(len(labels) - 1))


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


def _ip_list(value: str, *, allow_documentation_ranges: bool) -> str | None:
    try:
        if "/" in value:
            address = ipaddress.ip_network(value, strict=False).network_address
        else:
            address = ipaddress.ip_address(value)
    except ValueError:
        return None
    if address.version == 4:
        number = int(address)
        for first, last, name in _IPV4_RANGES:
            if first <= number <= last:
                if name == _DOCUMENTATION and allow_documentation_ranges:
                    return None
                return name
        return None
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


def _domain_list(
    domain: str, *, own_domains: Collection[str], allow_documentation_ranges: bool
) -> str | None:
    if _domain_in(domain, own_domains):
        return "the member's own domains"
    tld = domain.rsplit(".", 1)[-1]
    if tld in LOCAL_TLDS or domain.endswith(".home.arpa"):
        return "local names"
    if tld in DOCUMENTATION_TLDS or _domain_in(domain, DOCUMENTATION_DOMAINS):
        return None if allow_documentation_ranges else "documentation domains"
    if _domain_in(domain, benign_domains()):
        return "common benign domains"
    return None


def url_host(url: str) -> str:
    authority = url.split("://", 1)[-1].split("/", 1)[0].split("?", 1)[0].split("#", 1)[0]
    host = authority.rsplit("@", 1)[-1]
    if host.startswith("["):
        return host[1 : host.find("]")]
    return host.split(":", 1)[0]


def warning_list_for(
    kind: IndicatorType,
    value: str,
    *,
    own_domains: Collection[str],
    allow_documentation_ranges: bool,
) -> str | None:
    """The name of the warning list `value` is on, or None when it is a usable indicator."""
    own = {domain.lower() for domain in own_domains}
    match kind:
        case IndicatorType.IPV4 | IndicatorType.IPV6 | IndicatorType.CIDR:
            return _ip_list(value, allow_documentation_ranges=allow_documentation_ranges)
        case IndicatorType.DOMAIN:
            return _domain_list(
                value, own_domains=own, allow_documentation_ranges=allow_documentation_ranges
            )
        case IndicatorType.URL:
            host = url_host(value)
            return _ip_list(
                host, allow_documentation_ranges=allow_documentation_ranges
            ) or _domain_list(
                host, own_domains=own, allow_documentation_ranges=allow_documentation_ranges
            )
        case IndicatorType.EMAIL:
            # Attackers use free-mail providers, so only the member's own addresses and
            # documentation addresses are listed; victims' addresses are scrubbed instead.
            domain = value.rsplit("@", 1)[-1]
            if _domain_in(domain, own):
                return "the member's own domains"
            if domain.rsplit(".", 1)[-1] in DOCUMENTATION_TLDS | LOCAL_TLDS or _domain_in(
                domain, DOCUMENTATION_DOMAINS
            ):
                return None if allow_documentation_ranges else "documentation domains"
    return None
