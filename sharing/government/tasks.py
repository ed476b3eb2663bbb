"""Celery tasks of the government lane (routed to the `government` queue): each takes ids
and calls a service. Forwards themselves are fan-out deliveries (sharing.fanout.tasks)."""

from celery import shared_task

from sharing.government import services


@shared_task(acks_late=True, ignore_result=True)
def government_status_refresh() -> int:
    """Read again the partners' statuses that were still pending when a forward was made."""
    refreshed = 0
    for forward_id in services.forward_statuses_pending():
        services.forward_status_refresh(forward_id=forward_id)
        refreshed += 1
    return refreshed
