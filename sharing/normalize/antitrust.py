"""Flag competitively sensitive content before it reaches competitors.

ISAC members are often competitors; antitrust rules forbid exchanging prices, costs, bids,
salaries and strategic plans. This does not block anything: it tells the analyst and the
ISAC reviewer what to look at. Pure.
"""

import re
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class SensitiveHit:
    """A phrase that looks competitively sensitive, its category and offset in the text."""

    phrase: str
    category: str
    position: int


_MONEY = (
    r"(?:[$€£¥]\s?\d[\d,.]*\s?(?:[kmb]|million|billion|thousand)?"
    r"|\d[\d,.]*\s?(?:usd|eur|gbp|dollars|euros))"
)
_NEAR = r"[^.\n]{0,60}?"

_RULES: list[tuple[str, re.Pattern[str]]] = [
    (
        "price",
        re.compile(
            rf"\b(?:pric(?:e|es|ing)|rate card|tariffs?|discounts?|list price)\b{_NEAR}{_MONEY}"
            r"|\b(?:we|our company|they)\s+(?:will\s+)?(?:raise|increase|cut|lower)\s+"
            r"(?:our\s+|their\s+)?(?:prices|rates|tariffs)\b",
            re.IGNORECASE,
        ),
    ),
    (
        "cost",
        re.compile(
            rf"\b(?:costs?|budget|spend(?:ing)?|margins?)\b{_NEAR}{_MONEY}"
            r"|\b(?:our|their)\s+(?:cost structure|margins?|operating costs?)\b",
            re.IGNORECASE,
        ),
    ),
    (
        "bid",
        re.compile(
            r"\b(?:our|their|the winning|a)\s+(?:bid|tender|proposal|quote)s?\b"
            r"(?:\s+(?:for|on|of)\b)?"
            r"|\bbid(?:ding)?\s+(?:price|strategy|amount)\b|\brfp\s+response\b",
            re.IGNORECASE,
        ),
    ),
    (
        "salary",
        re.compile(
            r"\b(?:salar(?:y|ies)|wages?|compensation|pay (?:scale|band|rise)|bonus(?:es)?)\b"
            rf"{_NEAR}(?:{_MONEY}|\d+\s?%)"
            r"|\b(?:salary|pay) (?:bands?|scales?|ranges?)\b",
            re.IGNORECASE,
        ),
    ),
    (
        "strategy",
        re.compile(
            r"\b(?:strategic plans?|business plans?|product roadmap|"
            r"market (?:entry|share|expansion)|"
            r"(?:planned|upcoming)\s+(?:acquisition|merger|expansion)|merger talks|"
            r"(?:enter|exit)\s+the\s+\w+\s+market|customer list)\b",
            re.IGNORECASE,
        ),
    ),
]


def find_sensitive(text: str) -> list[SensitiveHit]:
    """Every competitively sensitive phrase in `text`, in order of position."""
    hits = [
        SensitiveHit(match.group(0), category, match.start())
        for category, pattern in _RULES
        for match in pattern.finditer(text)
    ]
    hits.sort(key=lambda hit: hit.position)
    return hits
