"""A real Celery worker on Redis normalises submissions from the `normalize` queue, fails
bad ones with a reason, and keeps going."""

import time
from collections.abc import Callable

import pytest
from django.db import transaction
from pytest_django.fixtures import Settings as SettingsWrapper

from accounts.models import Organisation, User
from sharing.models import ReportIndicator, StixObject, Submission
from sharing.normalize.services import submission_create, submission_retry
from tests.fixtures.members import acting
from tests.fixtures.normalize import sample_bytes

pytestmark = pytest.mark.services


def wait_for(predicate: Callable[[], bool], timeout: float = 30.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return False


def settled(submission: Submission) -> Callable[[], bool]:
    def check() -> bool:
        submission.refresh_from_db()
        return submission.status in (Submission.Status.NEEDS_REVIEW, Submission.Status.FAILED)

    return check


def test_worker_fails_garbage_and_deep_nesting_then_normalises_the_next_upload(
    celery_worker: object,
    analyst_a: User,
    org_a: Organisation,
    settings: SettingsWrapper,
) -> None:
    settings.NORMALIZE_ALLOW_DOCUMENTATION_RANGES = True
    with transaction.atomic():
        garbage = submission_create(
            organisation=org_a,
            submitted_by=analyst_a,
            kind="stix",
            raw=sample_bytes("bad/binary-garbage.bin"),
        )
        nested = submission_create(
            organisation=org_a,
            submitted_by=analyst_a,
            kind="stix",
            raw=b'{"type":"bundle","objects":[' + b"[" * 200_000 + b"]" * 200_000 + b"]}",
        )
        truncated = submission_create(
            organisation=org_a,
            submitted_by=analyst_a,
            kind="stix",
            raw=sample_bytes("bad/truncated.json"),
        )
        good = submission_create(
            organisation=org_a,
            submitted_by=analyst_a,
            kind="misp",
            raw=sample_bytes("misp-event.json"),
        )

    for submission in (garbage, nested, truncated, good):
        assert wait_for(settled(submission)), f"{submission} never settled"

    assert garbage.status == Submission.Status.FAILED
    assert "binary data" in garbage.error
    assert nested.status == Submission.Status.FAILED
    assert "nested more than" in nested.error
    assert truncated.status == Submission.Status.FAILED
    assert "truncated" in truncated.error
    assert good.status == Submission.Status.NEEDS_REVIEW, good.error
    assert good.progress == 100
    assert good.report is not None
    assert ReportIndicator.objects.filter(report=good.report).count() == 5


def test_worker_retry_of_a_failed_submission_reruns_from_the_raw_bytes(
    celery_worker: object, analyst_a: User, org_a: Organisation, settings: SettingsWrapper
) -> None:
    settings.NORMALIZE_ALLOW_DOCUMENTATION_RANGES = False
    raw = sample_bytes("indicators.csv")
    with transaction.atomic():
        submission = submission_create(
            organisation=org_a, submitted_by=analyst_a, kind="csv", raw=raw
        )
    assert wait_for(settled(submission))
    first_objects = StixObject.objects.filter(submission=submission).count()
    # The documentation address was warning-listed; an ISAC allowing them re-runs it.
    Submission.objects.filter(pk=submission.pk).update(status=Submission.Status.FAILED)
    settings.NORMALIZE_ALLOW_DOCUMENTATION_RANGES = True

    with transaction.atomic():
        submission_retry(submission=submission, by=acting(analyst_a))
    assert wait_for(settled(submission))

    assert submission.status == Submission.Status.NEEDS_REVIEW
    assert bytes(submission.raw) == raw
    assert submission.attempts == 2
    assert StixObject.objects.filter(submission=submission).count() > first_objects
    assert submission.report is not None
    assert ReportIndicator.objects.filter(report=submission.report).count() == 6
