"""Matching published material against every organisation's watch list, indexed.

Pure functions and plain data, no database: the worker builds a `ProfileIndex` from the
watch lists once (and again only when they change), then asks it about each published
report. Every look-up costs the same with 10 organisations or 10,000 (bench/matching.py):

- domains: a dictionary of registered names; a host's label runs are looked up in it, so
  the host itself and its parents find the organisation (exact, subdomain), and a
  registered name inside a longer host ("login.example-bank.com.evil.tld") is caught as a
  look-alike; typing and homoglyph look-alikes through `lookalike.LookalikeIndex`;
- addresses: the ranges cut into disjoint sorted segments, each with the assets covering
  it, searched by bisection (IPv4 and IPv6 apart);
- ASNs: a dictionary;
- brand names and product names: one Aho-Corasick automaton each (pyahocorasick) over the
  report's text and indicator values, with word boundaries checked;
- products: CPE (vendor, product) in a dictionary, met by the (CVE, CPE) pairs of the
  report's STIX objects; a product's name within a few lines of a CVE id in the text.
"""

import ipaddress
import re
from bisect import bisect_right
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from enum import StrEnum
from functools import lru_cache

import ahocorasick
import tldextract

from sharing.alerts.lookalike import LookalikeIndex, unicode_label
from sharing.alerts.products import Cpe, cpe_covers, cves_in, parse_cpe

# How far (characters) a product's name may be from a CVE id in the text to be about it.
PRODUCT_WINDOW = 200
_HOST_CHARS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789.-")
_ASN_TEXT_RE = re.compile(r"\bASN?\s?(\d{1,10})\b", re.IGNORECASE)


class AssetKind(StrEnum):
    DOMAIN = "domain"
    NETWORK = "network"
    ASN = "asn"
    BRAND = "brand"
    PRODUCT = "product"


class MatchKind(StrEnum):
    DOMAIN = "domain"
    SUBDOMAIN = "subdomain"
    LOOKALIKE = "lookalike"
    ADDRESS = "address"
    ASN = "asn"
    BRAND = "brand"
    PRODUCT = "product"


@dataclass(frozen=True)
class Asset:
    """One entry of an organisation's watch list, as the index needs it."""

    id: int
    organisation_id: int
    kind: str
    value: str
    cpe: str = ""


@dataclass(frozen=True)
class Published:
    """What a report says: its indicators (type, value), its text, and the (CVE, CPE) pairs
    its STIX objects state."""

    observables: tuple[tuple[str, str], ...] = ()
    text: str = ""
    cve_products: frozenset[tuple[str, Cpe]] = frozenset()


@dataclass(frozen=True)
class Match:
    """Why an organisation is concerned: which of its assets, which kind of match, and
    what in the report matched (`matched`), with a sentence for people."""

    asset_id: int
    organisation_id: int
    kind: MatchKind
    matched: str
    reason: str


@lru_cache(maxsize=1)
def _extractor() -> tldextract.TLDExtract:
    # The Public Suffix List snapshot shipped with tldextract: no network access.
    return tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None)


@lru_cache(maxsize=262144)
def split_host(host: str) -> tuple[tuple[str, ...], int]:
    """The host's labels and how many of them form its public suffix."""
    host = host.strip().rstrip(".").lower()
    labels = tuple(host.split("."))
    suffix = _extractor()(host).suffix
    return labels, (suffix.count(".") + 1 if suffix else 0)


def host_of(kind: str, value: str) -> str | None:
    if kind == "domain":
        return value.lower()
    if kind == "url":
        authority = value.split("://", 1)[-1].split("/", 1)[0].split("?", 1)[0].split("#", 1)[0]
        host = authority.rsplit("@", 1)[-1]
        if host.startswith("["):
            return None
        return host.split(":", 1)[0].lower() or None
    if kind == "email" and "@" in value:
        return value.rsplit("@", 1)[1].lower()
    return None


