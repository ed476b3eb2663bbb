"""Reference material in a report: the advisories, research and news it cites.

A link to a CERT advisory, a vendor's research blog or a forum thread is context for the
report, not something to block: it goes into the STIX report's `external_references`. So
does an address of the source (a PSIRT, a CERT's intake), which is neither an indicator nor
personal data. Known sources are shipped as data (data/reference-sources.json); other links
count as references when the text presents them as such (under a "References" heading, after
"advisory:", "prior reporting", "write-up" ...) or when their path is an advisory's. Pure.
"""

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any

from sharing.normalize.extract import Extracted, IndicatorType
from sharing.normalize.extract.context import before
from sharing.normalize.extract.network import domain_in, url_host
from sharing.normalize.extract.patterns import words_at_word_start

_HEADING = re.compile(
    r"^\s*(?:#+\s*|\*\*)?(?:references?|sources?|further reading|see also|links|read more|"
    r"more information|related reporting|additional resources)\s*:?\s*(?:\*\*)?\s*$",
    re.IGNORECASE,
)
# Any heading line in a whole text: most texts have none, and then no link needs the walk
# back over the lines above it.
_HEADING_LINE = re.compile(_HEADING.pattern, re.IGNORECASE | re.MULTILINE)
_CUE_WORDS = (
    *("advisory", "advisories", "bulletin", "write-?up", "blog", "article", "statement"),
    *("reporting", "reported by", "references?", "sources?", "read more", "documentation"),
    *("according to", "see also", "more at", "details at", "analysis at"),
)
# `\b(?:words)\b[^\n]{0,60}$` case-insensitive, spelt so the engine skips ahead to the
# words' first letters (see extract.patterns).
_CUE = re.compile(rf"{words_at_word_start(_CUE_WORDS)}\b[^\n]{{0,60}}$")
# A match ends the context: it starts at most this far from the end.
_CUE_REACH = max(len(word) for word in _CUE_WORDS) + 60
_ADVISORY_PATH = re.compile(
    r"/(?:[\w-]*advisor(?:y|ies)[\w-]*|bulletins?|psirt|security-?center|cve/|vuln/detail)",
    re.IGNORECASE,
)


@dataclass(frozen=True, slots=True)
class Reference:
    """A cited source: STIX external_reference fields."""

    source_name: str
    url: str = ""
    description: str = ""

    def as_stix(self) -> dict[str, str]:
        reference = {"source_name": self.source_name}
        if self.url:
            reference["url"] = self.url
        if self.description:
            reference["description"] = self.description
        return reference


@lru_cache(maxsize=1)
def _sources() -> tuple[frozenset[str], tuple[re.Pattern[str], ...]]:
    text = resources.files("sharing.normalize").joinpath("data/reference-sources.json").read_text()
    document: dict[str, Any] = json.loads(text)
    domains = frozenset(
        domain
        for key, values in document.items()
        if key not in ("_about", "paths")
        for domain in values
    )
    paths = tuple(
        re.compile(r"^https?://(?:www\.)?" + re.escape(path).replace(r"\*", r"[^/]+"), re.I)
        for path in document["paths"]
    )
    return domains, paths


def reference_domains() -> frozenset[str]:
    """The hosts of known advisory and reference sources (their subdomains count too)."""
    return _sources()[0]


@lru_cache(maxsize=65536)
def is_reference_domain(domain: str) -> bool:
    return domain_in(domain.lower(), reference_domains())


def _under_heading(text: str, position: int) -> bool:
    """`position` is in a list under a "References" heading (no blank line in between)."""
    line_start = text.rfind("\n", 0, position) + 1
    for _ in range(15):
        if line_start == 0:
            return False
        previous_start = text.rfind("\n", 0, line_start - 1) + 1
        line = text[previous_start : line_start - 1]
        if not line.strip():
            return False
        if _HEADING.match(line):
            return True
        line_start = previous_start
    return False


@lru_cache(maxsize=65536)
def _is_reference_address(url: str) -> bool:
    """The link itself says it is a reference (its host, a known path, an advisory path)."""
    host = url_host(url).lower()
    _, paths = _sources()
    if is_reference_domain(host) or any(path.match(url) for path in paths):
        return True
    path = "/" + url.split("://", 1)[-1].partition("/")[2]
    return _ADVISORY_PATH.search(path) is not None


def is_reference_url(url: str, text: str, position: int, *, text_has_heading: bool = True) -> bool:
    if _is_reference_address(url):
        return True
    context = before(text, position, 100)
    if not context.strip():  # the link starts a line: the cue may end the line before
        previous_end = text.rfind("\n", 0, position)
        context = before(text, previous_end, 100) if previous_end > 0 else ""
    cue = _CUE.search(context, max(0, len(context) - _CUE_REACH))
    return cue is not None or (text_has_heading and _under_heading(text, position))


def _registrable(domain: str) -> str:
    return ".".join(domain.lower().split(".")[-2:])


def split_references(
    text: str, items: Iterable[Extracted]
) -> tuple[list[Extracted], list[Reference]]:
    """The items that are indicators, and the references (links and contacts) among them."""
    items = list(items)
    references: list[Reference] = []
    reference_hosts: set[str] = set()
    kept: list[Extracted] = []
    seen: set[str] = set()
    has_heading: bool | None = None  # looked for once, when the first link needs it
    for item in items:
        if item.type != IndicatorType.URL:
            kept.append(item)
            continue
        if has_heading is None:
            has_heading = _HEADING_LINE.search(text) is not None
        if is_reference_url(item.value, text, item.start, text_has_heading=has_heading):
            host = url_host(item.value).lower()
            reference_hosts.add(_registrable(host))
            if item.value not in seen:
                seen.add(item.value)
                references.append(Reference(source_name=host.removeprefix("www."), url=item.value))
        else:
            kept.append(item)
    indicators: list[Extracted] = []
    for item in kept:
        if item.type == IndicatorType.EMAIL:
            domain = item.value.rsplit("@", 1)[-1]
            if is_reference_domain(domain) or _registrable(domain) in reference_hosts:
                if item.value not in seen:
                    seen.add(item.value)
                    references.append(
                        Reference(source_name=domain, description=f"Contact: {item.value}")
                    )
                continue
        indicators.append(item)
    return indicators, references
