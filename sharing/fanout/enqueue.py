"""Sending fan-out work to the workers, after commit, naming the task by string.

Services enqueue through here and the tasks module imports the services, never the other
way round. The delivery rows are committed first, so when the broker cannot take a message
the fan-out sweep sends the rows once it is back (portal.enqueue logs the failure).
"""

from portal.enqueue import enqueue_on_commit

DELIVER_BATCH = "sharing.fanout.tasks.deliver_batch"


def deliver_after_commit(ids: list[int], *, queue: str, countdown: float | None = None) -> None:
    """Send these deliveries, on the given queue, once the current transaction commits."""
    enqueue_on_commit(DELIVER_BATCH, ids, queue=queue, countdown=countdown)
