"""STIX output: TLP markings understood on input, ids, and every bundle the portal builds
from the samples valid under the OASIS validator in strict mode."""

import json
from typing import Any

import pytest
import stix2
from django.test import TestCase
from stix2validator import ValidationOptions, validate_parsed_json

from accounts.models import Organisation, User
from sharing.formats.stix import report_bundle
from sharing.models import Report, StixObject, Submission
from sharing.normalize.extract import IndicatorType
from sharing.normalize.parsers.stix import check, scan_bundle
from sharing.normalize.services import submission_mark_published
from sharing.stix.markings import TLP2_MARKING_IDS, marking_definition, tlp_of_marking_object
from sharing.stix.objects import pattern_for, sco_for
from sharing.tlp import TLP
from tests.fixtures.normalize import Submit, sample_bytes

T = IndicatorType


def strict_errors(bundle: dict[str, Any]) -> list[str]:
    # 302 asks for hashes of the page an external reference links to; the portal cites
    # advisories without fetching them (STIX says SHOULD), so that one check is off.
    options = ValidationOptions(strict=True, version="2.1", disabled="302")
    result = validate_parsed_json(bundle, options)
    return [str(error) for error in result.errors] + [str(w) for w in result.warnings]


def submit_sample(
    submit: Submit, analyst: User, org: Organisation, name: str, kind: str
) -> Submission:
    return submit(
        organisation=org, submitted_by=analyst, kind=kind, raw=sample_bytes(name), filename=name
    )


@pytest.mark.parametrize(
    ("marking", "tlp"),
    [
        ({"id": TLP2_MARKING_IDS[TLP.AMBER_STRICT]}, TLP.AMBER_STRICT),
        ({"id": "marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9"}, TLP.CLEAR),
        ({"id": "marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da"}, TLP.GREEN),
        ({"id": "marking-definition--f88d31f6-486f-44da-b317-01333bde0b82"}, TLP.AMBER),
        ({"id": "marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed"}, TLP.RED),
        ({"id": "marking-definition--826578e1-40ad-459f-bc73-ede076f81f37"}, TLP.AMBER_STRICT),
        (
            {
                "id": "marking-definition--00000000-0000-4000-8000-000000000001",
                "definition_type": "tlp",
                "definition": {"tlp": "red"},
            },
            TLP.RED,
        ),
        (
            {
                "id": "marking-definition--00000000-0000-4000-8000-000000000002",
                "definition_type": "statement",
                "definition": {"statement": "custom"},
                "x_opencti_definition_type": "TLP",
                "x_opencti_definition": "TLP:AMBER+STRICT",
            },
            TLP.AMBER_STRICT,
        ),
        ({"id": "marking-definition--00000000-0000-4000-8000-000000000003"}, None),
    ],
)
def test_tlp_markings_of_every_convention_map_to_the_portal_tlp(
    marking: dict[str, Any], tlp: TLP | None
) -> None:
    assert tlp_of_marking_object(marking) == tlp


@pytest.mark.parametrize("tlp", list(TLP))
def test_tlp2_marking_definitions_are_valid_and_understood_again(tlp: TLP) -> None:
    marking = marking_definition(tlp)

    assert tlp_of_marking_object(marking) == tlp
    assert (
        strict_errors(
            {
                "type": "bundle",
                "id": "bundle--" + "1" * 8 + "-1111-4111-8111-" + "1" * 12,
                "objects": [marking],
            }
        )
        == []
    )


def test_bundle_scan_finds_the_tlp_of_a_stix_2_0_bundle_by_definition() -> None:
    bundle = {
        "type": "bundle",
        "id": "bundle--5d0092c5-5f74-4287-9642-33f4c354e56d",
        "spec_version": "2.0",
        "objects": [
            {
                "type": "marking-definition",
                "id": "marking-definition--aaaaaaaa-0000-4000-8000-000000000000",
                "created": "2017-01-20T00:00:00.000Z",
                "definition_type": "tlp",
                "definition": {"tlp": "green"},
            }
        ],
    }

    scan = scan_bundle(json.dumps(bundle).encode(), max_depth=64)

    assert scan.spec_version == "2.0"
    assert scan.tlps == {TLP.GREEN}


