"""Find indicators in free text, defanged or not. Pure: no database, no network.

Types (the `IndicatorType` values) and what is matched:
ipv4, ipv6, cidr (v4 or v6 network), domain (only with a TLD of the Public Suffix List, or
one of the RFC 2606/6761 reserved names), url (http/https/ftp and their defanged forms),
email, md5, sha1, sha256, sha512 (hex of exactly that length), cve, asn (AS64500 / ASN 64500),
attack-technique (T1566, T1566.002).

A value inside a longer one is not reported twice: the host of a URL or the domain of an
e-mail address is part of that URL or address, not a separate indicator.

Why not a library: iocextract 1.16.1, measured on the realistic texts of the test suite,
found every hash but reported 15 URLs for 4 real ones (it turns bare domains and addresses
into http:// URLs), 12 IPv4 values for 8 (network addresses of CIDRs, parts of versions),
times such as 12:30:45 as IPv6 addresses, and 8 e-mail addresses for 7 with 4 of them glued
to the word before ("andaccounts-payable@..."); it extracts no domains, CVE, ASN or ATT&CK
ids. Fixing that around it would cost more than these patterns.
"""

import ipaddress
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

import tldextract

from sharing.indicator_types import IndicatorType
from sharing.normalize.refang import AT, COLON, DOT, is_defanged, refang


@dataclass(frozen=True, slots=True)
class Extracted:
    """One indicator found in text: its type, normalised value and where it was."""

    type: IndicatorType
    value: str
    start: int
    end: int
    original: str


# Names reserved for documentation and testing (RFC 2606, RFC 6761): not public suffixes
# but used in every example, so recognised as domains (and warning-listed unless allowed).
RESERVED_TLDS = frozenset({"example", "test", "invalid", "localhost", "local"})
# Top-level domains that are also common file extensions: "invoice.zip" in a text is far more
# often a file than a host. Matched only when the text defanged it or it has a subdomain path.
FILE_LIKE_TLDS = frozenset({"zip", "mov", "py", "sh", "pl", "rs", "md", "so", "ps", "cc", "do"})


@lru_cache(maxsize=1)
def public_tlds() -> frozenset[str]:
    """Top-level labels of the Public Suffix List snapshot shipped with tldextract (offline)."""
    extractor = tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None)
    return frozenset(suffix.rsplit(".", 1)[-1] for suffix in extractor.tlds)


def has_known_tld(domain: str) -> bool:
    tld = domain.rsplit(".", 1)[-1]
    return tld in public_tlds() or tld in RESERVED_TLDS


_LABEL = r"[a-z0-9](?:[a-z0-9_-]{0,61}[a-z0-9])?"
_TLD = r"(?:[a-z]{2,63}|xn--[a-z0-9-]{1,59})"
_DOMAIN = rf"(?:{_LABEL}{DOT})+{_TLD}"
_OCTET = r"\d{1,3}"
_IPV4 = rf"{_OCTET}{DOT}{_OCTET}{DOT}{_OCTET}{DOT}{_OCTET}"
_NOT_BEFORE = r"(?<![\w.@/-])"
_NOT_AFTER_DOMAIN = r"(?![\w-]|\.[a-z0-9])"

_URL_RE = re.compile(
    r"(?<![\w])(?:h(?:tt|xx|XX)ps?|f(?:t|x)p|sftp)(?:://|\[://\]|\[:\]//|:\\\\)"
    r"(?:\[\.\]|\(\.\)|\[dot\]|[^\s<>\"'`()\[\]{}|\\^])+",
    re.IGNORECASE,
)
_EMAIL_RE = re.compile(
    rf"(?<![\w.+%-])[a-z0-9](?:[a-z0-9._%+-]{{0,62}}[a-z0-9_-])?{AT}{_DOMAIN}{_NOT_AFTER_DOMAIN}",
    re.IGNORECASE,
)
_CIDR4_RE = re.compile(rf"(?<![\d.]){_IPV4}/\d{{1,2}}(?![\d/])")
_IPV4_RE = re.compile(rf"(?<![\d.\w]){_IPV4}(?![\d]|\.\d|\[\.\]\d)")
_IPV6_RE = re.compile(
    rf"(?<![\w:.\[])(?:[0-9a-f]{{0,4}}{COLON}){{2,7}}(?:[0-9a-f]{{1,4}}|{_OCTET}\.{_OCTET}\.{_OCTET}\.{_OCTET})?(?:/\d{{1,3}})?(?![\w:])",
    re.IGNORECASE,
)
_HASH_RE = re.compile(
    r"(?<![0-9a-z])(?:[0-9a-f]{128}|[0-9a-f]{64}|[0-9a-f]{40}|[0-9a-f]{32})(?![0-9a-z])",
    re.IGNORECASE,
)
_CVE_RE = re.compile(
    r"(?<![\w-])CVE[-\u2010\u2011]\d{4}[-\u2010\u2011]\d{4,7}(?!\d)", re.IGNORECASE
)
_ASN_RE = re.compile(r"(?<![\w-])(?:AS|ASN\s?)(\d{1,10})(?![\w.])")
_TECHNIQUE_RE = re.compile(r"(?<![\w.-])T1\d{3}(?:\.\d{3})?(?![\w])")
_DOMAIN_RE = re.compile(rf"{_NOT_BEFORE}{_DOMAIN}{_NOT_AFTER_DOMAIN}", re.IGNORECASE)

