"""MISP event JSON: attributes (and object attributes) to indicators, `tlp:` tags to TLP.

The MISP project's misp-stix converter (2026.10.12) was tried on the sample event: it
converts it in 40 ms, but its bundle names the event's creator organisation as identity
(which anonymous sharing must hide), wraps values in `observed-data` with a `grouping`,
emits custom `x-misp-attribute` objects the members did not ask for, and did not
turn the ATT&CK galaxy tag into an attack pattern; it also pulls PyMISP and the STIX 1
libraries into the worker. The portal needs only the indicator attributes and the TLP tag
and builds every STIX object with one builder, so this small mapping is used instead.
"""

import re
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from sharing.normalize.extract import IndicatorType
from sharing.normalize.parsers import NormalisationError, Parsed, ParsedIndicator, quoted
from sharing.normalize.parsers.csv import TYPE_ALIASES, value_as

# MISP attribute types: composite "a|b" types take the part named here.
_COMPOSITE = {
    "ip-dst|port": 0,
    "ip-src|port": 0,
    "domain|ip": 0,
    "hostname|port": 0,
    "filename|md5": 1,
    "filename|sha1": 1,
    "filename|sha256": 1,
    "filename|sha512": 1,
}
_TECHNIQUE_TAG = re.compile(r"mitre-attack-pattern=.*?\b(T1\d{3}(?:\.\d{3})?)\b")


def _kind(misp_type: str) -> IndicatorType | None:
    base = misp_type.split("|")[-1] if misp_type.startswith("filename|") else misp_type
    base = base.split("|")[0]
    return TYPE_ALIASES.get(base.lower())


def misp_time(value: Any) -> datetime | None:
    """A MISP time: ISO 8601 (`first_seen`, an event's `date`; UTC when it has no offset)
    or seconds since the epoch (`timestamp`, as a number or digits); None otherwise."""
    if isinstance(value, str) and value and not value.isdigit():
        try:
            moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return None
        return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    if isinstance(value, int | float | str) and str(value).isdigit():
        return datetime.fromtimestamp(int(value), UTC)
    return None


def attribute_indicator(misp_type: str, raw_value: str) -> tuple[IndicatorType, str] | None:
    """The portal indicator a MISP attribute stands for (the inverse of the MISP types the
    portal's own feed writes, plus MISP's other names for them): None for a type that is
    context, ValueError when the value is not valid for its type."""
    kind = _kind(misp_type)
    if kind is None:
        return None
    if misp_type in _COMPOSITE:
        parts = raw_value.split("|")
        raw_value = parts[_COMPOSITE[misp_type]] if len(parts) == 2 else raw_value
    if kind == IndicatorType.IPV4 and "/" in raw_value:
        # MISP's ip-src and ip-dst take a network in CIDR notation too.
        kind = IndicatorType.CIDR
    value = value_as(kind, raw_value)
    if value is None:
        raise ValueError(f"{quoted(raw_value)} is not a valid {misp_type}")
    if ":" in value and kind == IndicatorType.IPV4:
        kind = IndicatorType.IPV6
    return kind, value


def techniques_in_tags(names: Iterable[str]) -> list[str]:
    """ATT&CK technique ids named by MISP galaxy tags (misp-galaxy:mitre-attack-pattern=...)."""
    return [match[1] for name in names if (match := _TECHNIQUE_TAG.search(name))]


def parse_misp(document: Any) -> Parsed:
    if not isinstance(document, dict):
        raise NormalisationError("A MISP event file must be a JSON object with an Event.")
    event = document.get("Event")
    if not isinstance(event, dict):
        raise NormalisationError('This JSON is not a MISP event: there is no "Event" object.')
    parsed = Parsed(title=str(event.get("info") or "")[:300])
    tags = [tag.get("name", "") for tag in event.get("Tag") or [] if isinstance(tag, dict)]
    for name in tags:
        if name.lower().startswith("tlp:"):
            parsed.tlp_names.append(name)
    parsed.indicators.extend(
        ParsedIndicator(IndicatorType.ATTACK_TECHNIQUE, technique)
        for technique in techniques_in_tags(tags)
    )

    attributes: list[tuple[str, dict[str, Any]]] = [
        (f"Attribute[{index}]", attribute)
        for index, attribute in enumerate(event.get("Attribute") or [])
    ]
    for object_index, misp_object in enumerate(event.get("Object") or []):
        if isinstance(misp_object, dict):
            attributes.extend(
                (f"Object[{object_index}].Attribute[{index}]", attribute)
                for index, attribute in enumerate(misp_object.get("Attribute") or [])
            )
    errors: list[dict[str, Any]] = []
    for where, attribute in attributes:
        if not isinstance(attribute, dict):
            errors.append({"field": where, "message": "not an attribute object"})
            continue
        misp_type = str(attribute.get("type") or "")
        raw_value = str(attribute.get("value") or "")
        try:
            found = attribute_indicator(misp_type, raw_value)
        except ValueError as invalid:
            errors.append({"field": f"{where}.value", "message": str(invalid)})
            continue
        if found is None:
            parsed.skipped.append(
                {
                    "field": where,
                    "message": f"type {quoted(misp_type)} is context, not an indicator",
                }
            )
            continue
        kind, value = found
        parsed.indicators.append(
            ParsedIndicator(
                type=kind,
                value=value,
                first_seen=misp_time(attribute.get("first_seen")),
                last_seen=misp_time(attribute.get("last_seen")),
                description=str(attribute.get("comment") or "")[:2000],
            )
        )
    if errors:
        raise NormalisationError(
            f"{len(errors)} attribute(s) of the MISP event are not valid; nothing was imported.",
            errors,
        )
    return parsed
