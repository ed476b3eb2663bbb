"""Reads about submissions for the browser and the API."""

from typing import Any

from sharing.models import Report, Submission


def submission_status(submission: Submission) -> dict[str, Any]:
    """The state of a submission as both the browser and the API show it.

    {"id", "state", "state_label", "progress", "error", "error_details", "attempts",
    "report" (uuid or None), "findings", "created_at", "finished_at"}. Contains no raw bytes.
    """
    return {
        "id": str(submission.uuid),
        "state": submission.status,
        "state_label": submission.get_status_display(),
        "progress": submission.progress,
        "error": submission.error,
        "error_details": submission.error_details,
        "attempts": submission.attempts,
        "report": str(submission.report.uuid)
        if submission.report_id and submission.report
        else None,
        "findings": submission.findings,
        "next_step": next_step(submission),
        "created_at": submission.created_at.isoformat(),
        "finished_at": submission.finished_at.isoformat() if submission.finished_at else None,
    }


def next_step(submission: Submission) -> str:
    """What really happens next to a submission, in a sentence for its sender."""
    status = submission.status
    if status in (Submission.Status.QUEUED, Submission.Status.PROCESSING):
        return "Being processed."
    if status == Submission.Status.FAILED:
        return f"Failed: {submission.error}" if submission.error else "Failed."
    report = submission.report
    if report is None:
        return "Nothing was kept."
    if report.status in (Report.Status.PUBLISHED, Report.Status.WITHDRAWN):
        return "Published." if report.status == Report.Status.PUBLISHED else "Withdrawn."
    if report.status == Report.Status.PENDING_REVIEW:
        return "Waiting for ISAC review."
    if report.status == Report.Status.REJECTED:
        return "Rejected by the ISAC; the reason is in the portal."
    waiting = (
        "Waiting for your review in the portal: open the draft, choose its audience and "
        "confirm the preview to share it."
    )
    if submission.held_reason:
        return f"{waiting} Not published directly: {submission.held_reason}"
    return waiting
