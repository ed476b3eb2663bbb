"""STIX 2.1 and 2.0 bundles, streamed with ijson so a 100,000-object bundle is never loaded
into memory at once.

Pass one (`scan_bundle`) checks the JSON is complete and not pathologically nested, that it
is a bundle, and collects its TLP markings and the identities to drop. Pass two
(`iter_objects`) yields each object upgraded to 2.1, checked, and rewritten for sharing:
attributed to the portal's source identity and marked with the report's TLP only.

Identities, reports and marking definitions of the upload are not kept: the portal writes
its own (the source identity may have to be the ISAC when the member shares anonymously),
and relationships pointing at a dropped identity are dropped with it.
"""

import io
import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import ijson

from sharing.normalize.extract import IndicatorType, normalise
from sharing.normalize.parsers import NormalisationError, ParsedIndicator, quoted
from sharing.normalize.parsers.jsontext import unstorable_text
from sharing.stix.markings import KNOWN_MARKING_IDS, tlp_of_marking_object
from sharing.stix.objects import parse_timestamp, pattern_errors
from sharing.tlp import TLP

SCO_TYPES = frozenset(
    {
        "artifact", "autonomous-system", "directory", "domain-name", "email-addr",
        "email-message", "file", "ipv4-addr", "ipv6-addr", "mac-addr", "mutex",
        "network-traffic", "process", "software", "url", "user-account",
        "windows-registry-key", "x509-certificate",
    }
)  # fmt: skip
DROPPED_TYPES = frozenset(
    {"marking-definition", "identity", "report", "extension-definition", "language-content"}
)
MAX_ERRORS = 50
_TYPE_RE = re.compile(r"^[a-z0-9][a-z0-9-]{1,248}[a-z0-9]$")
_LABELS_TO = {
    "indicator": "indicator_types",
    "malware": "malware_types",
    "threat-actor": "threat_actor_types",
    "tool": "tool_types",
    "infrastructure": "infrastructure_types",
}
_SCO_VALUE_TYPES = {
    "ipv4-addr": IndicatorType.IPV4,
    "ipv6-addr": IndicatorType.IPV6,
    "domain-name": IndicatorType.DOMAIN,
    "url": IndicatorType.URL,
    "email-addr": IndicatorType.EMAIL,
    "cryptocurrency-wallet": IndicatorType.CRYPTO_WALLET,
}
# Observables whose indicator value is another property than `value`.
_SCO_OTHER_PROPERTIES = {
    "mutex": ("name", IndicatorType.MUTEX),
    "windows-registry-key": ("key", IndicatorType.REGISTRY_KEY),
}
_HASH_TYPES = {
    "md5": IndicatorType.MD5,
    "sha-1": IndicatorType.SHA1,
    "sha1": IndicatorType.SHA1,
    "sha-256": IndicatorType.SHA256,
    "sha256": IndicatorType.SHA256,
    "sha-512": IndicatorType.SHA512,
    "sha512": IndicatorType.SHA512,
}
_PATTERN_VALUE = re.compile(
    r"(ipv4-addr|ipv6-addr|domain-name|url|email-addr|cryptocurrency-wallet):value"
    r"\s*(?:=|ISSUBSET)\s*'((?:[^'\\]|\\.)*)'"
)
_PATTERN_HASH = re.compile(r"file:hashes\.(?:'([^']+)'|([A-Za-z0-9-]+))\s*=\s*'([0-9a-fA-F]+)'")
_PATTERN_ASN = re.compile(r"autonomous-system:number\s*=\s*(\d+)")


@dataclass(slots=True)
class BundleScan:
    """What pass one learnt about a bundle."""

    spec_version: str = "2.1"
    object_count: int = 0
    tlps: set[TLP] = field(default_factory=set)
    dropped_ids: set[str] = field(default_factory=set)
    report_name: str = ""
    report_description: str = ""


