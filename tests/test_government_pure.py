"""The government lane's pure rules: consent narrowing, AIS labels, and what anonymisation
keeps and removes from a bundle."""

import json
from typing import Any

import pytest

from accounts.consent import OrganisationConsent
from sharing.government.bundle import Anonymity, consent_identity, government_bundle
from sharing.government.consent import ais_label, effective_consent, reaches
from sharing.stix.markings import TLP2_MARKING_IDS
from sharing.tlp import TLP

MEMBER_IDENTITY = "identity--11111111-1111-4111-8111-111111111111"
GREEN = TLP2_MARKING_IDS[TLP.GREEN]
STAMP = "2026-11-01T10:00:00.000Z"


def org(scope: str, proprietary: bool = False) -> OrganisationConsent:
    return OrganisationConsent(scope=scope, cisa_proprietary=proprietary)


@pytest.mark.parametrize(
    ("organisation", "report", "expected"),
    [
        ("everyone", "", "everyone"),
        ("everyone", "usg", "usg"),
        ("everyone", "none", "none"),
        ("usg", "everyone", "usg"),  # never widened
        ("usg", "", "usg"),
        ("none", "everyone", "none"),
        ("none", "", "none"),
    ],
)
def test_a_report_narrows_its_organisations_consent_never_widens(
    organisation: str, report: str, expected: str
) -> None:
    scope, _ = effective_consent(
        organisation=org(organisation), is_isac=False, report_scope=report, report_proprietary=False
    )
    assert scope == expected


def test_proprietary_handling_is_added_never_removed_and_the_isac_chooses_for_itself() -> None:
    assert effective_consent(
        organisation=org("usg", True), is_isac=False, report_scope="", report_proprietary=False
    ) == ("usg", True)
    assert effective_consent(
        organisation=org("usg"), is_isac=False, report_scope="", report_proprietary=True
    ) == ("usg", True)
    assert effective_consent(
        organisation=org("everyone"), is_isac=True, report_scope="", report_proprietary=False
    ) == ("none", False)
    assert effective_consent(
        organisation=org("everyone"),
        is_isac=True,
        report_scope="everyone",
        report_proprietary=False,
    ) == ("everyone", False)


def test_consent_reaches_partners_and_reads_as_ais_labels() -> None:
    assert reaches("everyone", us_government=False)
    assert reaches("usg", us_government=True)
    assert not reaches("usg", us_government=False)
    assert not reaches("none", us_government=True)
    assert ais_label("everyone", cisa_proprietary=False) == "ais-consent-everyone"
    assert ais_label("usg", cisa_proprietary=True) == "ais-consent-usg-cisa-proprietary"
    assert ais_label("none", cisa_proprietary=False) == "ais-consent-none"


def anonymity(**changes: Any) -> Anonymity:
    values: dict[str, Any] = {
        "isac_identity_id": "identity--22222222-2222-4222-8222-222222222222",
        "isac_name": "Energy ISAC",
        "isac_created": "2026-01-01T00:00:00.000Z",
        "consent_label": "ais-consent-usg",
        "tlp": TLP.GREEN,
        "version_stamp": STAMP,
        "portal_url": "https://portal.example",
        "member_domains": frozenset({"grid.example"}),
        "internal_names": ("Grid Power Co", "Utilities circle", "Dana Whitfield"),
    }
    values.update(changes)
    return Anonymity(**values)