@pytest.mark.parametrize(
    ("kind", "value"),
    [
        (T.IPV4, "198.51.100.23"),
        (T.IPV6, "2a0b:4342:1a31:410::2"),
        (T.DOMAIN, "files-sync-backup.org"),
        (T.URL, "https://files-sync-backup.org/upload"),
        (T.EMAIL, "payments@vendor-remit-advice.com"),
    ],
)
def test_observable_ids_are_the_deterministic_ids_of_the_stix2_library(
    kind: IndicatorType, value: str
) -> None:
    sco = sco_for(kind, value)
    assert sco is not None
    library = stix2.parse({k: v for k, v in sco.items() if k != "id"}, allow_custom=False)

    assert sco["id"] == library.id


def test_file_hash_ids_match_the_stix2_library() -> None:
    sco = sco_for(T.SHA256, "2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae")
    assert sco is not None

    library = stix2.File(hashes=sco["hashes"])

    assert sco["id"] == library.id


def test_patterns_escape_quotes_and_backslashes() -> None:
    assert pattern_for(T.URL, "http://x.com/a'b\\c") == "[url:value = 'http://x.com/a\\'b\\\\c']"


SAMPLES = [
    ("phishing-campaign.txt", "text"),
    ("bundle-tlp2.json", "stix"),
    ("indicators.csv", "csv"),
    ("misp-event.json", "misp"),
]


@pytest.mark.parametrize(("name", "kind"), SAMPLES)
@pytest.mark.usefixtures("documentation_ranges_allowed", "victim_org", "isac_org")
def test_bundle_built_from_every_sample_passes_the_strict_stix_validator(
    name: str, kind: str, submit: Submit, analyst_a: User, org_a: Organisation
) -> None:
    submission = submit_sample(submit, analyst_a, org_a, name, kind)
    assert submission.status == Submission.Status.NEEDS_REVIEW, submission.error
    assert submission.report is not None

    bundle = report_bundle(submission.report)

    assert strict_errors(bundle) == []
    types = {obj["type"] for obj in bundle["objects"]}
    assert {"report", "identity", "marking-definition"} <= types
    assert "indicator" in types


@pytest.mark.usefixtures("documentation_ranges_allowed")
def test_uploaded_bundle_tlp_becomes_the_draft_report_tlp(
    submit: Submit, analyst_a: User, org_a: Organisation
) -> None:
    submission = submit_sample(submit, analyst_a, org_a, "bundle-tlp2.json", "stix")

    assert submission.report is not None
    assert submission.report.tlp == TLP.AMBER
    assert submission.report.status == Report.Status.DRAFT
    assert submission.report.title.startswith("Modbus scanning")


@pytest.mark.usefixtures("documentation_ranges_allowed", "isac_org")
def test_anonymous_upload_names_the_isac_as_source_and_drops_the_member_identity(
    submit: Submit, analyst_a: User, org_a: Organisation
) -> None:
    submission = submit(
        organisation=org_a,
        submitted_by=analyst_a,
        kind="stix",
        raw=sample_bytes("bundle-tlp2.json"),
        anonymous=True,
    )
    assert submission.report is not None

    bundle = report_bundle(submission.report)

    text = json.dumps(bundle)
    assert "Member Utility C" not in text
    assert "identity--8c6af861-7b20-41ef-9b59-6344fd872a8f" not in text
    assert org_a.name not in text
    assert "Test ISAC" in text
    assert strict_errors(bundle) == []


@pytest.mark.usefixtures("documentation_ranges_allowed")
def test_misp_tlp_tag_sets_the_report_tlp(
    submit: Submit, analyst_a: User, org_a: Organisation
) -> None:
    submission = submit_sample(submit, analyst_a, org_a, "misp-event.json", "misp")

    assert submission.report is not None
    assert submission.report.tlp == TLP.GREEN


