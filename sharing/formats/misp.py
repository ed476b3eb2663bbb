"""Reports as MISP events: the download of one report and the parts of a MISP feed.

A MISP instance subscribes to a feed with source format "MISP Feed": it reads
`manifest.json` (one entry per event, with the organisation and tags its filters use),
fetches `<event-uuid>.json` for each event it does not hold or whose `timestamp` is newer
than its copy, and `hashes.csv` (md5 of each value, event uuid) for overlap lookups. The
shapes below follow MISP's own feed generator (PyMISP `MISPEvent.to_feed`).

Pure functions over plain values; the reads that feed them are in `sharing.misp.selectors`.
Every portal indicator type has a MISP attribute type and category (or an object template,
where MISP models the value as one), so nothing a member shared is lost on the way.
"""

import hashlib
import json
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sharing.formats.base import Export, ReportFormat
from sharing.indicator_types import IndicatorType
from sharing.models import Report
from sharing.normalize.extract.wallets import currency_of
from sharing.tlp import TLP

# Attribute and object uuids are derived from the event and the value, so a revision or a
# withdrawal updates the copy a MISP instance holds instead of adding a second attribute.
_ATTRIBUTE_NAMESPACE = uuid.UUID("0b7f2f5c-8a51-4c1e-b4d2-6f0e9d3a5c17")

# MISP's threat levels: 1 high, 2 medium, 3 low, 4 undefined. Portal reports carry a
# confidence, not a severity, so the honest value is "undefined".
THREAT_LEVEL_UNDEFINED = 4
# MISP's analysis states: 0 initial, 1 ongoing, 2 completed. A published report is final.
ANALYSIS_COMPLETED = 2

# The FIRST TLP 2.0 tags of MISP's `tlp` taxonomy, with its colours.
_TLP_TAGS = {
    TLP.CLEAR: ("tlp:clear", "#ffffff"),
    TLP.GREEN: ("tlp:green", "#339900"),
    TLP.AMBER: ("tlp:amber", "#ffc000"),
    TLP.AMBER_STRICT: ("tlp:amber+strict", "#ffc000"),
    TLP.RED: ("tlp:red", "#cc0033"),
}


@dataclass(frozen=True)
class MispType:
    """How one portal indicator type is written in MISP.

    `to_ids`: whether the value is meant for detection (MISP's IDS flag). CVE ids and
    ATT&CK techniques describe a report; they are context, not something to alert on.
    """

    type: str
    category: str
    to_ids: bool = True


# Every type in sharing.indicator_types; crypto wallets and JA4 fingerprints are decided per
# value below (`_object_for`). tests/test_misp_feed.py checks the table covers the enum.
MISP_TYPES: dict[IndicatorType, MispType] = {
    IndicatorType.IPV4: MispType("ip-dst", "Network activity"),
    IndicatorType.IPV6: MispType("ip-dst", "Network activity"),
    # MISP's ip-dst takes a network in CIDR notation as well.
    IndicatorType.CIDR: MispType("ip-dst", "Network activity"),
    IndicatorType.DOMAIN: MispType("domain", "Network activity"),
    IndicatorType.URL: MispType("url", "Network activity"),
    # The addresses the portal extracts are senders of phishing and fraud.
    IndicatorType.EMAIL: MispType("email-src", "Payload delivery"),
    IndicatorType.MD5: MispType("md5", "Payload delivery"),
    IndicatorType.SHA1: MispType("sha1", "Payload delivery"),
    IndicatorType.SHA256: MispType("sha256", "Payload delivery"),
    IndicatorType.SHA512: MispType("sha512", "Payload delivery"),
    IndicatorType.CVE: MispType("vulnerability", "External analysis", to_ids=False),
    IndicatorType.ASN: MispType("AS", "Network activity"),
    # MISP has no attribute type for ATT&CK ids (its galaxies need the technique's name).
    IndicatorType.ATTACK_TECHNIQUE: MispType("text", "External analysis", to_ids=False),
    IndicatorType.CRYPTO_WALLET: MispType("btc", "Financial fraud"),
    IndicatorType.REGISTRY_KEY: MispType("regkey", "Persistence mechanism"),
    IndicatorType.MUTEX: MispType("mutex", "Artifacts dropped"),
    IndicatorType.FILE_NAME: MispType("filename", "Payload delivery"),
    IndicatorType.USER_AGENT: MispType("user-agent", "Network activity"),
    IndicatorType.JA3: MispType("ja3-fingerprint-md5", "Network activity"),
    IndicatorType.JA4: MispType("text", "Network activity"),
}
_XMR = MispType("xmr", "Financial fraud")