def _json_error(exc: Exception) -> NormalisationError:
    if "premature eof" in str(exc).lower():
        return NormalisationError(
            "The JSON ends before it is complete: the file looks truncated. Upload it again."
        )
    reason = str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__
    return NormalisationError(f"This is not valid JSON ({reason}).")


def scan_bundle(raw: bytes, *, max_depth: int) -> BundleScan:
    """Pass one: validity of the JSON, nesting, bundle type, TLP markings, dropped ids."""
    scan = BundleScan()
    top_type = None
    current: dict[str, Any] = {}
    marking_refs: set[str] = set()
    # basic_parse gives no prefixes: ijson's own prefixes grow with the nesting depth, which
    # makes a pathologically nested file quadratic before the depth check could stop it.
    path: list[str] = []
    try:
        for event, value in ijson.basic_parse(io.BytesIO(raw)):
            if event == "map_key":
                path[-1] = value
                continue
            if event in ("start_map", "start_array"):
                if len(path) >= max_depth:
                    raise NormalisationError(
                        f"The JSON is nested more than {max_depth} levels deep; "
                        "that is not a STIX bundle the portal accepts."
                    )
                if event == "start_map" and len(path) == 2 and path == ["objects", "item"]:
                    current = {}
                path.append("" if event == "start_map" else "item")
                continue
            if event in ("end_map", "end_array"):
                path.pop()
                if event == "end_map" and path == ["objects", "item"]:
                    _scan_object(scan, current)
                continue
            if len(path) > 6:
                continue
            prefix = ".".join(path)
            if prefix == "type":
                top_type = value
            elif prefix == "spec_version":
                scan.spec_version = str(value)
            elif prefix.startswith("objects.item."):
                key = prefix[13:]
                if key == "object_marking_refs.item":
                    marking_refs.add(str(value))
                elif key in _SCAN_KEYS or key.endswith(".tlp_2_0") or key.startswith("definition."):
                    current[key] = value
    except NormalisationError:
        raise
    except ijson.JSONError as exc:
        raise _json_error(exc) from None
    if top_type != "bundle":
        raise NormalisationError(
            'This JSON is not a STIX bundle: its "type" must be "bundle".',
            [{"field": "type", "message": f"found {quoted(top_type)}"}],
        )
    scan.tlps.update(KNOWN_MARKING_IDS[ref] for ref in marking_refs if ref in KNOWN_MARKING_IDS)
    return scan


_SCAN_KEYS = frozenset(
    {"type", "id", "name", "description", "definition_type", "x_opencti_definition",
     "x_opencti_definition_type"}
)  # fmt: skip


def _scan_object(scan: BundleScan, current: dict[str, Any]) -> None:
    scan.object_count += 1
    object_type = current.get("type")
    if object_type == "marking-definition":
        marking: dict[str, Any] = {
            key: current[key] for key in ("id", "name", "definition_type") if key in current
        }
        marking["definition"] = {
            key.split(".", 1)[1]: value
            for key, value in current.items()
            if key.startswith("definition.")
        }
        for key, value in current.items():
            if key.endswith(".tlp_2_0"):
                marking["extensions"] = {
                    key.split(".")[1]: {"tlp_2_0": value},
                }
        for key in ("x_opencti_definition", "x_opencti_definition_type"):
            if key in current:
                marking[key] = current[key]
        tlp = tlp_of_marking_object(marking)
        if tlp is not None:
            scan.tlps.add(tlp)
    elif object_type == "identity" and current.get("id"):
        scan.dropped_ids.add(str(current["id"]))
    elif object_type == "report" and not scan.report_name:
        scan.report_name = str(current.get("name") or "")[:300]
        scan.report_description = str(current.get("description") or "")


def _valid_id(value: Any, object_type: str | None = None) -> bool:
    if not isinstance(value, str) or "--" not in value:
        return False
    prefix, _, suffix = value.partition("--")
    if object_type is not None and prefix != object_type:
        return False
    try:
        uuid.UUID(suffix)
    except ValueError:
        return False
    return bool(_TYPE_RE.match(prefix))