class _Ranges:
    """Address ranges cut into disjoint segments, each listing the assets covering it."""

    def __init__(self, ranges: Iterable[tuple[int, int, int]]) -> None:
        events: dict[int, list[tuple[int, int]]] = {}
        for start, end, asset in ranges:
            events.setdefault(start, []).append((1, asset))
            events.setdefault(end + 1, []).append((-1, asset))
        self.starts: list[int] = []
        self.assets: list[tuple[int, ...]] = []
        active: dict[int, int] = {}
        for point in sorted(events):
            for delta, asset in events[point]:
                active[asset] = active.get(asset, 0) + delta
                if not active[asset]:
                    del active[asset]
            covering = tuple(sorted(active))
            if self.assets and self.assets[-1] == covering:
                continue  # the same assets as the segment before: one segment
            self.starts.append(point)
            self.assets.append(covering)

    def covering(self, start: int, end: int) -> set[int]:
        """Assets whose range overlaps [start, end]."""
        found: set[int] = set()
        index = bisect_right(self.starts, start) - 1
        while index < len(self.starts):
            if index >= 0:
                if self.starts[index] > end:
                    break
                found.update(self.assets[index])
            index += 1
        return found


@dataclass
class _Product:
    asset: Asset
    cpe: Cpe | None
    terms: list[str] = field(default_factory=list)


def _automaton(words: dict[str, list[int]]) -> "ahocorasick.Automaton | None":
    if not words:
        return None
    automaton = ahocorasick.Automaton()
    for word, keys in words.items():
        automaton.add_word(word, (word, tuple(keys)))
    automaton.make_automaton()
    return automaton


def _bounded(text: str, start: int, end: int) -> bool:
    """The match is a whole word (not the inside of another one)."""
    before = text[start - 1] if start > 0 else " "
    after = text[end + 1] if end + 1 < len(text) else " "
    return not before.isalnum() and not after.isalnum()


def _find(
    automaton: "ahocorasick.Automaton | None", text: str
) -> Iterator[tuple[int, str, tuple[int, ...]]]:
    """(start, word, keys) of every whole-word occurrence."""
    if automaton is None or not text:
        return
    for end, (word, keys) in automaton.iter(text):
        start = end - len(word) + 1
        if _bounded(text, start, end):
            yield start, word, keys


