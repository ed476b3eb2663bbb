"""Find indicators in free text, defanged or not. Pure: no database, no network.

Types (the `IndicatorType` values) and what is matched:
- ipv4, ipv6, cidr (v4 or v6 network): not dotted numbers written as versions, sections or
  OIDs ("version 10.0.19041.1", "section 4.2.1.3", "Chrome/119.0.0.0");
- domain: with a TLD of the Public Suffix List or a reserved name (RFC 2606/6761/7686), in
  Unicode too (stored as punycode); not file names ("Payroll_Q4.one"), product names
  ("ASP.NET", "Socket.IO") or package names ("com.tencent.mm") unless defanged;
- url: http(s), ftp and their defanged forms (hxxp, meow, fxp, [://], [.], (dot) ...), the
  schemes exploit strings carry (ldap, rmi, dns in `${jndi:...}`), links wrapped across
  two lines by mail clients, and the original link inside Safe Links / URL Defense rewrites;
- email: not Message-IDs (header values or <machine-made@host> in bodies);
- md5, sha1, sha256, sha512; cve; asn (AS64500, AS 64500, ASN 64500., asn: 64500);
  attack-technique (T1566, T1566.002);
- crypto-wallet: Bitcoin (legacy and Bech32), Litecoin, Dogecoin, Tron with checksums,
  Ethereum, Monero;
- registry-key (hive spelt out), mutex (only where the text calls it one), file-name (only a
  name written next to a hash), user-agent (only where clearly quoted or a header value),
  ja3 (an MD5 labelled JA3) and ja4.

A value inside a longer one is not reported twice: the host of a URL or the domain of an
e-mail address is part of that URL or address; `derived_indicators` offers them separately,
marked as derived.

Why not a library: iocextract 1.16.1 and ioc-finder 9.4.1 were measured on the labelled
corpus in tests/corpus/extraction (bench/extraction.py, docs/benchmarks.md): both report
many more false positives (versions as addresses, file and product names as domains,
URL hosts of references) and neither knows members' domains, JA3/JA4 or mutexes.
"""

import re
from collections.abc import Callable, Iterable, Iterator
from functools import lru_cache

from sharing.normalize.extract.files import (
    find_file_names,
    find_hashes,
    find_mutexes,
    find_registry_keys,
    normalise_hash,
    normalise_registry_key,
)
from sharing.normalize.extract.fingerprints import find_ja3, find_ja4, find_user_agents
from sharing.normalize.extract.network import (
    find_asns,
    find_cidrs,
    find_domains,
    find_emails,
    find_ipv4,
    find_ipv6,
    find_urls,
    normalise_asn,
    normalise_cidr,
    normalise_domain,
    normalise_email,
    normalise_ip,
    normalise_url,
    url_host,
)
from sharing.normalize.extract.types import HASH_TYPES, Extracted, IndicatorType
from sharing.normalize.extract.wallets import find_wallets, is_wallet

__all__ = [
    "HASH_TYPES",
    "Extracted",
    "IndicatorType",
    "derived_indicators",
    "extract",
    "normalise",
]

Finder = Callable[[str, str], Iterator[Extracted]]

# Both cases spelt out instead of re.IGNORECASE, so the engine skips ahead to the next C.
_CVE_RE = re.compile(r"[Cc](?<![\w-][Cc])[Vv][Ee][-\u2010\u2011]\d{4}[-\u2010\u2011]\d{4,7}(?!\d)")
_TECHNIQUE_RE = re.compile(r"T(?<![\w.-]T)1\d{3}(?:\.\d{3})?(?![\w])")


# The canonical forms (normalise).
_HYPHENS = re.compile(r"[\u2010\u2011]")
_CVE = re.compile(r"CVE-\d{4}-\d{4,7}")
_TECHNIQUE = re.compile(r"T1\d{3}(?:\.\d{3})?")


def _simple(pattern: re.Pattern[str], kind: IndicatorType, *, needs: str = "") -> Finder:
    """A finder for `pattern`; with `needs`, only for texts holding it (in lower case)."""

    def find(text: str, working: str) -> Iterator[Extracted]:
        if needs and needs not in working.lower():
            return
        for match in pattern.finditer(working):
            value = normalise(kind, match.group(0))
            if value:
                yield Extracted(kind, value, *match.span(), match.group(0))

    return find


