"""The bundle a government partner receives: a report's STIX objects made anonymous.

Pure: plain dicts in, plain dicts out; what to hide is passed in (`Anonymity`). Starting
from the report's current bundle (sharing.formats.stix), it
- replaces every source identity with the ISAC's, carrying the AIS consent label (one
  identity per consent, so each keeps one meaning for ever);
- drops what names members or their people: identities, sightings (their reporters),
  notes and opinions (comments), custom `x_` properties, external references into the
  portal, labels that name a member, trust group or person, victims' e-mail addresses;
- scrubs personal data from free text again (sharing.normalize's scrub) and replaces
  member, trust group and people names there;
- keeps the TLP 2.0 markings (and drops any other marking, which may name a member);
- dates every object version at least at the report version's own time, so a revision
  (possibly under another consent) arrives as new versions, never as a copy that a server
  would take for one it already holds;
- for a withdrawal, sends the report's own objects again as revoked.

The same inputs give the same bundle byte for byte (ids and dates come from the stored
objects and the delivery), so a retried send is the same bundle, kept once by the server.
"""

import re
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sharing.normalize.pipeline import scrub_text
from sharing.stix.markings import TLP2_MARKING_IDS, marking_definition
from sharing.stix.objects import PORTAL_NAMESPACE
from sharing.tlp import TLP

# Objects never forwarded: they name members, their people or their discussion.
DROPPED_TYPES = frozenset({"identity", "sighting", "note", "opinion"})
# Objects a withdrawal revokes: those of the report itself. Observables are facts with no
# versions, and vulnerabilities, attack patterns and the like may be shared by other reports.
REVOCABLE_TYPES = frozenset({"report", "indicator", "relationship", "observed-data", "grouping"})
# Free-text properties scrubbed of personal data and internal names.
TEXT_PROPERTIES = ("name", "description", "abstract", "content", "explanation", "objective")
# Observables and patterns that may hold a victim's address.
_EMAIL_TYPES = frozenset({"email-addr"})
_TLP2_IDS = frozenset(TLP2_MARKING_IDS.values())
REPLACED_NAME = "[member]"


@dataclass(frozen=True)
class Anonymity:
    """What must not leave, and who stands as the source instead."""

    isac_identity_id: str
    isac_name: str
    isac_created: str
    consent_label: str
    tlp: TLP
    # The report version's own time (STIX timestamp): object versions are at least this new.
    version_stamp: str
    portal_url: str
    member_domains: frozenset[str] = frozenset()
    # Member organisations, trust groups and people: replaced in text, dropped as labels.
    internal_names: Sequence[str] = ()
    # For a withdrawal: when; the report's objects are sent revoked as of this time.
    revoked_at: str | None = None
    extra_labels: Sequence[str] = field(default_factory=tuple)


def consent_identity(anonymity: Anonymity) -> dict[str, Any]:
    """The ISAC as source, labelled with one AIS consent. Its id is derived from the ISAC's
    and the label, so the same consent is always the same, unchanging object."""
    key = f"{anonymity.isac_identity_id}/{anonymity.consent_label}"
    return {
        "type": "identity",
        "spec_version": "2.1",
        "id": f"identity--{uuid.uuid5(PORTAL_NAMESPACE, key)}",
        "created": anonymity.isac_created,
        "modified": anonymity.isac_created,
        "name": anonymity.isac_name,
        "identity_class": "organization",
        "labels": [anonymity.consent_label],
    }


def government_bundle(
    objects: Iterable[Mapping[str, Any]], *, bundle_id: str, anonymity: Anonymity
) -> dict[str, Any]:
    """The anonymised bundle (see the module's docstring)."""
    identity = consent_identity(anonymity)
    names = _names_pattern(anonymity.internal_names)
    source = [dict(obj) for obj in objects]
    dropped = {
        str(obj.get("id"))
        for obj in source
        if obj.get("type") in DROPPED_TYPES
        or (obj.get("type") == "marking-definition" and obj.get("id") not in _TLP2_IDS)
        or _holds_victim_address(obj, anonymity.member_domains)
    }
    kept: list[dict[str, Any]] = []
    for obj in source:
        if obj.get("id") in dropped or obj.get("type") == "marking-definition":
            continue
        if obj.get("type") == "relationship" and (
            obj.get("source_ref") in dropped or obj.get("target_ref") in dropped
        ):
            dropped.add(str(obj["id"]))
            continue
        kept.append(obj)
    result = [marking_definition(anonymity.tlp), identity]
    for obj in kept:
        cleaned = _clean(obj, identity_id=identity["id"], dropped=dropped, names=names, a=anonymity)
        if anonymity.revoked_at is not None:
            if cleaned.get("type") not in REVOCABLE_TYPES:
                continue
            cleaned = _revoked(cleaned, anonymity.revoked_at)
        result.append(cleaned)
    # The report object last, after everything it refers to.
    result.sort(key=lambda o: o.get("type") == "report")
    return {"type": "bundle", "id": bundle_id, "objects": result}


