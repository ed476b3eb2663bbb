"""Submissions from storage to review: raw kept, failures explained, retries idempotent,
indicators deduplicated across reports."""

import gzip
import hashlib
import io
import json
import time
import zipfile
from datetime import timedelta
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.db.models import Count
from django.utils import timezone
from pytest_django.fixtures import Settings as SettingsWrapper

from accounts.models import Organisation, User
from sharing.models import Indicator, Report, ReportIndicator, StixObject, Submission
from sharing.normalize import services
from sharing.normalize.analysis import analyse_for_organisation
from sharing.normalize.selectors import submission_status
from sharing.normalize.services import (
    submission_claim,
    submission_create,
    submission_process,
    submission_retry,
    submission_sweep,
)
from sharing.tlp import TLP
from tests.fixtures.members import acting
from tests.fixtures.normalize import Submit, sample_bytes


def failed(submit: Submit, analyst: User, org: Organisation, raw: bytes, kind: str) -> Submission:
    submission = submit(organisation=org, submitted_by=analyst, kind=kind, raw=raw)
    assert submission.status == Submission.Status.FAILED, submission.findings
    return submission


def test_raw_upload_is_stored_byte_for_byte_and_queued_after_commit(
    analyst_a: User, org_a: Organisation, django_capture_on_commit_callbacks: Any
) -> None:
    raw = sample_bytes("misp-event.json")

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        submission = submission_create(
            organisation=org_a,
            submitted_by=analyst_a,
            kind="misp",
            raw=raw,
            filename="misp-event.json",
            content_type="application/json",
        )

    submission.refresh_from_db()
    assert bytes(submission.raw) == raw
    assert submission.size == len(raw)
    assert submission.sha256 == hashlib.sha256(raw).hexdigest()
    assert submission.status == Submission.Status.QUEUED
    assert len(callbacks) == 1


def test_upload_over_the_size_limit_is_refused_with_a_clear_reason(
    analyst_a: User, org_a: Organisation, settings: SettingsWrapper
) -> None:
    settings.NORMALIZE_MAX_UPLOAD_BYTES = 1024 * 1024

    with pytest.raises(ValidationError, match=r"1\.5 MB; the limit is 1 MB"):
        submission_create(
            organisation=org_a, submitted_by=analyst_a, kind="text", raw=b"a" * (1536 * 1024)
        )
    assert not Submission.objects.exists()


@pytest.mark.parametrize(
    ("name", "kind", "reason"),
    [
        ("bad/binary-garbage.bin", "stix", "binary data"),
        ("bad/binary-garbage.bin", "text", "binary data"),
        ("bad/binary-garbage.bin", "csv", "binary data"),
        ("bad/truncated.json", "stix", "looks truncated"),
        ("bad/truncated.json", "misp", "looks truncated"),
        ("bad/invalid-stix.json", "stix", "not valid STIX 2.1"),
        ("phishing-campaign.txt", "stix", "not valid JSON"),
        ("misp-event.json", "stix", "not a STIX bundle"),
        ("bundle-tlp2.json", "misp", "not a MISP event"),
        ("phishing-campaign.txt", "csv", "header line"),
    ],
)
def test_bad_input_fails_with_a_reason_an_analyst_understands(
    submit: Submit, analyst_a: User, org_a: Organisation, name: str, kind: str, reason: str
) -> None:
    submission = failed(submit, analyst_a, org_a, sample_bytes(name), kind)

    assert reason in submission.error
    assert submission.report is None
    assert not StixObject.objects.exists()
    assert bytes(submission.raw) == sample_bytes(name)


def test_bad_csv_rows_are_reported_by_line_and_field(
    submit: Submit, analyst_a: User, org_a: Organisation
) -> None:
    submission = failed(submit, analyst_a, org_a, sample_bytes("bad/bad-values.csv"), "csv")

    assert [(d["line"], d["field"]) for d in submission.error_details] == [
        (2, "value"),
        (3, "value"),
        (4, "value"),
    ]
    assert "999.1.1.1" in submission.error_details[0]["message"]
    assert not Indicator.objects.exists()


