"""Reads about submissions for the browser and the API."""

from typing import Any

from sharing.models import Submission


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
        "created_at": submission.created_at.isoformat(),
        "finished_at": submission.finished_at.isoformat() if submission.finished_at else None,
    }
