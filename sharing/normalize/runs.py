"""Runs of normalisation: which run holds a submission, and what happens when runs die.

A run claims a submission with a conditional UPDATE on its attempt number (the claim), keeps
it with a heartbeat while it works, and writes its results only while it still holds it. A
run that goes silent (its worker was killed) is taken over; a submission whose runs keep
dying stops, says why, and ISAC staff are told.
"""

import logging
import smtplib
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import DatabaseError, connection
from django.db.models import Q
from django.utils import timezone

from accounts.models import Membership, User
from sharing.models import Submission

logger = logging.getLogger(__name__)


class ClaimLost(Exception):
    """This run no longer holds the submission: another run took it over. Its work is
    thrown away; the run that holds the claim writes the results."""


def claimable_q(now: datetime) -> Q:
    """Queued, or 'processing' by a run that is over: silent for too long (its worker was
    killed) or claimed longer ago than any run may last."""
    stale = now - timedelta(seconds=settings.NORMALIZE_STALE_AFTER_SECONDS)
    silent = now - timedelta(
        seconds=settings.NORMALIZE_HEARTBEAT_SECONDS * settings.NORMALIZE_HEARTBEAT_MISSES
    )
    dead = Q(started_at__lt=stale) | Q(heartbeat_at__lt=silent) | Q(heartbeat_at__isnull=True)
    return Q(status=Submission.Status.QUEUED) | (Q(status=Submission.Status.PROCESSING) & dead)


def submission_claim(*, submission_id: int) -> Submission | None:
    """Take a submission for processing; None when it is done, another run has it, or it
    stopped because its runs keep dying.

    A conditional UPDATE on the attempt number, so two workers never take the same run; the
    new attempt number is this run's claim, checked again before anything is written.
    """
    now = timezone.now()
    claimable = claimable_q(now)
    # The raw bytes (up to the upload limit) are loaded once, by the pipeline, not here.
    submission = Submission.objects.defer("raw").filter(claimable, pk=submission_id).first()
    if submission is None:
        return None
    runs_lost = submission.runs_lost
    if submission.status == Submission.Status.PROCESSING:
        # The previous run never finished: its worker died or was killed.
        runs_lost += 1
        if runs_lost >= settings.NORMALIZE_MAX_ATTEMPTS:
            _stop(submission, runs_lost)
            return None
    claimed = (
        Submission.objects.filter(claimable, pk=submission_id)
        .filter(attempts=submission.attempts)
        .update(
            status=Submission.Status.PROCESSING,
            started_at=now,
            heartbeat_at=now,
            progress=5,
            attempts=submission.attempts + 1,
            runs_lost=runs_lost,
        )
    )
    if not claimed:
        return None
    submission.refresh_from_db()
    return submission


def _stop(submission: Submission, runs_lost: int) -> None:
    """A submission whose every run dies stops here, says why, and ISAC staff are told."""
    message = (
        f"Processing stopped: it was started {runs_lost} times and each time the worker "
        "processing it died before finishing (usually it ran out of memory or time). "
        "Split the submission or ask the ISAC; ISAC staff have been told."
    )
    stopped = Submission.objects.filter(
        pk=submission.pk, status=Submission.Status.PROCESSING, attempts=submission.attempts
    ).update(
        status=Submission.Status.FAILED,
        error=message,
        error_details=[],
        progress=100,
        runs_lost=runs_lost,
        finished_at=timezone.now(),
    )
    if stopped:
        logger.error("submission %s stopped after %s lost runs", submission.uuid, runs_lost)
        staff_alert_submission(submission_id=submission.pk)


def staff_alert_submission(*, submission_id: int) -> None:
    """Tell ISAC staff about a submission the portal could not process: it is listed on their
    curation page and they get an e-mail. Nothing of the upload's content is sent."""
    now = timezone.now()
    updated = Submission.objects.filter(pk=submission_id, staff_alerted_at__isnull=True).update(
        staff_alerted_at=now
    )
    if not updated:
        return
    submission = (
        Submission.objects.defer("raw").select_related("organisation").get(pk=submission_id)
    )
    recipients = list(
        User.objects.filter(
            memberships__organisation__is_isac=True,
            memberships__is_active=True,
            memberships__role__in=[Membership.Role.ISAC_ADMIN, Membership.Role.ISAC_ANALYST],
            is_active=True,
        )
        .values_list("email", flat=True)
        .distinct()
    )
    if not recipients:
        return
    body = (
        f"A submission from {submission.organisation.name} could not be processed.\n\n"
        f"Submission: {submission.uuid}\nKind: {submission.get_kind_display()}\n"
        f"Size: {submission.size} bytes\nReason: {submission.error}\n\n"
        f"It is listed on the curation page: {settings.PORTAL_BASE_URL}/reports/curation/\n"
    )
    try:
        EmailMessage(
            subject="[ISAC portal] A submission could not be processed",
            body=body,
            to=recipients,
        ).send()
    except (OSError, smtplib.SMTPException):
        # The curation page lists it whatever happens to the e-mail.
        logger.exception("could not e-mail ISAC staff about submission %s", submission.uuid)


@contextmanager
def heartbeat(submission: Submission) -> Iterator[None]:
    """Renew this run's claim every NORMALIZE_HEARTBEAT_SECONDS while the block runs, from a
    thread with its own database connection (the run's own may be inside a long transaction
    or waiting on a lock). A killed worker stops beating, and the sweep takes its run over."""
    stop = threading.Event()
    interval = settings.NORMALIZE_HEARTBEAT_SECONDS

    def beat() -> None:
        try:
            while not stop.wait(interval):
                try:
                    held = Submission.objects.filter(
                        pk=submission.pk,
                        status=Submission.Status.PROCESSING,
                        attempts=submission.attempts,
                    ).update(heartbeat_at=timezone.now())
                except DatabaseError:
                    logger.warning("heartbeat of submission %s not written", submission.uuid)
                    continue
                if not held:
                    return
        finally:
            connection.close()

    thread = threading.Thread(target=beat, name=f"heartbeat-{submission.pk}", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join(timeout=interval + 5)
