"""A MISP event as the STIX objects a peer pull imports (pure: no database access).

Pulling a MISP peer reuses the TAXII pull's import (`sharing.peers.pull.import_objects`):
the event becomes one STIX `report` referring to what it carries, so labels, rules,
duplicates, warning lists, publication and the record work as for a TAXII peer.

- The event is a `report` whose id is derived from the event's uuid and whose `modified` is
  the event's `timestamp`. Every object of the event carries that same `modified`, so the
  pull's record (peer, STIX id, modified) says which version of the event was imported, and
  a newer timestamp brings the whole event again as the report's next version.
- Attributes with `to_ids` whose type the portal knows (the inverse of the types its own
  feed writes, `sharing.normalize.parsers.misp.attribute_indicator`) become `indicator`s;
  CVE ids become `vulnerability`s and ATT&CK galaxy tags `attack-pattern`s, as the portal
  writes them. Other attributes are context: listed in the report's description, never
  alerted on. Attributes and objects marked `deleted` are left out.
- Labels: the most restrictive `tlp:` tag of the event, and of each attribute together with
  its event's (an attribute never widens its event). Untagged objects carry no marking, so
  the peer's label for unmarked objects applies.
"""

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sharing.indicator_types import IndicatorType
from sharing.normalize.parsers.misp import attribute_indicator, misp_time, techniques_in_tags
from sharing.stix.markings import TLP2_MARKING_IDS, narrowest, tlp_from_name
from sharing.stix.objects import deterministic_id, objects_for_indicator, timestamp
from sharing.tlp import TLP

# Context lines kept in a report's description: a huge event's context is summarised.
MAX_CONTEXT_LINES = 500
_CONTEXT_VALUE_CHARS = 300
_KEPT_TYPES = frozenset({"indicator", "vulnerability", "attack-pattern"})
# created_by_ref is rewritten to the peer's identity on import; this only makes it valid.
_PLACEHOLDER_IDENTITY = "identity--00000000-0000-4000-8000-000000000000"


@dataclass
class ConvertedEvent:
    """The STIX objects of one MISP event (the report last) and what was left out."""

    report_id: str
    modified: str
    objects: list[dict[str, Any]] = field(default_factory=list)
    deleted: int = 0  # attributes marked deleted
    context: int = 0  # attributes kept as context only
    invalid: int = 0  # to_ids values not valid for their type (kept as context)


def event_report_id(event_uuid: str) -> str:
    """The STIX id that stands for a peer's MISP event (the record's key for it)."""
    return deterministic_id("report", f"misp-event:{uuid.UUID(event_uuid)}")


def event_modified(event_timestamp: int) -> str:
    """A MISP `timestamp` (Unix seconds) as the STIX `modified` of the event's objects."""
    return timestamp(datetime.fromtimestamp(event_timestamp, UTC))


def _tags(holder: dict[str, Any]) -> list[str]:
    return [str(tag.get("name") or "") for tag in holder.get("Tag") or [] if isinstance(tag, dict)]


def tags_tlp(names: list[str]) -> TLP | None:
    """The most restrictive `tlp:` tag among the names (TLP 1.0 WHITE is CLEAR)."""
    return narrowest(
        found
        for name in names
        if name.lower().startswith("tlp:") and (found := tlp_from_name(name)) is not None
    )


def _moment(value: Any, default: datetime) -> datetime:
    return misp_time(value) or default


def _deleted(item: dict[str, Any]) -> bool:
    return item.get("deleted") in (True, 1, "1", "true", "True")


def _to_ids(item: dict[str, Any]) -> bool:
    return item.get("to_ids") in (True, 1, "1", "true", "True")


def _attributes(event: dict[str, Any]) -> tuple[list[dict[str, Any]], int]:
    """Every attribute of the event and of its objects that is not deleted, and how many
    were (an object marked deleted takes its attributes with it)."""
    kept: list[dict[str, Any]] = []
    deleted = 0
    candidates = [a for a in event.get("Attribute") or [] if isinstance(a, dict)]
    for misp_object in event.get("Object") or []:
        if not isinstance(misp_object, dict):
            continue
        inner = [a for a in misp_object.get("Attribute") or [] if isinstance(a, dict)]
        if _deleted(misp_object):
            deleted += len(inner)
            continue
        candidates.extend(inner)
    for attribute in candidates:
        if _deleted(attribute):
            deleted += 1
        else:
            kept.append(attribute)
    return kept, deleted