@pytest.mark.usefixtures("victim_org")
def test_revising_a_report_makes_new_versions_with_the_same_ids(
    submit: Submit, analyst_a: User, org_a: Organisation, draft_report_a: Report
) -> None:
    first = submit(
        organisation=org_a,
        submitted_by=analyst_a,
        kind="form",
        raw=b"C2 at 185.220.101.47, described as bad.",
        report=draft_report_a,
    )
    first_bundle = report_bundle(draft_report_a)
    first_ids = {obj["id"]: obj["modified"] for obj in first_bundle["objects"] if "modified" in obj}

    submit(
        organisation=org_a,
        submitted_by=analyst_a,
        kind="form",
        raw=b"C2 at 185.220.101.47 and 45.147.230.12.",
        report=draft_report_a,
    )
    second_bundle = report_bundle(draft_report_a)

    report_id = f"report--{draft_report_a.uuid}"
    second = {obj["id"]: obj for obj in second_bundle["objects"]}
    assert second[report_id]["modified"] > first_ids[report_id]
    assert second[report_id]["created"] == first_bundle["objects"][-1]["created"]
    assert StixObject.objects.filter(report=draft_report_a, stix_id=report_id).count() == 2
    # The unchanged indicator keeps its single version.
    unchanged = [i for i in first_ids if i.startswith("indicator--")]
    assert len(unchanged) == 1
    assert StixObject.objects.filter(stix_id=unchanged[0]).count() == 1
    assert second[unchanged[0]]["modified"] == first_ids[unchanged[0]]
    assert first.status == Submission.Status.NEEDS_REVIEW
    assert strict_errors(second_bundle) == []


def test_changing_the_tlp_in_review_re_marks_every_object_on_publishing(
    submit: Submit, analyst_a: User, org_a: Organisation, draft_report_a: Report
) -> None:
    submission = submit(
        organisation=org_a,
        submitted_by=analyst_a,
        kind="form",
        raw=b"C2 at 185.220.101.47",
        report=draft_report_a,
    )
    draft_report_a.tlp = TLP.RED
    draft_report_a.save(update_fields=["tlp"])

    submission_mark_published(submission=submission)

    bundle = report_bundle(draft_report_a)
    red = TLP2_MARKING_IDS[TLP.RED]
    for obj in bundle["objects"]:
        if obj["type"] not in ("marking-definition", "identity"):
            assert obj["object_marking_refs"] == [red], obj["id"]
    assert strict_errors(bundle) == []


class TestBundleOfAReportNeverNormalised(TestCase):
    def test_a_draft_without_submissions_still_gets_a_valid_bundle(self) -> None:
        from tests.fixtures.personas import make_person

        org = Organisation.objects.create(name="Solo", status=Organisation.Status.ACTIVE)
        user = make_person("solo@solo.test", org, "analyst")
        report = Report.objects.create(title="Empty", tlp=TLP.GREEN, author=user, organisation=org)

        bundle = report_bundle(report)

        assert strict_errors(bundle) == []
        assert [obj["type"] for obj in bundle["objects"]] == [
            "marking-definition",
            "identity",
            "report",
        ]


