"""TLP marking definitions: the ones the portal writes, and every id it understands on input.

The portal writes TLP 2.0 markings with the ids OASIS publishes for the TLP 2.0 property
extension (the `stix2` library only knows TLP 1.0). On input it also accepts the TLP 1.0
ids of the STIX 2.1 specification, the extra id OpenCTI uses for TLP:AMBER+STRICT, STIX 2.0
`definition_type: tlp` markings and OpenCTI's `x_opencti_definition` names.
"""

from collections.abc import Iterable, Mapping
from typing import Any

from sharing.tlp import TLP

TLP2_EXTENSION_ID = "extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d"
TLP2_CREATED = "2022-10-01T00:00:00.000Z"

TLP2_MARKING_IDS: dict[TLP, str] = {
    TLP.CLEAR: "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487",
    TLP.GREEN: "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb",
    TLP.AMBER: "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421",
    TLP.AMBER_STRICT: "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003",
    TLP.RED: "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1",
}

# STIX 2.1 specification, section 7.2.1.4 (TLP 1.0); OpenCTI reuses them and adds AMBER+STRICT.
TLP1_MARKING_IDS: dict[str, TLP] = {
    "marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9": TLP.CLEAR,  # TLP:WHITE
    "marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da": TLP.GREEN,
    "marking-definition--f88d31f6-486f-44da-b317-01333bde0b82": TLP.AMBER,
    "marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed": TLP.RED,
}
OPENCTI_MARKING_IDS: dict[str, TLP] = {
    "marking-definition--826578e1-40ad-459f-bc73-ede076f81f37": TLP.AMBER_STRICT,
}

KNOWN_MARKING_IDS: dict[str, TLP] = {
    **{marking_id: tlp for tlp, marking_id in TLP2_MARKING_IDS.items()},
    **TLP1_MARKING_IDS,
    **OPENCTI_MARKING_IDS,
}

_NAMES: dict[str, TLP] = {
    "clear": TLP.CLEAR,
    "white": TLP.CLEAR,
    "green": TLP.GREEN,
    "amber": TLP.AMBER,
    "amber+strict": TLP.AMBER_STRICT,
    "amber-strict": TLP.AMBER_STRICT,
    "red": TLP.RED,
}


def tlp_from_name(name: str) -> TLP | None:
    """`TLP:AMBER+STRICT`, `tlp:white`, `amber` ... to the portal's TLP, or None."""
    cleaned = name.strip().lower()
    if cleaned.startswith("tlp:"):
        cleaned = cleaned[4:]
    return _NAMES.get(cleaned.strip())


def marking_definition(tlp: TLP) -> dict[str, Any]:
    """The OASIS TLP 2.0 marking-definition object for `tlp`, exactly as published."""
    return {
        "type": "marking-definition",
        "spec_version": "2.1",
        "id": TLP2_MARKING_IDS[tlp],
        "created": TLP2_CREATED,
        "name": TLP(tlp).label,
        "extensions": {
            TLP2_EXTENSION_ID: {"extension_type": "property-extension", "tlp_2_0": TLP(tlp).value}
        },
    }


def tlp_of_marking_object(obj: Mapping[str, Any]) -> TLP | None:
    """The TLP a marking-definition object stands for, whatever convention it follows."""
    known = KNOWN_MARKING_IDS.get(str(obj.get("id", "")))
    if known is not None:
        return known
    extensions = obj.get("extensions")
    if isinstance(extensions, Mapping):
        tlp2 = extensions.get(TLP2_EXTENSION_ID)
        if isinstance(tlp2, Mapping) and isinstance(tlp2.get("tlp_2_0"), str):
            return tlp_from_name(tlp2["tlp_2_0"])
    definition = obj.get("definition")
    if str(obj.get("definition_type", "")).lower() == "tlp" and isinstance(definition, Mapping):
        for value in definition.values():
            if isinstance(value, str) and (tlp := tlp_from_name(value)):
                return tlp
    opencti = obj.get("x_opencti_definition")
    if str(obj.get("x_opencti_definition_type", "")).upper() == "TLP" and isinstance(opencti, str):
        return tlp_from_name(opencti)
    name = obj.get("name")
    if isinstance(name, str) and name.strip().upper().startswith("TLP:"):
        return tlp_from_name(name)
    return None


def narrowest(tlps: Iterable[TLP]) -> TLP | None:
    """The most restrictive of several labels (RED beats AMBER beats GREEN ...)."""
    found = list(tlps)
    return max(found, key=lambda tlp: TLP(tlp).rank) if found else None
