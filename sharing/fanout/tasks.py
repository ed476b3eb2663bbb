"""Celery tasks for fan-out: each takes ids and calls a service.

Services enqueue through sharing.fanout.enqueue, which names these tasks by string.
"""

from celery import shared_task

from sharing.fanout import services
from sharing.feeds.services import feeds_ensure_builtin


@shared_task(acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def deliver_batch(delivery_ids: list[int]) -> int:
    return services.deliveries_process(ids=delivery_ids)


@shared_task(acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def send_email_batch(delivery_ids: list[int]) -> int:
    """The former name of e-mail batches, kept so messages queued before an upgrade run."""
    return services.deliveries_process(ids=delivery_ids)


@shared_task(acks_late=True, ignore_result=True)
def fanout_sweep() -> int:
    return services.deliveries_sweep()


@shared_task(acks_late=True, ignore_result=True)
def fanout_ensure_builtin_feeds() -> int:
    """A sector added after installation gets its built-in feed."""
    return feeds_ensure_builtin()