STIX20_BUNDLE = {
    "type": "bundle",
    "id": "bundle--0d9b3a4e-8e4b-4f0c-9a4a-1c2d3e4f5a6b",
    "spec_version": "2.0",
    "objects": [
        {
            "type": "marking-definition",
            "id": "marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da",
            "created": "2017-01-20T00:00:00.000Z",
            "definition_type": "tlp",
            "definition": {"tlp": "green"},
        },
        {
            "type": "indicator",
            "id": "indicator--1f3c2b1a-9d8e-4f7a-b6c5-d4e3f2a1b0c9",
            "created": "2026-11-01T10:00:00.000Z",
            "modified": "2026-11-01T10:00:00.000Z",
            "name": "Loader download",
            "labels": ["malicious-activity"],
            "pattern": "[url:value = 'http://dl.badloader-cdn.com/a.bin']",
            "valid_from": "2026-11-01T10:00:00Z",
            "object_marking_refs": ["marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da"],
        },
        {
            "type": "malware",
            "id": "malware--2f3c2b1a-9d8e-4f7a-b6c5-d4e3f2a1b0c9",
            "created": "2026-11-01T10:00:00.000Z",
            "modified": "2026-11-01T10:00:00.000Z",
            "name": "BadLoader",
            "description": "Downloader seen in invoice lures.",
            "labels": ["dropper"],
            "object_marking_refs": ["marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da"],
        },
        {
            "type": "relationship",
            "id": "relationship--3f3c2b1a-9d8e-4f7a-b6c5-d4e3f2a1b0c9",
            "created": "2026-11-01T10:00:00.000Z",
            "modified": "2026-11-01T10:00:00.000Z",
            "relationship_type": "indicates",
            "source_ref": "indicator--1f3c2b1a-9d8e-4f7a-b6c5-d4e3f2a1b0c9",
            "target_ref": "malware--2f3c2b1a-9d8e-4f7a-b6c5-d4e3f2a1b0c9",
        },
    ],
}


def test_a_stix_2_0_bundle_with_a_tlp_1_marking_is_upgraded_to_valid_stix_2_1(
    submit: Submit, analyst_a: User, org_a: Organisation
) -> None:
    submission = submit(
        organisation=org_a,
        submitted_by=analyst_a,
        kind="stix",
        raw=json.dumps(STIX20_BUNDLE).encode(),
    )
    assert submission.status == Submission.Status.NEEDS_REVIEW, submission.error
    assert submission.report is not None

    bundle = report_bundle(submission.report)

    assert submission.report.tlp == TLP.GREEN
    assert strict_errors(bundle) == []
    by_type = {obj["type"]: obj for obj in bundle["objects"]}
    assert by_type["indicator"]["spec_version"] == "2.1"
    assert by_type["indicator"]["indicator_types"] == ["malicious-activity"]
    assert by_type["malware"]["malware_types"] == ["dropper"]
    assert by_type["malware"]["is_family"] is True
    assert by_type["indicator"]["object_marking_refs"] == [TLP2_MARKING_IDS[TLP.GREEN]]
    assert submission.report.report_indicators.get().indicator.value == (
        "http://dl.badloader-cdn.com/a.bin"
    )


def test_building_a_bundle_takes_the_same_queries_for_few_or_many_objects(
    submit: Submit,
    analyst_a: User,
    org_a: Organisation,
    draft_report_a: Report,
    django_assert_max_num_queries: Any,
) -> None:
    many = "\n".join(f"C2 45.{i // 250}.{i % 250}.9" for i in range(300)).encode()
    submit(
        organisation=org_a,
        submitted_by=analyst_a,
        kind="form",
        raw=many,
        report=draft_report_a,
    )

    with django_assert_max_num_queries(3):
        bundle = report_bundle(draft_report_a)

    assert len(bundle["objects"]) == 3 + 300 * 3


def test_tlp_marking_definitions_need_no_modified_time_other_objects_do() -> None:
    # STIX 2.1 never revises a marking definition, so it has no `modified`: a peer serving
    # the standard TLP markings (as the portal's own TAXII server does) serves valid STIX.
    for tlp in TLP:
        definition = marking_definition(tlp)
        assert "modified" not in definition
        assert check(definition, 0) == []
    identity = {"type": "identity", "spec_version": "2.1", "name": "Peer",
                "id": "identity--8c8e6a5f-3f7e-4b7e-9d7c-2b8c9f6f0a11",
                "created": "2026-01-01T00:00:00.000Z"}  # fmt: skip
    assert [e["field"] for e in check(identity, 0)] == ["modified"]