class ProfileIndex:
    """Every organisation's watch list, indexed for matching."""

    def __init__(self, assets: Iterable[Asset]) -> None:
        self.assets: dict[int, Asset] = {}
        self._domains: dict[str, list[int]] = {}
        self._lookalikes = LookalikeIndex()
        ranges: dict[int, list[tuple[int, int, int]]] = {4: [], 6: []}
        self._asns: dict[int, list[int]] = {}
        brands: dict[str, list[int]] = {}
        self._cpes: dict[tuple[str, str], list[tuple[Cpe, int]]] = {}
        product_terms: dict[str, list[int]] = {}
        for asset in assets:
            self.assets[asset.id] = asset
            if asset.kind == AssetKind.DOMAIN:
                domain = asset.value.lower()
                self._domains.setdefault(domain, []).append(asset.id)
                labels, suffix = split_host(domain)
                if len(labels) > suffix:
                    self._lookalikes.add(labels[-suffix - 1], asset.id)
            elif asset.kind == AssetKind.NETWORK:
                network = ipaddress.ip_network(asset.value, strict=False)
                ranges[network.version].append(
                    (int(network.network_address), int(network.broadcast_address), asset.id)
                )
            elif asset.kind == AssetKind.ASN:
                self._asns.setdefault(int(asset.value.upper().removeprefix("AS")), []).append(
                    asset.id
                )
            elif asset.kind == AssetKind.BRAND:
                brands.setdefault(asset.value.lower(), []).append(asset.id)
            elif asset.kind == AssetKind.PRODUCT:
                cpe = parse_cpe(asset.cpe) if asset.cpe else None
                if cpe is not None:
                    self._cpes.setdefault(cpe.key, []).append((cpe, asset.id))
                for term in product_terms_of(asset.value, cpe):
                    product_terms.setdefault(term, []).append(asset.id)
        self._ranges = {version: _Ranges(found) for version, found in ranges.items()}
        # Registered domains in running text, for host names the indicator extraction leaves
        # out (an unknown suffix, as in "login.example-bank.com.evil.tld").
        self._domain_words = _automaton(self._domains)
        self._brands = _automaton(brands)
        self._products = _automaton(product_terms)

    # --- one question per kind of indicator ----------------------------------------------

    def match_host(self, host: str) -> Iterator[Match]:
        labels, suffix = split_host(host)
        owners: set[int] = set()
        for start in range(len(labels) - 1):
            for end in range(start + 2, len(labels) + 1):
                for asset_id in self._domains.get(".".join(labels[start:end]), ()):
                    asset = self.assets[asset_id]
                    if end == len(labels):
                        owners.add(asset.organisation_id)
                        kind = MatchKind.DOMAIN if start == 0 else MatchKind.SUBDOMAIN
                        reason = (
                            f"{host} is your domain {asset.value}"
                            if start == 0
                            else f"{host} is a subdomain of your domain {asset.value}"
                        )
                    else:
                        kind = MatchKind.LOOKALIKE
                        reason = (
                            f"{host} contains your domain {asset.value} in front of another "
                            "domain (an impersonation pattern)"
                        )
                    yield Match(asset_id, asset.organisation_id, kind, host, reason)
        # Look-alikes: every label left of the public suffix that is not the real name.
        for position in range(max(len(labels) - suffix, 0)):
            label = labels[position]
            registrable = position == len(labels) - suffix - 1
            for asset_id in self._lookalikes.exact(label) if registrable else ():
                asset = self.assets[asset_id]
                if asset.organisation_id in owners:
                    continue
                yield Match(
                    asset_id,
                    asset.organisation_id,
                    MatchKind.LOOKALIKE,
                    host,
                    f"{host} uses the name of your domain {asset.value} under another suffix",
                )
            for found in self._lookalikes.similar(label):
                asset = self.assets[found.key]
                if asset.organisation_id in owners:
                    continue
                how = {
                    "homoglyph": "looks like (homoglyphs)",
                    "typo": "is one typing mistake away from",
                    "combination": "combines extra words with",
                }[found.how]
                shown = unicode_label(label)
                yield Match(
                    found.key,
                    asset.organisation_id,
                    MatchKind.LOOKALIKE,
                    host,
                    f"{host}: the label {shown!r} {how} your domain {asset.value}",
                )

    def match_hosts_in_text(self, text: str) -> Iterator[Match]:
        """Host names in the text that contain a registered domain as whole labels."""
        if self._domain_words is None:
            return
        lower = text.lower()
        for end, (word, _keys) in self._domain_words.iter(lower):
            start = end - len(word) + 1
            left, right = start, end + 1
            while left > 0 and lower[left - 1] in _HOST_CHARS:
                left -= 1
            while right < len(lower) and lower[right] in _HOST_CHARS:
                right += 1
            aligned = (start == left or lower[start - 1] == ".") and (
                end + 1 == right or lower[end + 1] == "."
            )
            if aligned:
                yield from self.match_host(lower[left:right].strip(".-"))

    def match_network(self, value: str) -> Iterator[Match]:
        try:
            network = ipaddress.ip_network(value, strict=False)
        except ValueError:
            return
        first, last = int(network.network_address), int(network.broadcast_address)
        for asset_id in sorted(self._ranges[network.version].covering(first, last)):
            asset = self.assets[asset_id]
            mine = ipaddress.ip_network(asset.value, strict=False)
            if first == last:
                reason = f"the address {value} is in your range {asset.value}"
            elif network.subnet_of(mine):  # type: ignore[arg-type]
                reason = f"the range {value} is inside your range {asset.value}"
            else:
                reason = f"the range {value} overlaps your range {asset.value}"
            yield Match(asset_id, asset.organisation_id, MatchKind.ADDRESS, value, reason)

    def match_asn(self, number: int, matched: str) -> Iterator[Match]:
        for asset_id in self._asns.get(number, ()):
            asset = self.assets[asset_id]
            yield Match(
                asset_id, asset.organisation_id, MatchKind.ASN, matched, f"{matched} is your ASN"
            )

    def match_brands(self, text: str, where: str) -> Iterator[Match]:
        for _start, word, keys in _find(self._brands, text.lower()):
            for asset_id in keys:
                asset = self.assets[asset_id]
                yield Match(
                    asset_id,
                    asset.organisation_id,
                    MatchKind.BRAND,
                    word,
                    f"your brand name {asset.value!r} appears in {where}",
                )

    def match_products(self, published: Published) -> Iterator[Match]:
        for cve, cpe in sorted(published.cve_products, key=lambda p: (p[0], str(p[1]))):
            for registered, asset_id in self._cpes.get(cpe.key, ()):
                if cpe_covers(registered, cpe):
                    asset = self.assets[asset_id]
                    yield Match(
                        asset_id,
                        asset.organisation_id,
                        MatchKind.PRODUCT,
                        cve,
                        f"{cve} concerns {cpe} (CPE in the report), which you run as "
                        f"{asset.value!r}",
                    )
        text = published.text.lower()
        cves = list(cves_in(published.text))
        if not cves:
            return
        for start, word, keys in _find(self._products, text):
            for cve, position in cves:
                if abs(position - start) <= PRODUCT_WINDOW:
                    for asset_id in keys:
                        asset = self.assets[asset_id]
                        yield Match(
                            asset_id,
                            asset.organisation_id,
                            MatchKind.PRODUCT,
                            cve,
                            f"{cve} is mentioned next to {word!r} in the text, a product you "
                            f"run ({asset.value!r})",
                        )

    # --- a whole report --------------------------------------------------------------------

    def match(self, published: Published) -> list[Match]:
        """Every match of the report, each (asset, kind, matched) once."""
        found: dict[tuple[int, str, str], Match] = {}

        def keep(matches: Iterable[Match]) -> None:
            for match in matches:
                found.setdefault((match.asset_id, match.kind, match.matched), match)

        for kind, value in published.observables:
            host = host_of(kind, value)
            if host is not None:
                keep(self.match_host(host))
            if kind in ("ipv4", "ipv6", "cidr"):
                keep(self.match_network(value))
            elif kind == "url" and host is None:
                keep(self.match_network(value.split("://", 1)[-1].split("]", 1)[0].lstrip("[")))
            elif kind == "asn":
                number = value.upper().removeprefix("AS")
                if number.isdigit():
                    keep(self.match_asn(int(number), f"AS{int(number)}"))
            if kind in ("domain", "url", "email"):
                keep(self.match_brands(value, f"the indicator {value}"))
        if published.text:
            keep(self.match_hosts_in_text(published.text))
            keep(self.match_brands(published.text, "the report's text"))
            for mention in _ASN_TEXT_RE.finditer(published.text):
                keep(self.match_asn(int(mention.group(1)), f"AS{int(mention.group(1))}"))
        keep(self.match_products(published))
        return sorted(found.values(), key=lambda m: (m.organisation_id, m.kind, m.matched))


def product_terms_of(name: str, cpe: Cpe | None) -> list[str]:
    """What a product is called in prose: its registered name and, from its CPE, the
    product ("fortios") and "vendor product" ("fortinet fortios"); short words are left out
    (an "OS" near a CVE id says nothing)."""
    terms = {name.strip().lower()}
    if cpe is not None:
        product = cpe.product.replace("_", " ")
        terms |= {product, f"{cpe.vendor.replace('_', ' ')} {product}"}
    return sorted(t for t in terms if len(t) >= 4)