# Object templates from MISP's misp-objects repository (name, uuid, version).
COIN_ADDRESS = ("coin-address", "d0e6997e-78da-4815-a6a1-cfc1c1cb8a46", "7", "financial")
JA4_PLUS = ("ja4-plus", "2c15c75e-e7db-4b62-8d17-633e7571818f", "2", "network")


@dataclass(frozen=True)
class EventHead:
    """What the manifest says about one event, and what its file repeats."""

    uuid: str
    info: str
    published: datetime
    timestamp: int  # Unix seconds of the last change: MISP re-fetches when it grows
    tlp: TLP
    orgc_name: str
    orgc_uuid: str
    withdrawn: bool = False


@dataclass(frozen=True)
class SharedValue:
    """One indicator of a report, with the report's context for it."""

    type: IndicatorType
    value: str
    description: str = ""
    warning_list: str = ""
    first_seen: datetime | None = None
    last_seen: datetime | None = None
    # Taken out of the report by a revision: kept, marked deleted, so copies drop it too.
    deleted: bool = False


def tlp_tag(tlp: TLP) -> dict[str, Any]:
    name, colour = _TLP_TAGS[tlp]
    return {"name": name, "colour": colour, "relationship_type": "", "local": False}


def attribute_uuid(event_uuid: str, kind: IndicatorType, value: str) -> str:
    return str(uuid.uuid5(_ATTRIBUTE_NAMESPACE, f"{event_uuid}:{kind.value}:{value}"))


def _info(head: EventHead) -> str:
    # MISP shows `info` as the event's title: a withdrawn one says so in the list.
    return f"[Withdrawn] {head.info}" if head.withdrawn else head.info


def manifest_entry(head: EventHead) -> dict[str, Any]:
    """The manifest's value for one event: what MISP's tag and organisation rules filter on."""
    return {
        "Orgc": {"name": head.orgc_name, "uuid": head.orgc_uuid},
        "Tag": [tlp_tag(head.tlp)],
        "info": _info(head),
        "date": head.published.date().isoformat(),
        "analysis": ANALYSIS_COMPLETED,
        "threat_level_id": THREAT_LEVEL_UNDEFINED,
        "timestamp": head.timestamp,
    }


def _comment(item: SharedValue) -> str:
    parts = [item.description.strip()] if item.description.strip() else []
    if item.warning_list:
        parts.append(f"On a warning list ({item.warning_list}): not for detection.")
    return " ".join(parts)


