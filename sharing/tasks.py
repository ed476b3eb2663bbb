"""Celery tasks of the sharing app. Tasks take ids and call services; nothing else."""

from celery import shared_task

from sharing.insights.refresh import insights_refresh
from sharing.lifecycle.services import indicators_sweep as indicators_sweep_service
from sharing.normalize.services import submission_process, submission_sweep


@shared_task(name="sharing.tasks.normalize_submission", acks_late=True)
def normalize_submission(submission_id: int) -> None:
    """Normalise one submission (queue `normalize`)."""
    submission_process(submission_id=submission_id)


@shared_task(name="sharing.tasks.normalize_sweep")
def normalize_sweep() -> int:
    """Re-queue submissions whose message was lost or whose worker died."""
    return submission_sweep()


@shared_task(name="sharing.tasks.indicators_sweep")
def indicators_sweep() -> int:
    """Revoke indicators whose score fell below their decay rule's threshold."""
    return indicators_sweep_service()


@shared_task(name="sharing.tasks.insights_refresh")
def insights_refresh_all() -> int:
    """Recount the dashboards' figures (Celery beat, `insights-refresh`)."""
    return insights_refresh(by=None).rows
