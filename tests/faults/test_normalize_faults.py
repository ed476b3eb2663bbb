"""Normalisation under worker kills and slow runs: a submission is normalised once, a
killed run is taken over quickly, and one that kills its worker every time stops and is
shown to ISAC staff. Real worker processes, PostgreSQL and Redis."""

import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg
import pytest
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from django.db import transaction
from pytest_django.fixtures import Settings as SettingsWrapper

from accounts.models import Organisation, User
from sharing.models import Report, StixObject, Submission
from sharing.normalize.services import submission_create, submission_sweep
from tests.faults.conftest import ROOT, StartWorker, child_env, database_url, wait_for
from tests.fixtures.members import signed_in
from tests.fixtures.normalize import sample_bytes

pytestmark = pytest.mark.services

# Worker processes renew their claim every second here, so a killed run is silent (dead)
# after 4 s instead of 40 s; everything else is as deployed.
FAST_HEARTBEAT = {"NORMALIZE_HEARTBEAT_SECONDS": "1", "NORMALIZE_ALLOW_DOCUMENTATION_RANGES": "1"}


@contextmanager
def stix_table_locked() -> Iterator[None]:
    """Holds back every run at the point where it writes STIX objects (a long lock, as a
    busy database would), after it has created its draft report."""
    with psycopg.connect(database_url()) as conn:
        conn.execute("LOCK TABLE sharing_stixobject IN EXCLUSIVE MODE")
        yield
        conn.rollback()


def reload(submission: Submission) -> Submission:
    return Submission.objects.defer("raw").get(pk=submission.pk)


def misp_upload(analyst: User, org: Organisation) -> Submission:
    with transaction.atomic():
        return submission_create(
            organisation=org, submitted_by=analyst, kind="misp", raw=sample_bytes("misp-event.json")
        )


def assert_normalised_once(submission: Submission, org: Organisation) -> None:
    submission = reload(submission)
    assert submission.status == Submission.Status.NEEDS_REVIEW, submission.error
    assert submission.error == ""
    # One draft report, and each STIX object version stored once.
    assert list(Report.objects.filter(organisation=org).values_list("pk", flat=True)) == [
        submission.report_id
    ]
    rows = StixObject.objects.filter(report=submission.report)
    assert rows.count() == rows.values("stix_id", "modified").distinct().count() > 3


@pytest.fixture
def fast_heartbeat(settings: SettingsWrapper) -> None:
    settings.NORMALIZE_HEARTBEAT_SECONDS = 1


def test_run_of_a_killed_worker_is_taken_over_and_finished_once(
    worker_process: StartWorker, analyst_a: User, org_a: Organisation, fast_heartbeat: None
) -> None:
    # given a worker killed in the middle of a run
    first = worker_process(**FAST_HEARTBEAT)
    with stix_table_locked():
        submission = misp_upload(analyst_a, org_a)
        assert wait_for(lambda: reload(submission).progress == 30)
        first.kill()
        killed_at = time.monotonic()
    worker_process(**FAST_HEARTBEAT)

    # when beat's sweep runs (every second here)
    def recovered() -> bool:
        submission_sweep()
        return reload(submission).status == Submission.Status.NEEDS_REVIEW

    assert wait_for(recovered, timeout=40, every=1)

    # then the run was taken over once its heartbeat went silent, and finished once
    took = time.monotonic() - killed_at
    assert took < 4 + 10, f"took {took:.0f}s"
    assert reload(submission).attempts == 2
    assert_normalised_once(submission, org_a)


