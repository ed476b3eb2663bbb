"""Building STIX 2.1 objects from indicators. Pure: plain dicts in, plain dicts out.

Ids are deterministic so that normalising the same report again gives the same ids (a new
version of an object keeps its id and gets a newer `modified`):
- observables (SCOs) use the STIX 2.1 rule: UUIDv5 in the SCO namespace over the canonical
  JSON of their id-contributing properties;
- indicators, relationships, vulnerabilities and attack patterns hash what makes them
  unique (UUIDv5 in the portal's namespace) into a version 4 UUID.
"""

import json
import re
import uuid
from datetime import UTC, datetime
from typing import Any

from sharing.indicator_types import IndicatorType

SCO_NAMESPACE = uuid.UUID("00abedb4-aa42-466c-9c01-fed23315a9b7")
PORTAL_NAMESPACE = uuid.UUID("4f2a7c1e-52d3-4b8e-9a61-0c7e3f5d2b94")

_HASH_NAMES = {
    IndicatorType.MD5: "MD5",
    IndicatorType.SHA1: "SHA-1",
    IndicatorType.SHA256: "SHA-256",
    IndicatorType.SHA512: "SHA-512",
}
_INDICATOR_NAMES = {
    IndicatorType.IPV4: "IPv4 address",
    IndicatorType.IPV6: "IPv6 address",
    IndicatorType.CIDR: "Network",
    IndicatorType.DOMAIN: "Domain",
    IndicatorType.URL: "URL",
    IndicatorType.EMAIL: "E-mail address",
    IndicatorType.MD5: "MD5",
    IndicatorType.SHA1: "SHA-1",
    IndicatorType.SHA256: "SHA-256",
    IndicatorType.SHA512: "SHA-512",
    IndicatorType.ASN: "Autonomous system",
    IndicatorType.CRYPTO_WALLET: "Cryptocurrency wallet",
    IndicatorType.REGISTRY_KEY: "Windows registry key",
    IndicatorType.MUTEX: "Mutex",
    IndicatorType.FILE_NAME: "File name",
    IndicatorType.USER_AGENT: "HTTP user agent",
    IndicatorType.JA3: "JA3 TLS client fingerprint",
    IndicatorType.JA4: "JA4 TLS client fingerprint",
}
# STIX 2.1 has no observable for a cryptocurrency address, so a new SCO defined by an
# extension definition (STIX 2.1 section 7.3, which replaces the deprecated custom objects;
# the type name the community extensions and OpenCTI use). Registry keys, mutexes and file
# names have standard observables. User agents and TLS fingerprints are properties of
# network traffic, not objects: their indicators carry a pattern and no observable.
WALLET_SCO_TYPE = "cryptocurrency-wallet"
WALLET_EXTENSION_ID = "extension-definition--2b7c1b06-6a0a-4c0f-9f59-1a8e2b0c7d11"
PORTAL_IDENTITY_ID = "identity--7d3b5f0e-3c1a-4b8e-9a2f-5e6d7c8b9a01"


def wallet_extension_definition() -> dict[str, Any]:
    """The extension definition that `cryptocurrency-wallet` observables point to."""
    stamp = "2026-11-01T00:00:00.000Z"
    return {
        "type": "extension-definition",
        "spec_version": "2.1",
        "id": WALLET_EXTENSION_ID,
        "created_by_ref": PORTAL_IDENTITY_ID,
        "created": stamp,
        "modified": stamp,
        "name": "Cryptocurrency wallet",
        "description": "An address that receives cryptocurrency (ransom, drainer, mining payout).",
        "schema": (
            "A new SCO 'cryptocurrency-wallet' with one required string property 'value', "
            "the address as written (Bitcoin, Litecoin, Dogecoin, Tron, Ethereum, Monero); "
            "its id is derived from 'value'."
        ),
        "version": "1.0.0",
        "extension_types": ["new-sco"],
    }


# JA3/JA4 cannot be expressed in STIX patterning; a Suricata rule (ja3.hash / ja4.hash,
# Suricata 7) is what members' sensors load.
_SURICATA_KEYWORDS = {IndicatorType.JA3: "ja3.hash", IndicatorType.JA4: "ja4.hash"}


