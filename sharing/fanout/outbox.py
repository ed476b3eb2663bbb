"""Placeholder for the fan-out outbox until the fan-out change lands (its version wins).

report services call outbox_write in the transaction that publishes, revises or withdraws
a report; the real one writes a delivery row per recipient and enqueues after commit.
"""

from sharing.models import Report


def outbox_write(*, report: Report, event: str) -> int:
    """Record that recipients must hear about the report; returns the rows written."""
    return 0
