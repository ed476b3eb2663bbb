"""From raw bytes to what will be stored: the pure half of normalisation.

`prepare` unpacks, decodes and parses a submission of any kind; `classify` applies the
warning lists, the analyst's insistence and the scrubbing of victims' addresses to the
indicators found; `indicator_objects` turns the kept indicators into STIX objects. The
services module does the database work around these.
"""

import json
import re
from collections.abc import Collection, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sharing.normalize.analysis import TextAnalysis, WarningHit, analyse_text
from sharing.normalize.antitrust import find_sensitive
from sharing.normalize.carriers import quick_init
from sharing.normalize.extract import IndicatorType, extract
from sharing.normalize.extract.network import scrub_url
from sharing.normalize.parsers import NormalisationError, Parsed, ParsedIndicator
from sharing.normalize.parsers.archive import unpack
from sharing.normalize.parsers.csv import parse_csv
from sharing.normalize.parsers.jsontext import unstorable_text
from sharing.normalize.parsers.misp import parse_misp
from sharing.normalize.parsers.stix import (
    BundleScan,
    indicators_in,
    iter_objects,
    rewrite,
    scan_bundle,
)
from sharing.normalize.parsers.text import decode_text
from sharing.normalize.scrub import apply_redactions, find_redactions, is_victim_address
from sharing.normalize.warninglists import domain_flags, url_flags, warning_list_for
from sharing.stix.markings import narrowest, tlp_from_name
from sharing.stix.objects import objects_for_indicator, timestamp
from sharing.tlp import TLP

TEXT_KINDS = frozenset({"form", "text"})
JSON_KINDS = frozenset({"stix", "misp", "taxii"})


@dataclass(frozen=True, slots=True)
class Context:
    """What the pipeline needs to know besides the bytes (loaded by the service)."""

    own_domains: Collection[str]
    member_domains: Collection[str]
    allow_documentation_ranges: bool = False
    insist_values: Collection[str] = ()
    max_bytes: int = 50 * 1024 * 1024
    max_line_chars: int = 100_000
    max_json_depth: int = 64


@dataclass(slots=True)
class Prepared:
    """A parsed submission. For STIX, `scan` is set and objects are streamed later."""

    title: str = ""
    description: str = ""
    tlp: TLP | None = None
    indicators: list[ParsedIndicator] = field(default_factory=list)
    analysis: TextAnalysis | None = None
    scan: BundleScan | None = None
    data: bytes = b""
    skipped: list[dict[str, Any]] = field(default_factory=list)
    # Advisory sources and contacts cited by a text: the report's external_references.
    references: list[dict[str, str]] = field(default_factory=list)


@quick_init
@dataclass(frozen=True, slots=True)
class KeptIndicator:
    """An indicator that will be stored and shared."""

    type: IndicatorType
    value: str
    first_seen: datetime | None
    last_seen: datetime | None
    confidence: int | None
    description: str
    warning_list: str  # empty unless kept because the analyst insisted
    kept_by_insistence: bool
    # "derived", "look-alike-domain", "hosted-on-shared-service": STIX indicator labels.
    labels: tuple[str, ...] = ()


@dataclass(slots=True)
class Classified:
    kept: list[KeptIndicator] = field(default_factory=list)
    warning_hits: list[WarningHit] = field(default_factory=list)
    scrubbed: list[str] = field(default_factory=list)


# Case-insensitive, but spelt out for the first letters: with re.IGNORECASE on the whole
# pattern the engine could not skip ahead to the next "T" (the lookbehind is the \b).
_TLP_IN_TEXT = re.compile(
    r"[Tt](?<!\w[Tt])[Ll][Pp]:\s?((?i:CLEAR|WHITE|GREEN|AMBER\+STRICT|AMBER|RED))\b"
)


def _tlp_names(text: str) -> list[str]:
    """The TLP names of the markings written in `text` (_TLP_IN_TEXT's groups). Every
    marking holds "lp:" in lower case: most texts have none and are not searched."""
    return _TLP_IN_TEXT.findall(text) if "lp:" in text.lower() else []