def _clean(
    obj: dict[str, Any],
    *,
    identity_id: str,
    dropped: set[str],
    names: re.Pattern[str] | None,
    a: Anonymity,
) -> dict[str, Any]:
    out = {key: value for key, value in obj.items() if not key.startswith("x_")}
    if out.get("type") == "extension-definition":
        # The portal's own definitions (the wallet observable): the same everywhere.
        return out
    if "created_by_ref" in out:
        out["created_by_ref"] = identity_id
    if "object_marking_refs" in out or "created" in out:
        out["object_marking_refs"] = [TLP2_MARKING_IDS[a.tlp]]
    if "granular_markings" in out:
        granular = [g for g in out["granular_markings"] if g.get("marking_ref") in _TLP2_IDS]
        if granular:
            out["granular_markings"] = granular
        else:
            del out["granular_markings"]
    for key in TEXT_PROPERTIES:
        if isinstance(out.get(key), str):
            out[key] = _scrub(out[key], names, a.member_domains)
    if "labels" in out:
        labels = [
            label
            for label in out["labels"]
            if not (names and isinstance(label, str) and names.fullmatch(label.strip()))
        ]
        if labels:
            out["labels"] = labels
        else:
            del out["labels"]
    if "external_references" in out:
        references = [
            _scrub_reference(ref, names, a.member_domains)
            for ref in out["external_references"]
            if not _is_internal_reference(ref, a.portal_url)
        ]
        if references:
            out["external_references"] = references
        else:
            del out["external_references"]
    if out.get("type") == "report":
        refs = [ref for ref in out.get("object_refs", []) if ref not in dropped]
        refs = [ref for ref in refs if not ref.startswith(("identity--", "marking-definition--"))]
        out["object_refs"] = refs or [identity_id]
    if "modified" in out:
        out["modified"] = max(str(out["modified"]), a.version_stamp)
    return out


def _revoked(obj: dict[str, Any], at: str) -> dict[str, Any]:
    revoked = dict(obj)
    revoked["revoked"] = True
    # A new version: strictly newer than the one forwarded before.
    revoked["modified"] = max(at, _later(str(obj.get("modified", at))))
    return revoked


def _later(stamp: str) -> str:
    moment = datetime.strptime(stamp.replace("Z", "+0000"), "%Y-%m-%dT%H:%M:%S.%f%z")
    return (moment + timedelta(milliseconds=1)).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def _scrub(text: str, names: re.Pattern[str] | None, member_domains: frozenset[str]) -> str:
    text = scrub_text(text, member_domains=member_domains)
    return names.sub(REPLACED_NAME, text) if names else text


def _scrub_reference(
    ref: Mapping[str, Any], names: re.Pattern[str] | None, member_domains: frozenset[str]
) -> dict[str, Any]:
    out = dict(ref)
    if isinstance(out.get("description"), str):
        out["description"] = _scrub(out["description"], names, member_domains)
    return out


def _is_internal_reference(ref: Mapping[str, Any], portal_url: str) -> bool:
    url = str(ref.get("url", ""))
    base = portal_url.rstrip("/")
    return bool(base) and (url == base or url.startswith(base + "/"))


def _names_pattern(names: Iterable[str]) -> re.Pattern[str] | None:
    words = sorted({n.strip() for n in names if len(n.strip()) >= 3}, key=len, reverse=True)
    if not words:
        return None
    alternation = "|".join(re.escape(word) for word in words)
    return re.compile(rf"(?<![\w-])(?:{alternation})(?![\w-])", re.IGNORECASE)


def _holds_victim_address(obj: Mapping[str, Any], member_domains: frozenset[str]) -> bool:
    """An e-mail address at a member's domain is a victim's: never forwarded, nor an
    indicator whose pattern names one."""
    if not member_domains:
        return False
    if obj.get("type") in _EMAIL_TYPES:
        return _at_member_domain(str(obj.get("value", "")), member_domains)
    if obj.get("type") == "indicator":
        for address in re.findall(r"[\w.+-]+@([\w.-]+)", str(obj.get("pattern", ""))):
            if _domain_is_member(address, member_domains):
                return True
    return False


def _at_member_domain(address: str, member_domains: frozenset[str]) -> bool:
    return "@" in address and _domain_is_member(address.rsplit("@", 1)[1], member_domains)


def _domain_is_member(domain: str, member_domains: frozenset[str]) -> bool:
    domain = domain.lower().strip(".")
    return any(domain == d or domain.endswith("." + d) for d in member_domains)