def upgrade(obj: dict[str, Any]) -> dict[str, Any]:
    """A STIX 2.0 object as STIX 2.1 (a 2.1 object is returned unchanged)."""
    if obj.get("spec_version") == "2.1":
        return obj
    upgraded = {**obj, "spec_version": "2.1"}
    object_type = upgraded.get("type")
    if object_type in _LABELS_TO and "labels" in upgraded:
        upgraded.setdefault(_LABELS_TO[object_type], upgraded.pop("labels"))
    if object_type == "indicator":
        upgraded.setdefault("pattern_type", "stix")
    if object_type == "malware":
        upgraded.setdefault("is_family", True)
    return upgraded


# The bundle's own depth is limited while scanning; this bounds the walk of one object.
MAX_OBJECT_DEPTH = 256


def check(obj: Any, position: int) -> list[dict[str, Any]]:
    """Why an object is not valid STIX 2.1 (empty when it is), in words and with its place."""
    if not isinstance(obj, dict):
        return [{"object": position, "message": "not a JSON object"}]
    object_type = obj.get("type")
    where = {"object": position, "id": str(obj.get("id", ""))[:120]}
    if not isinstance(object_type, str) or not _TYPE_RE.match(object_type):
        return [{**where, "field": "type", "message": f"invalid type {quoted(object_type)}"}]
    errors: list[dict[str, Any]] = [
        {**where, "field": field, "message": problem}
        for field, problem in unstorable_text(obj, max_depth=MAX_OBJECT_DEPTH)
    ]
    if not _valid_id(obj.get("id"), object_type):
        errors.append({**where, "field": "id", "message": "not a valid STIX identifier"})
    if object_type not in SCO_TYPES:
        # A marking definition is never revised: STIX 2.1 gives it no `modified`.
        stamps = ("created",) if object_type == "marking-definition" else ("created", "modified")
        for name in stamps:
            try:
                parse_timestamp(str(obj.get(name, "")))
            except ValueError:
                errors.append({**where, "field": name, "message": "missing or not a timestamp"})
    if object_type == "indicator":
        pattern = obj.get("pattern")
        if not isinstance(pattern, str) or not pattern:
            errors.append({**where, "field": "pattern", "message": "missing"})
        elif obj.get("pattern_type", "stix") == "stix" and (found := pattern_errors(pattern)):
            errors.append({**where, "field": "pattern", "message": found[0][:300]})
        if "valid_from" not in obj:
            errors.append({**where, "field": "valid_from", "message": "missing"})
    if object_type in ("relationship", "sighting"):
        refs = (
            ("source_ref", "target_ref") if object_type == "relationship" else ("sighting_of_ref",)
        )
        for name in refs:
            if not _valid_id(obj.get(name)):
                errors.append({**where, "field": name, "message": "not a valid STIX identifier"})
    return errors


def rewrite(obj: dict[str, Any], *, identity_id: str, marking_id: str) -> dict[str, Any]:
    """The object as the portal shares it: its source identity, the report's TLP marking,
    no granular markings and no custom x_ properties (which can carry anything)."""
    shared = {
        key: value
        for key, value in obj.items()
        if not key.startswith("x_")
        and key not in ("granular_markings", "object_marking_refs", "created_by_ref")
    }
    if obj["type"] not in SCO_TYPES:
        shared["created_by_ref"] = identity_id
    shared["object_marking_refs"] = [marking_id]
    if obj["type"] == "indicator" and "name" in shared and "description" not in shared:
        shared["description"] = shared["name"]
    return shared