def _depth(value: Any) -> int:
    """How deeply containers nest in `value`, computed without recursion."""
    deepest = 0
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            deepest = max(deepest, depth)
            stack.extend((child, depth + 1) for child in item.values())
        elif isinstance(item, list):
            deepest = max(deepest, depth)
            stack.extend((child, depth + 1) for child in item)
    return deepest


def _too_deep(max_depth: int) -> NormalisationError:
    return NormalisationError(f"The JSON is nested more than {max_depth} levels deep; refused.")


def _json(data: bytes, *, max_depth: int) -> Any:
    try:
        document = _loads(data)
    except RecursionError:
        raise _too_deep(max_depth) from None
    if _depth(document) > max_depth:
        raise _too_deep(max_depth)
    return document


def _loads(data: bytes) -> Any:
    try:
        return json.loads(data)
    except UnicodeDecodeError:
        raise NormalisationError("This file is binary data, not JSON.") from None
    except json.JSONDecodeError as exc:
        if exc.pos >= len(exc.doc.rstrip()):
            raise NormalisationError(
                "The JSON ends before it is complete: the file looks truncated.",
                [{"line": exc.lineno, "column": exc.colno, "message": exc.msg}],
            ) from None
        raise NormalisationError(
            f"This is not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}.",
            [{"line": exc.lineno, "column": exc.colno, "message": exc.msg}],
        ) from None


def _looks_binary(data: bytes) -> bool:
    head = data[:4096]
    if b"\x00" in head:
        return True
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        return exc.start < len(head) - 4  # a multi-byte character cut at the boundary is fine
    return False


def prepare(kind: str, raw: bytes, *, context: Context) -> Prepared:
    """Parse `raw` as a submission of `kind`; NormalisationError says why it cannot be."""
    if not raw.strip():
        raise NormalisationError("The submission is empty.")
    data = unpack(raw, limit=context.max_bytes)
    if kind in TEXT_KINDS:
        text = decode_text(data, max_line_chars=context.max_line_chars)
        analysis = analyse_text(
            text,
            own_domains=context.own_domains,
            member_domains=context.member_domains,
            allow_documentation_ranges=context.allow_documentation_ranges,
        )
        first_line = next(
            (line.strip() for line in analysis.redacted_text.splitlines() if line.strip()), ""
        )
        tlps = [tlp for name in _tlp_names(text) if (tlp := tlp_from_name(name))]
        insisted = [
            ParsedIndicator(hit.type, hit.value)
            for hit in analysis.warning_hits
            if hit.value in context.insist_values
        ]
        found = [
            ParsedIndicator(
                item.type,
                item.value,
                description=analysis.notes.get(item.value, ""),
                labels=item.labels,
                from_text_analysis=True,
            )
            for item in analysis.indicators
        ]
        return Prepared(
            title=first_line[:300],
            description=analysis.redacted_text,
            tlp=narrowest(tlps),
            indicators=found + insisted,
            analysis=analysis,
            references=[reference.as_stix() for reference in analysis.references],
        )
    if _looks_binary(data):
        raise NormalisationError(
            "This file is binary data, not text. Upload a text, CSV, STIX or MISP JSON file."
        )
    if kind == "csv":
        text = decode_text(data, max_line_chars=context.max_line_chars)
        return _from_parsed(parse_csv(text), context)
    if kind == "misp":
        return _from_parsed(parse_misp(_json(data, max_depth=context.max_json_depth)), context)
    if kind in ("stix", "taxii"):
        scan = scan_bundle(data, max_depth=context.max_json_depth)
        if scan.spec_version not in ("2.0", "2.1"):
            raise NormalisationError(f"STIX version {scan.spec_version} is not supported.")
        _refuse_unstorable_report_text(scan.report_name, scan.report_description)
        return Prepared(
            title=scrub_text(scan.report_name, member_domains=context.member_domains),
            description=scrub_text(scan.report_description, member_domains=context.member_domains),
            tlp=narrowest(scan.tlps),
            scan=scan,
            data=data,
        )
    raise NormalisationError(f"Unknown kind of submission {kind!r}.")