# Order matters: longer constructs first, and their spans hide what they contain (a quoted
# user agent holds a URL, a URL holds a domain, a JA3 fingerprint looks like an MD5).
_FINDERS: list[Finder] = [
    find_user_agents,
    find_urls,
    find_emails,
    find_registry_keys,
    find_cidrs,
    find_ipv4,
    find_ipv6,
    find_wallets,
    find_ja4,
    find_ja3,
    find_hashes,
    _simple(_CVE_RE, IndicatorType.CVE, needs="cve"),
    find_asns,
    _simple(_TECHNIQUE_RE, IndicatorType.ATTACK_TECHNIQUE),
    find_mutexes,
    find_domains,
]


@lru_cache(maxsize=65536)  # pure, and the same values recur (a CVE in every advisory)
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
            cve = _HYPHENS.sub("-", value.strip().upper())
            return cve if _CVE.fullmatch(cve) else None
        case IndicatorType.ASN:
            return normalise_asn(value)
        case IndicatorType.ATTACK_TECHNIQUE:
            technique = value.strip().upper()
            return technique if _TECHNIQUE.fullmatch(technique) else None
        case IndicatorType.CRYPTO_WALLET:
            return value.strip() if is_wallet(value.strip()) else None
        case IndicatorType.REGISTRY_KEY:
            return normalise_registry_key(value)
        case IndicatorType.JA3:
            found = normalise_hash(value)
            return found[1] if found and found[0] == IndicatorType.MD5 else None
        case IndicatorType.JA4:
            ja4 = value.strip().lower()
            return ja4 if re.fullmatch(r"[tqd]\w{9}_[0-9a-f]{12}_[0-9a-f]{12}", ja4) else None
        case IndicatorType.MUTEX | IndicatorType.FILE_NAME | IndicatorType.USER_AGENT:
            cleaned = value.strip()
            return cleaned if 0 < len(cleaned) <= 512 and "\n" not in cleaned else None
    return None


def extract(text: str) -> list[Extracted]:
    """Every indicator in `text`, in order of appearance, duplicates included."""
    found: list[Extracted] = []
    working = text
    last = _FINDERS[-1]
    for finder in _FINDERS:
        hits = list(finder(text, working))
        if hits:
            if finder is not last:  # no finder reads the working text after the last one
                spans = [(hit.start, hit.end) for hit in hits]
                spans.sort()
                working = _blank(working, spans)
            found += [hit for hit in hits if hit.value]
    if any(item.type in HASH_TYPES for item in found):  # file names are read next to hashes
        taken = sorted((item.start, item.end) for item in found)
        found.extend(find_file_names(text, found, taken))
    found.sort(key=lambda item: item.start)
    return found


def derived_indicators(items: Iterable[Extracted]) -> list[Extracted]:
    """The host of each URL and the domain of each e-mail address, marked as derived.

    Block lists work on hosts too: a member whose proxy cannot match whole URLs can still
    block the host. Values the text also wrote on their own are not repeated.
    """
    items = list(items)
    written = {(item.type, item.value) for item in items}
    derived: list[Extracted] = []
    for item in items:
        if item.type == IndicatorType.URL:
            host = url_host(item.value)
            ip = normalise_ip(host)
            if ip:
                kind, value = (IndicatorType.IPV6 if ":" in ip else IndicatorType.IPV4), ip
            else:
                kind, value = IndicatorType.DOMAIN, host.lower()
        elif item.type == IndicatorType.EMAIL:
            kind, value = IndicatorType.DOMAIN, item.value.rsplit("@", 1)[-1]
        else:
            continue
        if (kind, value) in written:
            continue
        written.add((kind, value))
        derived.append(
            Extracted(kind, value, item.start, item.end, item.original, item.value, ("derived",))
        )
    return derived


def _blank(text: str, spans: list[tuple[int, int]]) -> str:
    """`text` with the spans replaced by spaces of the same length (offsets stay valid)."""
    parts: list[str] = []
    position = 0
    for start, end in spans:
        if start < position:
            start = position
        if end <= start:
            continue
        parts.append(text[position:start])
        parts.append(" " * (end - start))
        position = end
    parts.append(text[position:])
    return "".join(parts)