_HASH_TYPES = {
    32: IndicatorType.MD5,
    40: IndicatorType.SHA1,
    64: IndicatorType.SHA256,
    128: IndicatorType.SHA512,
}
_TRAILING = ".,;:!?'\")]}>"
Converter = Callable[[str], "tuple[IndicatorType, str] | None"]


def normalise_domain(value: str) -> str | None:
    domain = refang(value).strip().rstrip(".").lower()
    if not domain or len(domain) > 253 or "." not in domain:
        return None
    if not re.fullmatch(rf"(?:{_LABEL}\.)+{_TLD}", domain):
        return None
    return domain if has_known_tld(domain) else None


MAX_URL_LENGTH = 2048  # Indicator.value; longer "URLs" are data blobs, not indicators


def normalise_url(value: str) -> str | None:
    url = refang(value.strip()).rstrip(_TRAILING)
    if len(url) > MAX_URL_LENGTH:
        return None
    match = re.match(r"^([a-z][a-z0-9+.-]*)://([^/?#]+)(.*)$", url, re.IGNORECASE)
    if not match:
        return None
    scheme, authority, rest = match.groups()
    host = authority.rsplit("@", 1)[-1]
    port = ""
    if host.startswith("["):
        end = host.find("]")
        host, port = host[: end + 1], host[end + 1 :]
        if normalise_ip(host.strip("[]")) is None:
            return None
    else:
        if ":" in host:
            host, port = host.split(":", 1)
            port = ":" + port
        if normalise_ip(host) is None and normalise_domain(host) is None:
            return None
    if port and not re.fullmatch(r":\d{1,5}", port):
        return None
    userinfo = authority[: -len(authority.rsplit("@", 1)[-1])]
    return f"{scheme.lower()}://{userinfo}{host.lower()}{port}{rest}"


def normalise_email(value: str) -> str | None:
    email = refang(value).strip()
    if email.count("@") != 1:
        return None
    local, domain = email.split("@")
    normalised = normalise_domain(domain)
    if not local or normalised is None:
        return None
    return f"{local.lower()}@{normalised}"


def normalise_ip(value: str) -> str | None:
    try:
        return str(ipaddress.ip_address(refang(value).strip()))
    except ValueError:
        return None


def normalise_cidr(value: str) -> str | None:
    try:
        network = ipaddress.ip_network(refang(value).strip(), strict=False)
    except ValueError:
        return None
    if network.prefixlen == network.max_prefixlen:
        return None
    return str(network)


def normalise_hash(value: str) -> tuple[IndicatorType, str] | None:
    cleaned = value.strip().lower()
    kind = _HASH_TYPES.get(len(cleaned))
    if kind is None or not re.fullmatch(r"[0-9a-f]+", cleaned):
        return None
    if len(set(cleaned)) < 4:  # 000...0, fff...f: placeholders, not hashes
        return None
    return kind, cleaned


def normalise(kind: IndicatorType, value: str) -> str | None:
    """The canonical form of `value` as an indicator of `kind`, or None when it is not one."""
    match kind:
        case IndicatorType.IPV4:
            ip = normalise_ip(value)
            return ip if ip and ":" not in ip else None
        case IndicatorType.IPV6:
            ip = normalise_ip(value)
            return ip if ip and ":" in ip else None
        case IndicatorType.CIDR:
            return normalise_cidr(value)
        case IndicatorType.DOMAIN:
            return normalise_domain(value)
        case IndicatorType.URL:
            return normalise_url(value)
        case IndicatorType.EMAIL:
            return normalise_email(value)
        case IndicatorType.MD5 | IndicatorType.SHA1 | IndicatorType.SHA256 | IndicatorType.SHA512:
            found = normalise_hash(value)
            return found[1] if found and found[0] == kind else None
        case IndicatorType.CVE:
            cve = re.sub(r"[\u2010\u2011]", "-", value.strip().upper())
            return cve if re.fullmatch(r"CVE-\d{4}-\d{4,7}", cve) else None
        case IndicatorType.ASN:
            digits = re.sub(r"^(?:ASN?)\s*", "", value.strip().upper())
            if not digits.isdigit() or not 0 < int(digits) < 2**32:
                return None
            return f"AS{int(digits)}"
        case IndicatorType.ATTACK_TECHNIQUE:
            technique = value.strip().upper()
            return technique if re.fullmatch(r"T1\d{3}(?:\.\d{3})?", technique) else None
    return None