def _refuse_unstorable_report_text(name: str, description: str) -> None:
    """The report object's name and description become the draft's title and summary."""
    details = [
        {"object": 0, "field": field, "message": problem}
        for field, value in (("name", name), ("description", description))
        for _, problem in unstorable_text(value or "", max_depth=1)
    ]
    if details:
        raise NormalisationError(
            "1 object(s) in the bundle are not valid STIX 2.1; nothing was imported.", details
        )


def _from_parsed(parsed: Parsed, context: Context) -> Prepared:
    tlps = [tlp for name in parsed.tlp_names if (tlp := tlp_from_name(name))]
    return Prepared(
        title=scrub_text(parsed.title, member_domains=context.member_domains),
        description=scrub_text(parsed.description, member_domains=context.member_domains),
        tlp=narrowest(tlps),
        indicators=parsed.indicators,
        skipped=parsed.skipped,
    )


def classify(indicators: Iterable[ParsedIndicator], *, context: Context) -> Classified:
    """Apply warning lists, insistence and victim scrubbing; one entry per (type, value)."""
    result = Classified()
    seen: set[tuple[IndicatorType, str]] = set()
    member_domains = frozenset(map(str.lower, context.member_domains))
    own_domains = frozenset(map(str.lower, context.own_domains))
    for item in indicators:
        key = (item.type, item.value)
        if key in seen:
            continue
        seen.add(key)
        if item.type == IndicatorType.EMAIL and is_victim_address(item.value, member_domains):
            result.scrubbed.append(item.value)
            continue
        if item.from_text_analysis:
            value, labels, list_name = item.value, item.labels, None
        else:
            value = scrub_url(item.value) if item.type == IndicatorType.URL else item.value
            labels = item.labels
            if item.type == IndicatorType.URL:
                labels = tuple(dict.fromkeys((*labels, *url_flags(value))))
            elif item.type == IndicatorType.DOMAIN:
                labels = tuple(dict.fromkeys((*labels, *domain_flags(value))))
            list_name = warning_list_for(
                item.type,
                value,
                own_domains=own_domains,
                member_domains=member_domains,
                allow_documentation_ranges=context.allow_documentation_ranges,
            )
        insisted = bool(list_name) and item.value in context.insist_values
        if list_name and not insisted:
            result.warning_hits.append(WarningHit(item.value, item.type, list_name))
            continue
        result.kept.append(
            KeptIndicator(
                type=item.type,
                value=value,
                first_seen=item.first_seen,
                last_seen=item.last_seen,
                confidence=item.confidence,
                description=(
                    item.description
                    if item.from_text_analysis
                    else scrub_text(item.description, member_domains=member_domains)
                ),
                warning_list=list_name or "",
                kept_by_insistence=insisted,
                labels=labels,
            )
        )
    return result


def indicator_objects(
    kept: Iterable[KeptIndicator],
    *,
    report_key: str,
    now: datetime,
    identity_id: str,
    marking_id: str,
) -> Iterator[dict[str, Any]]:
    """STIX objects for the kept indicators (created/modified set to `now`)."""
    stamp = timestamp(now)
    for item in kept:
        yield from objects_for_indicator(
            item.type,
            item.value,
            report_key=report_key,
            created=stamp,
            modified=stamp,
            valid_from=timestamp(item.first_seen) if item.first_seen else stamp,
            identity_id=identity_id,
            marking_id=marking_id,
            description=item.description,
            confidence=item.confidence,
            labels=item.labels,
        )


_MAY_HOLD_PERSONAL_DATA = re.compile(r"@|\[at\]|\(at\)|\d[\d\s().-]{7,}\d", re.IGNORECASE)


def scrub_text(text: str, *, member_domains: Collection[str]) -> str:
    """`text` with victims' addresses, their names and phone numbers redacted.

    A cheap test first: most descriptions in a bundle hold neither an address nor a number.
    """
    if not _MAY_HOLD_PERSONAL_DATA.search(text):
        return text
    redactions = find_redactions(text, extract(text), member_domains=member_domains)
    return apply_redactions(text, redactions) if redactions else text