def test_run_that_outlives_its_claim_writes_nothing_and_the_new_run_wins(
    worker_process: StartWorker, analyst_a: User, org_a: Organisation, fast_heartbeat: None
) -> None:
    # given a live run held up by a lock for longer than the stale time
    worker_process(**FAST_HEARTBEAT)
    worker_process(**FAST_HEARTBEAT)
    with stix_table_locked():
        submission = misp_upload(analyst_a, org_a)
        assert wait_for(lambda: reload(submission).progress == 30)
        Submission.objects.filter(pk=submission.pk).update(
            started_at=reload(submission).started_at.replace(year=2000)  # type: ignore[union-attr]
        )
        # when the sweep hands it to the other worker, which starts a second run
        submission_sweep()
        assert wait_for(lambda: reload(submission).attempts == 2)
        assert wait_for(lambda: reload(submission).progress == 30)
    # and both runs go on once the lock is released

    # then the second run's results are the only ones, and the first wrote nothing
    assert wait_for(lambda: reload(submission).status != Submission.Status.PROCESSING)
    time.sleep(2)  # the first run has finished too by now (it was first in the lock queue)
    assert_normalised_once(submission, org_a)
    assert reload(submission).attempts == 2


def test_submission_that_kills_its_worker_every_time_stops_and_isac_staff_see_it(
    worker_process: StartWorker,
    analyst_a: User,
    org_a: Organisation,
    isac_curator: User,
    fast_heartbeat: None,
    settings: SettingsWrapper,
) -> None:
    settings.NORMALIZE_MAX_ATTEMPTS = 2
    env = {**FAST_HEARTBEAT, "NORMALIZE_MAX_ATTEMPTS": "2"}
    with stix_table_locked():
        submission = misp_upload(analyst_a, org_a)
        # given two runs, each ending with its worker killed
        worker = worker_process(**env)
        assert wait_for(lambda: reload(submission).progress == 30)
        worker.kill()
        worker = worker_process(**env)

        def second_run_held_up() -> bool:
            submission_sweep()
            current = reload(submission)
            return current.attempts == 2 and current.progress == 30

        assert wait_for(second_run_held_up, timeout=30, every=1)
        worker.kill()
        # when the sweep finds the second run dead too
        last = worker_process(**env)

        def stopped() -> bool:
            submission_sweep()
            return reload(submission).status == Submission.Status.FAILED

        assert wait_for(stopped, timeout=30, every=1)

    # then it stops, says why, and is not run a third time
    submission = reload(submission)
    assert submission.attempts == 2
    assert "started 2 times" in submission.error
    assert "died before finishing" in submission.error
    assert submission.staff_alerted_at is not None
    assert not Report.objects.filter(organisation=org_a).exists()
    # and ISAC staff were told: an e-mail, and the curation page lists it
    assert wait_for(lambda: "A submission could not be processed" in last.output(), timeout=10)
    page = signed_in(isac_curator).get("/reports/curation/").text
    assert str(submission.uuid) in page
    assert "died before finishing" in page
    # while the member's own analysts see nothing of other organisations' failures
    assert str(submission.uuid) not in signed_in(analyst_a).get("/reports/curation/").text


def test_stale_time_not_above_the_hard_time_limit_is_refused_at_start_up(
    settings: SettingsWrapper,
) -> None:
    settings.NORMALIZE_STALE_AFTER_SECONDS = settings.CELERY_TASK_TIME_LIMIT
    with pytest.raises(SystemCheckError, match="NORMALIZE_STALE_AFTER_SECONDS"):
        call_command("check")
    # a worker refuses to start with it
    worker = subprocess.run(
        [sys.executable, "-m", "celery", "-A", "portal", "worker", "--pool", "solo"],
        cwd=ROOT,
        env=child_env(NORMALIZE_STALE_AFTER_SECONDS="300", CELERY_TASK_SOFT_TIME_LIMIT="300"),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert worker.returncode != 0
    assert "NORMALIZE_STALE_AFTER_SECONDS (300) must exceed" in worker.stdout + worker.stderr


def test_defaults_take_a_killed_run_over_within_two_minutes() -> None:
    silent_after = settings.NORMALIZE_HEARTBEAT_SECONDS * settings.NORMALIZE_HEARTBEAT_MISSES
    sweep = settings.CELERY_BEAT_SCHEDULE["sharing-normalize-sweep"]["schedule"]
    assert sweep == 60
    # worst case: killed just after a beat, noticed at the first sweep after it is silent
    assert silent_after + sweep < 120
    assert settings.NORMALIZE_STALE_AFTER_SECONDS > settings.CELERY_TASK_TIME_LIMIT