def indicators_in(obj: dict[str, Any]) -> list[ParsedIndicator]:
    """Indicator values an object carries: in a pattern, as an SCO, as a CVE or ATT&CK id."""
    found: list[tuple[IndicatorType, str]] = []
    object_type = obj.get("type")
    if object_type == "indicator" and isinstance(obj.get("pattern"), str):
        pattern = obj["pattern"]
        for sco_type, raw in _PATTERN_VALUE.findall(pattern):
            kind = _SCO_VALUE_TYPES[sco_type]
            value = raw.replace("\\'", "'").replace("\\\\", "\\")
            if kind in (IndicatorType.IPV4, IndicatorType.IPV6) and "/" in value:
                kind = IndicatorType.CIDR
            found.append((kind, value))
        for quoted, bare, digest in _PATTERN_HASH.findall(pattern):
            if kind_hash := _HASH_TYPES.get((quoted or bare).lower()):
                found.append((kind_hash, digest))
        found.extend((IndicatorType.ASN, number) for number in _PATTERN_ASN.findall(pattern))
    elif object_type in _SCO_VALUE_TYPES and isinstance(obj.get("value"), str):
        kind = _SCO_VALUE_TYPES[object_type]
        if "/" in obj["value"]:
            kind = IndicatorType.CIDR
        found.append((kind, obj["value"]))
    elif object_type in _SCO_OTHER_PROPERTIES:
        key, kind = _SCO_OTHER_PROPERTIES[object_type]
        if isinstance(obj.get(key), str):
            found.append((kind, obj[key]))
    elif object_type == "file" and isinstance(obj.get("hashes"), dict):
        for name, digest in obj["hashes"].items():
            if kind_hash := _HASH_TYPES.get(str(name).lower()):
                found.append((kind_hash, str(digest)))
    elif object_type in ("vulnerability", "attack-pattern"):
        for reference in obj.get("external_references") or []:
            if not isinstance(reference, dict):
                continue
            source = reference.get("source_name")
            if object_type == "vulnerability" and source == "cve":
                found.append((IndicatorType.CVE, str(reference.get("external_id", ""))))
            if object_type == "attack-pattern" and source == "mitre-attack":
                found.append(
                    (IndicatorType.ATTACK_TECHNIQUE, str(reference.get("external_id", "")))
                )
    description = str(obj.get("name") or obj.get("description") or "")[:2000]
    confidence = obj.get("confidence") if isinstance(obj.get("confidence"), int) else None
    result: list[ParsedIndicator] = []
    for kind, raw_value in found:
        value = normalise(kind, str(raw_value))
        if value is not None:
            result.append(
                ParsedIndicator(kind, value, confidence=confidence, description=description)
            )
    return result


def iter_objects(raw: bytes, *, scan: BundleScan) -> Iterator[dict[str, Any]]:
    """Pass two: each kept object, upgraded to 2.1 and checked.

    Raises NormalisationError listing every invalid object (up to 50) once the stream ends
    or the limit is reached; callers run inside a transaction so nothing is kept then.
    """
    errors: list[dict[str, Any]] = []
    try:
        for position, item in enumerate(
            ijson.items(io.BytesIO(raw), "objects.item", use_float=True)
        ):
            if not isinstance(item, dict):
                errors.append({"object": position, "message": "not a JSON object"})
                continue
            if item.get("type") in DROPPED_TYPES:
                continue
            obj = upgrade(item)
            problems = check(obj, position)
            if problems:
                errors.extend(problems)
                if len(errors) >= MAX_ERRORS:
                    break
                continue
            if obj["type"] in ("relationship", "sighting") and (
                obj.get("source_ref") in scan.dropped_ids
                or obj.get("target_ref") in scan.dropped_ids
            ):
                continue
            if not errors:
                yield obj
    except ijson.JSONError as exc:
        raise _json_error(exc) from None
    if errors:
        objects = len({error.get("object") for error in errors})
        raise NormalisationError(
            f"{objects} object(s) in the bundle are not valid STIX 2.1; nothing was imported.",
            errors[:MAX_ERRORS],
        )