def _url(raw: str) -> tuple[IndicatorType, str] | None:
    value = normalise_url(raw)
    return (IndicatorType.URL, value) if value else None


def _email(raw: str) -> tuple[IndicatorType, str] | None:
    value = normalise_email(raw)
    return (IndicatorType.EMAIL, value) if value else None


def _cidr(raw: str) -> tuple[IndicatorType, str] | None:
    value = normalise_cidr(raw)
    return (IndicatorType.CIDR, value) if value else None


def _ipv4(raw: str) -> tuple[IndicatorType, str] | None:
    value = normalise(IndicatorType.IPV4, raw)
    return (IndicatorType.IPV4, value) if value else None


def _ipv6(raw: str) -> tuple[IndicatorType, str] | None:
    raw = refang(raw)
    if raw.count(":") < 2 or not re.search(r"[0-9a-f]", raw, re.IGNORECASE):
        return None
    if "/" in raw:
        value = normalise_cidr(raw)
        return (IndicatorType.CIDR, value) if value else None
    value = normalise(IndicatorType.IPV6, raw)
    # "::" alone, or a time such as 10:20:30 is not an address worth reporting.
    if not value or value == "::" or (re.fullmatch(r"[\d:]+", raw) and "::" not in raw):
        return None
    return IndicatorType.IPV6, value


def _hash(raw: str) -> tuple[IndicatorType, str] | None:
    return normalise_hash(raw)


def _simple(kind: IndicatorType) -> Converter:
    def convert(raw: str) -> tuple[IndicatorType, str] | None:
        value = normalise(kind, raw)
        return (kind, value) if value else None

    return convert


def _domain(raw: str) -> tuple[IndicatorType, str] | None:
    original = raw
    value = normalise_domain(original)
    if value is None:
        return None
    if value.rsplit(".", 1)[-1] in FILE_LIKE_TLDS and not is_defanged(original):
        return None
    return IndicatorType.DOMAIN, value


# Order matters: longer constructs first, and their spans hide what they contain.
_EXTRACTORS: list[tuple[re.Pattern[str], Converter]] = [
    (_URL_RE, _url),
    (_EMAIL_RE, _email),
    (_CIDR4_RE, _cidr),
    (_IPV4_RE, _ipv4),
    (_IPV6_RE, _ipv6),
    (_HASH_RE, _hash),
    (_CVE_RE, _simple(IndicatorType.CVE)),
    (_ASN_RE, _simple(IndicatorType.ASN)),
    (_TECHNIQUE_RE, _simple(IndicatorType.ATTACK_TECHNIQUE)),
    (_DOMAIN_RE, _domain),
]


def extract(text: str) -> list[Extracted]:
    """Every indicator in `text`, in order of appearance, duplicates included."""
    found: list[Extracted] = []
    working = text
    for pattern, convert in _EXTRACTORS:
        hits: list[tuple[int, int]] = []
        for match in pattern.finditer(working):
            start, end = match.span()
            # URLs end before trailing punctuation; strip it from the span too.
            original = text[start:end]
            stripped = original.rstrip(_TRAILING) if pattern is _URL_RE else original
            end = start + len(stripped)
            result = convert(stripped)
            if result is None:
                continue
            kind, value = result
            found.append(Extracted(kind, value, start, end, text[start:end]))
            hits.append((start, end))
        if hits:
            working = _blank(working, hits)
    found.sort(key=lambda item: item.start)
    return found


def _blank(text: str, spans: list[tuple[int, int]]) -> str:
    """`text` with the spans replaced by spaces of the same length (offsets stay valid)."""
    parts: list[str] = []
    position = 0
    for start, end in spans:
        parts.append(text[position:start])
        parts.append(" " * (end - start))
        position = end
    parts.append(text[position:])
    return "".join(parts)
