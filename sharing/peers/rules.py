"""Pure decisions about what crosses between the portal and a peer (no database access).

Inbound: which rule addresses a pulled report, and whether a rule may accept its label.
Outbound: the peer's gateway (highest TLP, sectors, report types) and the hop rule
(`sharing.policy.peer_hop_problem`), which the transport asks again at send time.
"""

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from sharing.stix.markings import KNOWN_MARKING_IDS, tlp_of_marking_object
from sharing.tlp import TLP


@dataclass(frozen=True)
class RuleAudience:
    """The audience a rule gives, as counts: enough to judge it against a label."""

    everyone: bool
    sectors: int
    groups: int
    organisations: int
    people: int


def rule_problem(tlp: TLP, audience: RuleAudience) -> str | None:
    """Why a rule may not accept reports of this label with this audience, or None.

    TLP:AMBER+STRICT and TLP:RED are accepted only for recipients the rule names: the
    organisations (AMBER+STRICT) or people (RED) the peer's sender meant, never a sector,
    a group or the whole membership.
    """
    wide = audience.everyone or audience.sectors or audience.groups
    if tlp == TLP.RED:
        if wide or audience.organisations:
            return "TLP:RED from a peer goes to named people only."
        if not audience.people:
            return "Name the people who receive TLP:RED from this peer."
        return None
    if audience.people:
        return "Named people are an audience for TLP:RED only."
    if tlp == TLP.AMBER_STRICT:
        if wide:
            return "TLP:AMBER+STRICT from a peer goes to named organisations only."
        if not audience.organisations:
            return "Name the organisations that receive TLP:AMBER+STRICT from this peer."
        return None
    if tlp != TLP.CLEAR and not (wide or audience.organisations):
        return f"Choose who receives {tlp.label} from this peer."
    return None


def object_tlp(obj: Mapping[str, Any], definitions: Mapping[str, TLP], *, default: TLP) -> TLP:
    """The label of a pulled object: the most restrictive TLP marking it carries (TLP 2.0,
    TLP 1.0 and OpenCTI ids, or a definition sent in the same page), else `default`."""
    found: list[TLP] = []
    for ref in obj.get("object_marking_refs") or []:
        if not isinstance(ref, str):
            continue
        tlp = KNOWN_MARKING_IDS.get(ref) or definitions.get(ref)
        if tlp is not None:
            found.append(tlp)
    return max(found, key=lambda t: t.rank) if found else default


def marking_definitions(objects: Iterable[Mapping[str, Any]]) -> dict[str, TLP]:
    """TLP markings defined among the objects (by a peer's own marking-definition ids)."""
    found: dict[str, TLP] = {}
    for obj in objects:
        if obj.get("type") == "marking-definition" and isinstance(obj.get("id"), str):
            tlp = tlp_of_marking_object(dict(obj))
            if tlp is not None:
                found[obj["id"]] = tlp
    return found


@dataclass(frozen=True)
class Gateway:
    """What the peer's outbound gateway lets leave."""

    tlp_max: TLP
    sector_ids: Collection[int]
    report_types: Collection[str]


def gateway_problem(
    gateway: Gateway, *, tlp: TLP, sector_ids: Collection[int], report_type: str
) -> str | None:
    """Why a report may not leave for this peer by the gateway's settings, or None."""
    if tlp.rank > gateway.tlp_max.rank:
        return f"{tlp.label} is above this peer's highest TLP ({gateway.tlp_max.label})."
    if gateway.sector_ids and not set(gateway.sector_ids) & set(sector_ids):
        return "It concerns none of the sectors this peer receives."
    if gateway.report_types and report_type not in gateway.report_types:
        return f"Reports of type {report_type} do not go to this peer."
    return None