def bundle_objects(
    prepared: Prepared, *, identity_id: str, marking_id: str, context: Context
) -> Iterator[tuple[dict[str, Any], list[ParsedIndicator]]]:
    """Each object kept from an uploaded bundle, rewritten for sharing, with its indicators.

    An object carrying a victim's address (an e-mail address at a member's registered
    domain) is not shared at all; its id is listed in `prepared.skipped`.
    """
    if prepared.scan is None:
        raise ValueError("bundle_objects needs a scanned STIX bundle")
    member_domains = {domain.lower() for domain in context.member_domains}
    for obj in iter_objects(prepared.data, scan=prepared.scan):
        indicators = indicators_in(obj)
        if any(
            item.type == IndicatorType.EMAIL and is_victim_address(item.value, member_domains)
            for item in indicators
        ):
            prepared.skipped.append(
                {"id": obj["id"], "message": "not shared: it names a victim's e-mail address"}
            )
            continue
        shared = rewrite(obj, identity_id=identity_id, marking_id=marking_id)
        for key in ("name", "description"):
            if isinstance(shared.get(key), str):
                shared[key] = scrub_text(shared[key], member_domains=member_domains)
        yield shared, indicators


def findings(prepared: Prepared, classified: Classified) -> dict[str, Any]:
    """What the analyst should see before publishing, as JSON for Submission.findings."""
    analysis = prepared.analysis
    insisted = {item.value for item in classified.kept if item.kept_by_insistence}
    text_hits = [
        hit for hit in (analysis.warning_hits if analysis else ()) if hit.value not in insisted
    ]
    return {
        "indicators": len(classified.kept),
        # The narrowest TLP the upload's own markings gave; the report may not be wider.
        "tlp": prepared.tlp.value if prepared.tlp is not None else None,
        "warning_hits": [
            {"value": hit.value, "type": hit.type.value, "list": hit.list_name}
            for hit in [*text_hits, *classified.warning_hits]
        ],
        "insisted": [item.value for item in classified.kept if item.kept_by_insistence],
        "redactions": [
            {
                "kind": redaction.kind,
                "original": redaction.original,
                "replacement": redaction.replacement,
            }
            for redaction in (analysis.redactions if analysis else ())
        ]
        + [
            {"kind": "email", "original": value, "replacement": "(not shared)"}
            for value in classified.scrubbed
        ],
        "sensitive": [
            {
                "phrase": hit.phrase,
                "category": hit.category,
                "explanation": hit.explanation,
                "position": hit.position,
            }
            for hit in (analysis.sensitive if analysis else ())
        ],
        "references": prepared.references,
        "skipped": prepared.skipped[:100],
    }


# Larger uploads are not scanned for wording and personal data; they wait for a person.
HOLD_CHECK_MAX_CHARS = 5_000_000


def held_back_reasons(
    prepared: Prepared, classified: Classified, raw_text: str, *, context: Context
) -> list[str]:
    """Why an upload meant to be published without a person must wait for one: wording
    about prices, costs, bids or strategy, or personal data, anywhere in what was sent."""
    if prepared.analysis is not None:
        sensitive = list(prepared.analysis.sensitive)
        personal = len(prepared.analysis.redactions)
    elif len(raw_text) > HOLD_CHECK_MAX_CHARS:
        return [
            "It is too large to be checked automatically for competitively sensitive wording "
            "and personal data; a person must review it."
        ]
    else:
        sensitive = find_sensitive(raw_text)
        personal = len(
            find_redactions(raw_text, extract(raw_text), member_domains=context.member_domains)
        )
    personal += len(classified.scrubbed) + sum(
        1 for item in prepared.skipped if "victim" in str(item.get("message", ""))
    )
    reasons = []
    if sensitive:
        phrases = ", ".join(f"“{hit.phrase}”" for hit in sensitive[:3])
        reasons.append(
            f"It contains wording about prices, costs, bids, salaries or strategy ({phrases}); "
            "a person must remove it or confirm it is fit to share."
        )
    if personal:
        reasons.append(
            f"It contains personal data ({personal} item{'s' if personal != 1 else ''}: "
            "people's names, phone numbers or e-mail addresses at members' domains); it is "
            "removed from what would be shared, and a person must confirm the result."
        )
    return reasons