def test_invalid_stix_objects_are_reported_by_object_and_field(
    submit: Submit, analyst_a: User, org_a: Organisation
) -> None:
    submission = failed(submit, analyst_a, org_a, sample_bytes("bad/invalid-stix.json"), "stix")

    fields = {d["field"] for d in submission.error_details}
    assert {"id", "pattern", "valid_from"} <= fields
    assert all(d["object"] == 0 for d in submission.error_details)


def test_deeply_nested_json_is_refused(
    submit: Submit, analyst_a: User, org_a: Organisation
) -> None:
    nested = b'{"type": "bundle", "objects": [' + b"[" * 100_000 + b"]" * 100_000 + b"]}"

    stix = failed(submit, analyst_a, org_a, nested, "stix")
    misp = failed(
        submit, analyst_a, org_a, b'{"Event": ' + b"[" * 100_000 + b"]" * 100_000 + b"}", "misp"
    )

    assert "nested more than 64 levels" in stix.error
    assert "nested more than 64 levels" in misp.error


def test_a_ten_megabyte_single_line_fails_quickly_with_a_reason(
    submit: Submit, analyst_a: User, org_a: Organisation
) -> None:
    line = (b"a.b" * 3_500_000)[: 10 * 1024 * 1024]

    started = time.monotonic()
    submission = failed(submit, analyst_a, org_a, line, "text")

    assert time.monotonic() - started < 10
    assert "Line 1 is 10,485,760 characters long" in submission.error


def test_a_compressed_bomb_is_refused_without_unpacking_it(
    submit: Submit, analyst_a: User, org_a: Organisation, settings: SettingsWrapper
) -> None:
    settings.NORMALIZE_MAX_UPLOAD_BYTES = 5 * 1024 * 1024
    bomb = gzip.compress(b"\0" * (200 * 1024 * 1024), compresslevel=9)
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zipped:
        zipped.writestr("bundle.json", b" " * (50 * 1024 * 1024))

    gzipped = failed(submit, analyst_a, org_a, bomb, "stix")
    zipped_bomb = failed(submit, analyst_a, org_a, archive.getvalue(), "stix")

    assert len(bomb) < 1024 * 1024
    assert "expands to more than 5 MB" in gzipped.error
    assert "expands to more than 5 MB" in zipped_bomb.error


@pytest.mark.usefixtures("documentation_ranges_allowed")
def test_a_gzipped_bundle_is_unpacked_and_normalised(
    submit: Submit, analyst_a: User, org_a: Organisation
) -> None:
    submission = submit(
        organisation=org_a,
        submitted_by=analyst_a,
        kind="stix",
        raw=gzip.compress(sample_bytes("bundle-tlp2.json")),
    )

    assert submission.status == Submission.Status.NEEDS_REVIEW, submission.error