def event_objects(document: dict[str, Any], *, event_timestamp: int) -> ConvertedEvent:
    """The STIX objects of `{"Event": {...}}`. `event_timestamp` is the manifest's (the
    event file's own when it is newer), so the record matches what the manifest listed."""
    event = document["Event"]
    event_uuid = str(uuid.UUID(str(event.get("uuid"))))
    own = event.get("timestamp")
    if isinstance(own, int | str) and str(own).isdigit():
        event_timestamp = max(event_timestamp, int(own))
    modified = event_modified(event_timestamp)
    changed = datetime.fromtimestamp(event_timestamp, UTC)
    dated = _moment(event.get("date"), changed)
    created = timestamp(min(dated, changed))
    converted = ConvertedEvent(report_id=event_report_id(event_uuid), modified=modified)
    event_tags = _tags(event)
    event_tlp = tags_tlp(event_tags)

    def marked(obj: dict[str, Any], tlp: TLP | None) -> dict[str, Any]:
        obj = {key: value for key, value in obj.items() if key != "object_marking_refs"}
        obj["created"], obj["modified"] = created, modified
        if tlp is not None:
            obj["object_marking_refs"] = [TLP2_MARKING_IDS[tlp]]
        return obj

    def add(kind: IndicatorType, value: str, key: str, tlp: TLP | None, **context: Any) -> None:
        for obj in objects_for_indicator(
            kind,
            value,
            report_key=f"misp:{event_uuid}:{key}",
            created=created,
            modified=modified,
            identity_id=_PLACEHOLDER_IDENTITY,
            marking_id=TLP2_MARKING_IDS[TLP.CLEAR],
            **context,
        ):
            if obj["type"] in _KEPT_TYPES:
                converted.objects.append(marked(obj, tlp))

    context_lines: list[str] = []
    attributes, converted.deleted = _attributes(event)
    for attribute in attributes:
        misp_type = str(attribute.get("type") or "")
        raw_value = str(attribute.get("value") or "")
        tlp = narrowest(t for t in (event_tlp, tags_tlp(_tags(attribute))) if t is not None)
        comment = str(attribute.get("comment") or "")[:2000]
        try:
            found = attribute_indicator(misp_type, raw_value)
        except ValueError:
            found = None
            converted.invalid += 1
        if found is not None and (
            _to_ids(attribute) or found[0] in (IndicatorType.CVE, IndicatorType.ATTACK_TECHNIQUE)
        ):
            kind, value = found
            seen = _moment(attribute.get("first_seen") or attribute.get("timestamp"), changed)
            add(
                kind,
                value,
                str(attribute.get("uuid") or f"{kind.value}:{value}"),
                tlp,
                valid_from=timestamp(seen),
                description=comment,
            )
            continue
        converted.context += 1
        if len(context_lines) < MAX_CONTEXT_LINES:
            line = f"- {misp_type}: `{raw_value[:_CONTEXT_VALUE_CHARS]}`"
            context_lines.append(f"{line} ({comment[:200]})" if comment.strip() else line)
    for technique in techniques_in_tags(event_tags):
        add(IndicatorType.ATTACK_TECHNIQUE, technique, technique, event_tlp, valid_from=created)

    refs = list(dict.fromkeys(obj["id"] for obj in converted.objects))
    report: dict[str, Any] = {
        "type": "report",
        "spec_version": "2.1",
        "id": converted.report_id,
        "name": str(event.get("info") or f"MISP event {event_uuid}")[:300],
        "description": _description(event, context_lines, converted.context),
        "report_types": ["threat-report"],
        "published": created,
        "object_refs": refs,
    }
    converted.objects.append(marked(report, event_tlp))
    return converted


def _description(event: dict[str, Any], context: list[str], total: int) -> str:
    parts: list[str] = []
    for event_report in event.get("EventReport") or []:
        if isinstance(event_report, dict) and not _deleted(event_report):
            content = str(event_report.get("content") or "").strip()
            if content:
                parts.append(content)
    if context:
        more = f"\n- … and {total - len(context)} more" if total > len(context) else ""
        parts.append("Context from the event (not for detection):\n" + "\n".join(context) + more)
    return "\n\n".join(parts)[:20000]
