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


def _seen(value: Any) -> datetime | None:
    if isinstance(value, str) and value:
        try:
            moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return None
        return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return None


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
        if match := _TECHNIQUE_TAG.search(name):
            parsed.indicators.append(ParsedIndicator(IndicatorType.ATTACK_TECHNIQUE, match[1]))

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
        kind = _kind(misp_type)
        if kind is None:
            parsed.skipped.append(
                {
                    "field": where,
                    "message": f"type {quoted(misp_type)} is context, not an indicator",
                }
            )
            continue
        if misp_type in _COMPOSITE:
            parts = raw_value.split("|")
            raw_value = parts[_COMPOSITE[misp_type]] if len(parts) == 2 else raw_value
        value = value_as(kind, raw_value)
        if value is None:
            errors.append(
                {
                    "field": f"{where}.value",
                    "message": f"{quoted(raw_value)} is not a valid {misp_type}",
                }
            )
            continue
        if ":" in value and kind == IndicatorType.IPV4:
            kind = IndicatorType.IPV6
        parsed.indicators.append(
            ParsedIndicator(
                type=kind,
                value=value,
                first_seen=_seen(attribute.get("first_seen")),
                last_seen=_seen(attribute.get("last_seen")),
                description=str(attribute.get("comment") or "")[:2000],
            )
        )
    if errors:
        raise NormalisationError(
            f"{len(errors)} attribute(s) of the MISP event are not valid; nothing was imported.",
            errors,
        )
    return parsed