def _seen(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


def _attribute(
    head: EventHead,
    item: SharedValue,
    mapped: MispType,
    *,
    key: str,
    relation: str | None = None,
    value: str | None = None,
) -> dict[str, Any]:
    attribute: dict[str, Any] = {
        "uuid": str(uuid.uuid5(_ATTRIBUTE_NAMESPACE, f"{head.uuid}:{key}")),
        "type": mapped.type,
        "category": mapped.category,
        "value": item.value if value is None else value,
        "comment": _comment(item) if value is None else "",
        # A value on a warning list (a popular domain, a documentation range) is kept for
        # context but must not raise alerts, as MISP itself does for its warning lists.
        "to_ids": mapped.to_ids and not item.warning_list and value is None,
        "disable_correlation": value is not None,
        # Every change of the event re-dates its attributes: MISP takes an attribute's
        # update (its deletion, above all) only when its timestamp is newer than its copy.
        "timestamp": head.timestamp,
        "deleted": head.withdrawn or item.deleted,
        "Tag": [],
    }
    if relation is not None:
        attribute["object_relation"] = relation
    if value is None:
        attribute["first_seen"] = _seen(item.first_seen)
        attribute["last_seen"] = _seen(item.last_seen)
    return attribute


def _object_for(head: EventHead, item: SharedValue) -> dict[str, Any] | None:
    """The MISP object a value is written as, for values MISP models as an object."""
    if item.type == IndicatorType.CRYPTO_WALLET:
        currency = currency_of(item.value)
        if currency in ("BTC", "XMR"):
            return None
        template, relation = COIN_ADDRESS, "address-crypto"
        value_type = MispType("text", "Financial fraud")
        extra = ("symbol", currency)
    elif item.type == IndicatorType.JA4:
        template, relation = JA4_PLUS, "ja4-fingerprint"
        value_type = MispType("text", "Network activity")
        extra = ("ja4-type", "ja4")
    else:
        return None
    name, template_uuid, version, meta_category = template
    key = f"{item.type.value}:{item.value}"
    return {
        "name": name,
        "meta-category": meta_category,
        "description": "",
        "template_uuid": template_uuid,
        "template_version": version,
        "uuid": attribute_uuid(head.uuid, item.type, item.value),
        "timestamp": head.timestamp,
        "deleted": head.withdrawn or item.deleted,
        "comment": _comment(item),
        "Attribute": [
            _attribute(head, item, value_type, key=key, relation=relation),
            _attribute(
                head,
                item,
                MispType("text", value_type.category, to_ids=False),
                key=f"{key}:{extra[0]}",
                relation=extra[0],
                value=extra[1],
            ),
        ],
        "ObjectReference": [],
    }


def _mapped(item: SharedValue) -> MispType:
    if item.type == IndicatorType.CRYPTO_WALLET and currency_of(item.value) == "XMR":
        return _XMR
    return MISP_TYPES[item.type]


def attributes_and_objects(
    head: EventHead, items: Iterable[SharedValue]
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    attributes: list[dict[str, Any]] = []
    objects: list[dict[str, Any]] = []
    for item in items:
        obj = _object_for(head, item)
        if obj is not None:
            objects.append(obj)
            continue
        attribute = _attribute(head, item, _mapped(item), key=f"{item.type.value}:{item.value}")
        attribute["uuid"] = attribute_uuid(head.uuid, item.type, item.value)
        attributes.append(attribute)
    return attributes, objects


def event_document(
    head: EventHead, items: Iterable[SharedValue], *, narrative: str = ""
) -> dict[str, Any]:
    """`{"Event": {...}}` as a MISP feed serves it (no distribution or sharing groups: the
    subscriber's MISP applies its own)."""
    attributes, objects = attributes_and_objects(head, items)
    event: dict[str, Any] = {
        "uuid": head.uuid,
        "info": _info(head),
        "date": head.published.date().isoformat(),
        "threat_level_id": THREAT_LEVEL_UNDEFINED,
        "analysis": ANALYSIS_COMPLETED,
        "timestamp": head.timestamp,
        "publish_timestamp": max(int(head.published.timestamp()), 0),
        "published": True,
        "Orgc": {"name": head.orgc_name, "uuid": head.orgc_uuid},
        "Tag": [tlp_tag(head.tlp)],
        "Attribute": attributes,
        "Object": objects,
        "EventReport": [],
    }
    if narrative.strip():
        # The report's text, as a MISP event report (Markdown, which MISP renders itself).
        event["EventReport"].append(
            {
                "uuid": str(uuid.uuid5(_ATTRIBUTE_NAMESPACE, f"{head.uuid}:report")),
                "name": head.info,
                "content": narrative,
                "timestamp": head.timestamp,
                "deleted": head.withdrawn,
            }
        )
    return {"Event": event}


def hash_lines(event_uuid: str, values: Iterable[str]) -> Iterator[str]:
    """hashes.csv lines for an event's values: `md5(value),event_uuid`, one per part of a
    composite `a|b` value, as MISP's own feeds write them."""
    for value in values:
        for part in value.split("|") if "|" in value else (value,):
            yield f"{hashlib.md5(part.encode()).hexdigest()},{event_uuid}\n"  # noqa: S324


# --- The download of one report ----------------------------------------------------------


class MispEvent(ReportFormat):
    """One report as a MISP event file, to import into a MISP instance by hand."""

    identifier = "misp"
    label = "MISP event"

    def export(self, report: Report, *, include_expired: bool = False) -> Export:
        # Every attribute, whatever its lifecycle: an event download is a record, not a
        # block list.
        # The reads live with the feed's; imported here because they build on this module.
        from sharing.misp.selectors import report_event

        document = report_event(report)
        return Export(
            content=json.dumps(document, indent=2).encode(),
            content_type="application/json",
            filename=f"report-{report.uuid}.misp.json",
        )
