"""Remove personal data not directly related to a threat before anything is shared.

The US Cybersecurity Information Sharing Act of 2015 asks sharers to remove personal
information of people who are not the threat. Here that means: e-mail addresses at member
organisations' registered domains (the victims), the names that go with them, and phone
numbers. Attackers' addresses are indicators and stay. Pure: domains are passed in.
"""

import re
from collections.abc import Collection, Iterable
from dataclasses import dataclass

from sharing.normalize.extract import Extracted, IndicatorType

REDACTED_EMAIL = "[redacted e-mail]"
REDACTED_PHONE = "[redacted phone]"
REDACTED_PERSON = "[redacted person]"


@dataclass(frozen=True, slots=True)
class Redaction:
    """What was removed (kind: email, phone or person), what replaces it, and where."""

    kind: str
    original: str
    replacement: str
    start: int
    end: int


_PHONE_RE = re.compile(
    r"(?<![\w+.:/-])"
    r"(?:\+\d{1,3}[\s.-]?)?"
    r"(?:\(\d{1,5}\)[\s.-]?)?"
    r"\d{2,5}(?:[\s.-]\d{2,5}){1,5}"
    r"(?![\w:/-]|\.\d)"
)
_NAME_BEFORE_RE = re.compile(
    r"([A-Z][a-z'\-]+(?:\s[A-Z]\.)?\s[A-Z][a-z'\-]+(?:-[A-Z][a-z'\-]+)?)\s*[(<\[,]?\s*$"
)


def is_victim_address(email: str, member_domains: Collection[str]) -> bool:
    domain = email.rsplit("@", 1)[-1].lower()
    labels = domain.split(".")
    return any(".".join(labels[i:]) in member_domains for i in range(len(labels) - 1))


def _looks_like_phone(candidate: str) -> bool:
    digits = re.sub(r"\D", "", candidate)
    if not 9 <= len(digits) <= 15:
        return False
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", candidate.strip()):  # a date
        return False
    separators = set(re.sub(r"[\d\s]", "", candidate)) - {"+", "(", ")"}
    # Dotted groups are versions or addresses far more often than phone numbers.
    if "." in separators and not candidate.startswith("+"):
        return False
    return candidate.startswith("+") or "(" in candidate or len(digits) >= 10


def _names_for(email: str) -> list[str]:
    """Names a person with this address probably has: dana.whitfield -> Dana Whitfield."""
    local = email.split("@", 1)[0]
    parts = [part for part in re.split(r"[._-]", local) if part.isalpha() and len(part) > 1]
    if len(parts) < 2:
        return []
    return [" ".join(part.capitalize() for part in parts[:2])]


def find_redactions(
    text: str, extracted: Iterable[Extracted], *, member_domains: Collection[str]
) -> list[Redaction]:
    """Spans of `text` to redact, not overlapping, in order."""
    domains = {domain.lower() for domain in member_domains}
    indicator_spans = [(item.start, item.end) for item in extracted]
    victims = [
        item
        for item in extracted
        if item.type == IndicatorType.EMAIL and is_victim_address(item.value, domains)
    ]
    found: list[Redaction] = [
        Redaction("email", item.original, REDACTED_EMAIL, item.start, item.end) for item in victims
    ]

    names: set[str] = set()
    for item in victims:
        names.update(_names_for(item.value))
        before = _NAME_BEFORE_RE.search(text[max(0, item.start - 60) : item.start])
        if before:
            names.add(before.group(1))
    for name in names:
        for match in re.finditer(rf"(?<!\w){re.escape(name)}(?!\w)", text):
            found.append(Redaction("person", match.group(0), REDACTED_PERSON, *match.span()))

    for match in _PHONE_RE.finditer(text):
        start, end = match.span()
        if any(start < span_end and span_start < end for span_start, span_end in indicator_spans):
            continue
        if _looks_like_phone(match.group(0)):
            found.append(Redaction("phone", match.group(0), REDACTED_PHONE, start, end))

    found.sort(key=lambda redaction: (redaction.start, -redaction.end))
    result: list[Redaction] = []
    for redaction in found:
        if result and redaction.start < result[-1].end:
            continue
        result.append(redaction)
    return result


def apply_redactions(text: str, redactions: Iterable[Redaction]) -> str:
    parts: list[str] = []
    position = 0
    for redaction in redactions:
        parts.append(text[position : redaction.start])
        parts.append(redaction.replacement)
        position = redaction.end
    parts.append(text[position:])
    return "".join(parts)