def timestamp(moment: datetime) -> str:
    """STIX timestamp with millisecond precision, always UTC: 2026-11-20T09:05:00.000Z."""
    if moment.tzinfo is None:
        raise ValueError("STIX timestamps need an aware datetime")
    utc = moment.astimezone(UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


def parse_timestamp(value: str) -> datetime:
    """A STIX/RFC 3339 timestamp to an aware datetime (ValueError when it is not one)."""
    cleaned = value.strip()
    if cleaned.endswith(("Z", "z")):
        cleaned = cleaned[:-1] + "+00:00"
    moment = datetime.fromisoformat(cleaned)
    if moment.tzinfo is None:
        raise ValueError(f"{value!r} has no time zone")
    return moment


def _canonical(data: dict[str, Any]) -> str:
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def deterministic_id(object_type: str, key: str) -> str:
    """A stable id for an SDO or SRO: UUIDv5 bytes in UUIDv4 form, because STIX 2.1 asks
    for version 4 UUIDs on everything but observables (strict validators insist)."""
    digest = uuid.uuid5(PORTAL_NAMESPACE, key).bytes
    return f"{object_type}--{uuid.UUID(bytes=digest, version=4)}"


def sco_for(kind: IndicatorType, value: str) -> dict[str, Any] | None:
    """The observable (SCO) for an indicator value, or None for CVE and ATT&CK ids."""
    sco: dict[str, Any]
    match kind:
        case IndicatorType.IPV4:
            sco = {"type": "ipv4-addr", "value": value}
        case IndicatorType.IPV6:
            sco = {"type": "ipv6-addr", "value": value}
        case IndicatorType.CIDR:
            sco = {"type": "ipv6-addr" if ":" in value else "ipv4-addr", "value": value}
        case IndicatorType.DOMAIN:
            sco = {"type": "domain-name", "value": value}
        case IndicatorType.URL:
            sco = {"type": "url", "value": value}
        case IndicatorType.EMAIL:
            sco = {"type": "email-addr", "value": value}
        case IndicatorType.MD5 | IndicatorType.SHA1 | IndicatorType.SHA256 | IndicatorType.SHA512:
            sco = {"type": "file", "hashes": {_HASH_NAMES[kind]: value}}
        case IndicatorType.ASN:
            sco = {"type": "autonomous-system", "number": int(value.removeprefix("AS"))}
        case IndicatorType.CRYPTO_WALLET:
            sco = {"type": WALLET_SCO_TYPE, "value": value}
        case IndicatorType.REGISTRY_KEY:
            sco = {"type": "windows-registry-key", "key": value}
        case IndicatorType.MUTEX:
            sco = {"type": "mutex", "name": value}
        case IndicatorType.FILE_NAME:
            sco = {"type": "file", "name": value}
        case _:
            return None
    contributing = {key: item for key, item in sco.items() if key != "type"}
    sco_uuid = uuid.uuid5(SCO_NAMESPACE, _canonical(contributing))
    if kind == IndicatorType.CRYPTO_WALLET:
        # Validators only know the standard SCOs and ask version 4 ids of anything else.
        sco_uuid = uuid.UUID(bytes=sco_uuid.bytes, version=4)
        contributing["extensions"] = {WALLET_EXTENSION_ID: {"extension_type": "new-sco"}}
    return {
        "type": sco["type"],
        "spec_version": "2.1",
        "id": f"{sco['type']}--{sco_uuid}",
        **contributing,
    }


def stix_id_for(kind: IndicatorType, value: str) -> str:
    """The deterministic STIX id of an indicator value (Indicator.stix_id)."""
    sco = sco_for(kind, value)
    if sco is not None:
        return str(sco["id"])
    if kind == IndicatorType.CVE:
        return deterministic_id("vulnerability", f"cve:{value}")
    if kind == IndicatorType.ATTACK_TECHNIQUE:
        return deterministic_id("attack-pattern", f"mitre-attack:{value}")
    return deterministic_id("indicator", f"{kind.value}:{value}")


def _quote(value: str) -> str:
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def pattern_for(kind: IndicatorType, value: str) -> str | None:
    """The STIX pattern matching an indicator value, or None for CVE and ATT&CK ids."""
    if kind == IndicatorType.USER_AGENT:
        header = "network-traffic:extensions.'http-request-ext'.request_header.'User-Agent'"
        return f"[{header} = {_quote(value)}]"
    if kind in _SURICATA_KEYWORDS:
        sid = 3_000_000_000 + int(uuid.uuid5(PORTAL_NAMESPACE, value).hex[:7], 16)
        return (
            f'alert tls any any -> any any (msg:"{_INDICATOR_NAMES[kind]} {value}"; '
            f'{_SURICATA_KEYWORDS[kind]}; content:"{value}"; sid:{sid}; rev:1;)'
        )
    sco = sco_for(kind, value)
    if sco is None:
        return None
    if sco["type"] == "file" and "name" in sco:
        return f"[file:name = {_quote(value)}]"
    if sco["type"] == "windows-registry-key":
        return f"[windows-registry-key:key = {_quote(value)}]"
    if sco["type"] == "mutex":
        return f"[mutex:name = {_quote(value)}]"
    if sco["type"] == "file":
        return f"[file:hashes.{_quote(_HASH_NAMES[kind])} = {_quote(value)}]"
    if sco["type"] == "autonomous-system":
        return f"[autonomous-system:number = {sco['number']}]"
    if kind == IndicatorType.CIDR:
        return f"[{sco['type']}:value ISSUBSET {_quote(value)}]"
    return f"[{sco['type']}:value = {_quote(value)}]"


def objects_for_indicator(
    kind: IndicatorType,
    value: str,
    *,
    report_key: str,
    created: str,
    modified: str,
    valid_from: str,
    identity_id: str,
    marking_id: str,
    description: str = "",
    confidence: int | None = None,
    labels: tuple[str, ...] = (),
) -> list[dict[str, Any]]:
    """The STIX objects one indicator value contributes to a report.

    Observable values: the SCO, an `indicator` with its pattern and a `related-to`
    relationship from the indicator to the SCO (STIX suggests `based-on` only towards
    observed-data). CVE ids: a `vulnerability`. ATT&CK ids: an `attack-pattern`.
    """
    common = {
        "spec_version": "2.1",
        "created_by_ref": identity_id,
        "created": created,
        "modified": modified,
        "object_marking_refs": [marking_id],
    }
    if kind == IndicatorType.CVE:
        return [
            {
                "type": "vulnerability",
                "id": stix_id_for(kind, value),
                **common,
                "name": value,
                "description": f"{value}, reported to the ISAC as exploited.",
                "external_references": [{"source_name": "cve", "external_id": value}],
            }
        ]
    if kind == IndicatorType.ATTACK_TECHNIQUE:
        return [
            {
                "type": "attack-pattern",
                "id": stix_id_for(kind, value),
                **common,
                "name": value,
                "description": f"MITRE ATT&CK technique {value}, reported to the ISAC.",
                "external_references": [
                    {
                        "source_name": "mitre-attack",
                        "external_id": value,
                    }
                ],
            }
        ]
    sco = sco_for(kind, value)
    pattern = pattern_for(kind, value)
    if pattern is None:
        raise ValueError(f"no pattern for {kind.value}")
    indicator_id = deterministic_id("indicator", f"{report_key}:{kind.value}:{value}")
    indicator: dict[str, Any] = {
        "type": "indicator",
        "id": indicator_id,
        **common,
        "name": f"{_INDICATOR_NAMES[kind]} {value}"[:250],
        "indicator_types": ["malicious-activity"],
        "pattern": pattern,
        "pattern_type": "suricata" if kind in _SURICATA_KEYWORDS else "stix",
        "pattern_version": "7.0" if kind in _SURICATA_KEYWORDS else "2.1",
        "valid_from": valid_from,
    }
    if labels:
        indicator["labels"] = list(labels)
    indicator["description"] = description or f"{_INDICATOR_NAMES[kind]} reported to the ISAC."
    if confidence is not None:
        indicator["confidence"] = confidence
    if sco is None:
        return [indicator]
    sco = {**sco, "object_marking_refs": [marking_id]}
    extras = [wallet_extension_definition()] if kind == IndicatorType.CRYPTO_WALLET else []
    relationship = {
        "type": "relationship",
        "id": deterministic_id("relationship", f"{indicator_id}:related-to:{sco['id']}"),
        **common,
        "relationship_type": "related-to",
        "source_ref": indicator_id,
        "target_ref": sco["id"],
    }
    return [*extras, sco, indicator, relationship]


def value_of_object(obj: dict[str, Any], *, report_key: str) -> tuple[IndicatorType, str] | None:
    """The indicator value an object written by `objects_for_indicator` for the report stands
    for (its indicator, vulnerability or attack-pattern), or None for any other object.

    Read back from the name and confirmed by recomputing the object's deterministic id, so
    an object written elsewhere (an upload's) or a truncated name is never misread.
    """
    name = obj.get("name")
    if not isinstance(name, str):
        return None
    if obj.get("type") == "vulnerability":
        candidates = [(IndicatorType.CVE, name)]
    elif obj.get("type") == "attack-pattern":
        candidates = [(IndicatorType.ATTACK_TECHNIQUE, name)]
    elif obj.get("type") == "indicator":
        candidates = [
            (kind, name.removeprefix(f"{label} "))
            for kind, label in _INDICATOR_NAMES.items()
            if name.startswith(f"{label} ")
        ]
    else:
        return None
    for kind, value in candidates:
        if obj["type"] == "indicator":
            expected = deterministic_id("indicator", f"{report_key}:{kind.value}:{value}")
        else:
            expected = stix_id_for(kind, value)
        if obj.get("id") == expected:
            return kind, value
    return None


def identity_object(*, identity_id: str, name: str, created: str) -> dict[str, Any]:
    return {
        "type": "identity",
        "spec_version": "2.1",
        "id": identity_id,
        "created": created,
        "modified": created,
        "name": name,
        "identity_class": "organization",
    }


# Patterns the portal can check without the full ANTLR grammar: one comparison of a value
# with a quoted string or a number. Everything else goes through stix2-patterns.
_SIMPLE_PATTERN = re.compile(
    r"\[[a-z0-9-]+:[a-z0-9_.'\-]+ (?:=|ISSUBSET) (?:'(?:[^'\\]|\\['\\])*'|\d+)\]"
)


def pattern_errors(pattern: str) -> list[str]:
    """Why a STIX pattern is invalid (empty when it is valid)."""
    if _SIMPLE_PATTERN.fullmatch(pattern):
        return []
    from stix2patterns.validator import run_validator

    try:
        return [str(error) for error in run_validator(pattern, stix_version="2.1")]
    except Exception as exc:  # noqa: BLE001 - the ANTLR parser raises bare Exceptions
        return [str(exc)]