@pytest.mark.usefixtures("documentation_ranges_allowed")
def test_a_crash_mid_task_leaves_nothing_and_the_retry_writes_everything_once(
    analyst_a: User,
    org_a: Organisation,
    monkeypatch: pytest.MonkeyPatch,
    django_capture_on_commit_callbacks: Any,
) -> None:
    with django_capture_on_commit_callbacks(execute=False):
        submission = submission_create(
            organisation=org_a,
            submitted_by=analyst_a,
            kind="csv",
            raw=sample_bytes("indicators.csv"),
        )

    # given: the worker dies while writing the indicators
    original = services._link_indicators  # type: ignore[attr-defined]

    def crash(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("worker lost")

    monkeypatch.setattr(services, "_link_indicators", crash)
    submission_process(submission_id=submission.pk)
    submission.refresh_from_db()

    # then: the analyst is told, nothing was half-written, and no draft report was left
    assert submission.status == Submission.Status.FAILED
    assert "internal error" in submission.error
    assert not StixObject.objects.exists()
    assert not Report.objects.exists()
    assert not Indicator.objects.exists()

    # when: the analyst retries, twice in a row (a stale re-delivery), with the worker healthy
    monkeypatch.setattr(services, "_link_indicators", original)
    with django_capture_on_commit_callbacks(execute=True):
        submission_retry(submission=submission, by=acting(analyst_a))
    submission.refresh_from_db()
    objects_after_first = StixObject.objects.count()
    Submission.objects.filter(pk=submission.pk).update(
        status=Submission.Status.PROCESSING, started_at=timezone.now() - timedelta(hours=1)
    )
    submission_process(submission_id=submission.pk)
    submission.refresh_from_db()

    # then: everything is there exactly once
    assert submission.status == Submission.Status.NEEDS_REVIEW
    assert submission.attempts == 3
    assert StixObject.objects.count() == objects_after_first
    assert Report.objects.count() == 1
    assert ReportIndicator.objects.count() == 6
    assert Indicator.objects.count() == 6


def test_a_submission_being_processed_is_not_claimed_twice(
    analyst_a: User, org_a: Organisation, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=False):
        submission = submission_create(
            organisation=org_a, submitted_by=analyst_a, kind="text", raw=b"8.8.4.4"
        )

    assert submission_claim(submission_id=submission.pk) is not None
    assert submission_claim(submission_id=submission.pk) is None


def test_sweep_requeues_submissions_whose_worker_died(
    analyst_a: User, org_a: Organisation, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=False):
        submission = submission_create(
            organisation=org_a, submitted_by=analyst_a, kind="text", raw=b"C2 45.147.230.12"
        )
    Submission.objects.filter(pk=submission.pk).update(
        status=Submission.Status.PROCESSING, started_at=timezone.now() - timedelta(hours=2)
    )

    assert submission_sweep() == 1

    submission.refresh_from_db()
    assert submission.status == Submission.Status.NEEDS_REVIEW


def test_only_failed_submissions_can_be_retried(
    submit: Submit, analyst_a: User, org_a: Organisation
) -> None:
    submission = submit(organisation=org_a, submitted_by=analyst_a, kind="text", raw=b"8.8.4.4")

    with pytest.raises(ValidationError):
        submission_retry(submission=submission, by=acting(analyst_a))


@pytest.mark.usefixtures("documentation_ranges_allowed")
def test_an_indicator_reported_by_two_members_is_stored_once_and_counted_twice(
    submit: Submit, analyst_a: User, org_a: Organisation, peer_b: User, org_b: Organisation
) -> None:
    submit(organisation=org_a, submitted_by=analyst_a, kind="text", raw=b"C2 at 45.147.230[.]12")
    submit(organisation=org_b, submitted_by=peer_b, kind="csv", raw=sample_bytes("indicators.csv"))
    submit(
        organisation=org_b,
        submitted_by=peer_b,
        kind="csv",
        raw=b"type,value\nipv4,45.147.230.12\n",
    )

    reporters = dict(
        Indicator.objects.annotate(
            organisations=Count("report_indicators__report__organisation", distinct=True)
        ).values_list("value", "organisations")
    )

    assert Indicator.objects.filter(value="45.147.230.12").count() == 1
    assert reporters["45.147.230.12"] == 2
    assert reporters["203.0.113.77"] == 1


def test_warning_listed_values_are_kept_only_when_the_analyst_insists(
    submit: Submit, analyst_a: User, org_a: Organisation, draft_report_a: Report
) -> None:
    text = b"Beacon to 192.168.7.7 and 10.1.1.1 and 45.147.230.12"

    submission = submit(
        organisation=org_a,
        submitted_by=analyst_a,
        kind="form",
        raw=text,
        report=draft_report_a,
        insist_values=["192.168.7.7"],
    )

    links = {
        link.indicator.value: (link.on_warning_list, link.kept_by_insistence)
        for link in ReportIndicator.objects.filter(report=draft_report_a).select_related(
            "indicator"
        )
    }
    assert links == {
        "192.168.7.7": ("private address ranges", True),
        "45.147.230.12": ("", False),
    }
    assert submission.findings["warning_hits"] == [
        {"value": "10.1.1.1", "type": "ipv4", "list": "private address ranges"}
    ]


def test_victim_addresses_in_a_csv_never_become_indicators(
    submit: Submit, analyst_a: User, org_a: Organisation, victim_org: Organisation
) -> None:
    raw = (
        b"type,value,description\n"
        b"email,dana@northgrid-energy.example,\n"
        b"email,bad@evil-mailer.com,wrote to dana@northgrid-energy.example\n"
    )

    submission = submit(organisation=org_a, submitted_by=analyst_a, kind="csv", raw=raw)

    assert list(Indicator.objects.values_list("value", flat=True)) == ["bad@evil-mailer.com"]
    assert "northgrid" not in json.dumps(list(StixObject.objects.values_list("data", flat=True)))
    assert submission.findings["redactions"][0]["original"] == "dana@northgrid-energy.example"


def test_an_upload_marked_narrower_than_its_report_is_refused(
    submit: Submit, analyst_a: User, org_a: Organisation, draft_report_a: Report
) -> None:
    draft_report_a.tlp = TLP.GREEN
    draft_report_a.save(update_fields=["tlp"])

    submission = submit(
        organisation=org_a,
        submitted_by=analyst_a,
        kind="stix",
        raw=sample_bytes("bundle-tlp2.json"),
        report=draft_report_a,
    )

    assert submission.status == Submission.Status.FAILED
    assert "marked TLP:AMBER, narrower than the report's TLP:GREEN" in submission.error
    assert not StixObject.objects.exists()


def test_submission_status_says_state_progress_and_why_it_failed(
    submit: Submit, analyst_a: User, org_a: Organisation
) -> None:
    submission = failed(submit, analyst_a, org_a, sample_bytes("bad/bad-values.csv"), "csv")

    status = submission_status(submission)

    assert status["state"] == "failed"
    assert status["state_label"] == "Failed"
    assert status["progress"] == 100
    assert status["error"].startswith("3 row(s) of the CSV are not valid")
    assert status["error_details"][1] == {
        "line": 3,
        "field": "value",
        "message": "the value is empty",
    }
    assert status["id"] == str(submission.uuid)
    json.dumps(status)


def test_preview_analysis_uses_the_members_registered_domains(
    org_a: Organisation, victim_org: Organisation
) -> None:
    text = sample_bytes("phishing-campaign.txt").decode() + "\nAlso seen: portal.a.test"

    analysis = analyse_for_organisation(text, organisation=org_a)

    assert ("portal.a.test", "the member's own domains") in {
        (hit.value, hit.list_name) for hit in analysis.warning_hits
    }
    assert "dana.whitfield@northgrid-energy.example" in {r.original for r in analysis.redactions}


def test_uploaded_stix_objects_naming_a_victim_are_dropped_or_scrubbed(
    submit: Submit, analyst_a: User, org_a: Organisation, victim_org: Organisation
) -> None:
    bundle = json.loads(sample_bytes("bundle-tlp2.json"))
    bundle["objects"].append(
        {
            "type": "email-addr",
            "spec_version": "2.1",
            "id": "email-addr--2d77a846-6264-5d51-b586-e43822ea1ea3",
            "value": "dana.whitfield@northgrid-energy.example",
        }
    )
    malware = next(obj for obj in bundle["objects"] if obj["type"] == "malware")
    malware["description"] = (
        "First seen by Dana Whitfield (dana.whitfield@northgrid-energy.example, "
        "+1 (555) 013-2274) on the SCADA jump host."
    )

    submission = submit(
        organisation=org_a,
        submitted_by=analyst_a,
        kind="stix",
        raw=json.dumps(bundle).encode(),
    )

    assert submission.status == Submission.Status.NEEDS_REVIEW, submission.error
    stored = json.dumps(list(StixObject.objects.values_list("data", flat=True)))
    assert "northgrid-energy" not in stored
    assert "Dana Whitfield" not in stored
    assert "013-2274" not in stored
    assert "on the SCADA jump host" in stored
    assert submission.findings["skipped"] == [
        {
            "id": "email-addr--2d77a846-6264-5d51-b586-e43822ea1ea3",
            "message": "not shared: it names a victim's e-mail address",
        }
    ]


def test_normalisation_is_routed_to_the_normalize_queue_and_swept_periodically() -> None:
    from django.conf import settings

    from portal.celery import app

    route = app.amqp.router.route({}, "sharing.tasks.normalize_submission")

    assert route["queue"].name == "normalize"
    assert settings.CELERY_BEAT_SCHEDULE["sharing-normalize-sweep"]["task"] == (
        "sharing.tasks.normalize_sweep"
    )
