"""Parsers for each kind of submission. Pure: bytes in, plain data out, errors in words.

Every parser raises `NormalisationError` with a sentence an analyst understands and, where
possible, details naming the line (CSV), the object (STIX) or the attribute (MISP).
"""

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sharing.normalize.carriers import quick_init
from sharing.normalize.extract import IndicatorType


class NormalisationError(Exception):
    """The submission cannot be normalised; `message` says why, `details` say where."""

    def __init__(self, message: str, details: list[dict[str, Any]] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details or []


@quick_init
@dataclass(frozen=True, slots=True)
class ParsedIndicator:
    """An indicator value from structured input, with the context the input gave it."""

    type: IndicatorType
    value: str
    first_seen: datetime | None = None
    last_seen: datetime | None = None
    confidence: int | None = None
    description: str = ""
    labels: tuple[str, ...] = ()
    # Found by the portal's analysis of a text (pipeline.prepare), which already applied the
    # warning lists, labels and scrubbing with the same context and wrote the description
    # itself ("Derived: the host of the URL ..."): classify does not repeat that work.
    from_text_analysis: bool = False


@dataclass(slots=True)
class Parsed:
    """What a parser found: a title, TLP names from the input's markings, and indicators."""

    title: str = ""
    description: str = ""
    tlp_names: list[str] = field(default_factory=list)
    indicators: list[ParsedIndicator] = field(default_factory=list)
    skipped: list[dict[str, Any]] = field(default_factory=list)


def quoted(value: object, *, limit: int = 100) -> str:
    """A value from the input, quoted for an error message, or a description of it when it
    is not printable text: binary input is never echoed back to the submitter."""
    text = value if isinstance(value, str) else repr(value)
    if not text.isprintable():
        return f"a value of {len(text)} characters that is not printable text"
    shown = text[:limit] + ("..." if len(text) > limit else "")
    return repr(shown)