def objects() -> list[dict[str, Any]]:
    common = {"spec_version": "2.1", "created": STAMP, "modified": STAMP}
    indicator = {
        **common,
        "type": "indicator",
        "id": "indicator--33333333-3333-4333-8333-333333333333",
        "created_by_ref": MEMBER_IDENTITY,
        "name": "Grid Power Co saw this",
        "description": "Reported by Dana Whitfield, +1 415 555 0134.",
        "pattern": "[domain-name:value = 'evil.example']",
        "pattern_type": "stix",
        "valid_from": STAMP,
        "labels": ["Utilities circle", "phishing"],
        "x_portal_trust_group": "Utilities circle",
        "external_references": [
            {"source_name": "portal", "url": "https://portal.example/reports/1/"},
            {"source_name": "vendor", "url": "https://vendor.example/advisory"},
        ],
        "object_marking_refs": [GREEN, "marking-definition--44444444-4444-4444-8444-444444444444"],
    }
    victim = {
        **common,
        "type": "indicator",
        "id": "indicator--55555555-5555-4555-8555-555555555555",
        "created_by_ref": MEMBER_IDENTITY,
        "pattern": "[email-addr:value = 'dana@grid.example']",
        "pattern_type": "stix",
        "valid_from": STAMP,
        "object_marking_refs": [GREEN],
    }
    return [
        {**common, "type": "identity", "id": MEMBER_IDENTITY, "name": "Grid Power Co"},
        {
            "type": "marking-definition",
            "spec_version": "2.1",
            "id": "marking-definition--44444444-4444-4444-8444-444444444444",
            "created": STAMP,
            "name": "Grid Power Co internal",
            "definition_type": "statement",
            "definition": {"statement": "Grid Power Co"},
        },
        indicator,
        victim,
        {
            **common,
            "type": "sighting",
            "id": "sighting--66666666-6666-4666-8666-666666666666",
            "sighting_of_ref": indicator["id"],
            "where_sighted_refs": [MEMBER_IDENTITY],
        },
        {
            **common,
            "type": "note",
            "id": "note--77777777-7777-4777-8777-777777777777",
            "content": "Grid Power Co comment",
            "object_refs": [indicator["id"]],
        },
        {
            **common,
            "type": "relationship",
            "id": "relationship--88888888-8888-4888-8888-888888888888",
            "relationship_type": "indicates",
            "source_ref": victim["id"],
            "target_ref": indicator["id"],
        },
        {
            **common,
            "type": "report",
            "id": "report--99999999-9999-4999-8999-999999999999",
            "created_by_ref": MEMBER_IDENTITY,
            "name": "Phishing",
            "published": STAMP,
            "report_types": ["threat-report"],
            "object_refs": [MEMBER_IDENTITY, indicator["id"], victim["id"]],
            "object_marking_refs": [GREEN],
        },
    ]


def test_anonymisation_removes_members_people_and_internal_references() -> None:
    bundle = government_bundle(objects(), bundle_id="bundle--x", anonymity=anonymity())
    text = json.dumps(bundle)
    for secret in (
        "Grid Power Co",
        "Utilities circle",
        "Dana",
        "555 0134",
        "grid.example",
        "portal.example",
        MEMBER_IDENTITY,
        "x_portal",
    ):
        assert secret not in text, secret
    kinds = sorted(o["type"] for o in bundle["objects"])
    assert kinds == ["identity", "indicator", "marking-definition", "report"]
    identity = consent_identity(anonymity())
    indicator = next(o for o in bundle["objects"] if o["type"] == "indicator")
    assert indicator["created_by_ref"] == identity["id"]
    assert indicator["object_marking_refs"] == [GREEN]
    assert indicator["labels"] == ["phishing"]
    assert indicator["external_references"] == [
        {"source_name": "vendor", "url": "https://vendor.example/advisory"}
    ]
    report = bundle["objects"][-1]
    assert report["object_refs"] == [indicator["id"]]


def test_the_same_inputs_give_the_same_bundle_and_a_withdrawal_revokes_newer() -> None:
    first = government_bundle(objects(), bundle_id="bundle--x", anonymity=anonymity())
    assert first == government_bundle(objects(), bundle_id="bundle--x", anonymity=anonymity())
    revoked = government_bundle(
        objects(), bundle_id="bundle--y", anonymity=anonymity(revoked_at=STAMP)
    )
    changed = [o for o in revoked["objects"] if o.get("revoked")]
    assert sorted(o["type"] for o in changed) == ["indicator", "report"]
    assert all(o["modified"] > STAMP for o in changed)
