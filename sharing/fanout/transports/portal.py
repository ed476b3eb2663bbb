"""In-portal notifications: a row that links to the report, read through the policy."""

from sharing.fanout.transports import Outcome, SendContext
from sharing.models import Delivery, Notification


def send(delivery: Delivery, context: SendContext) -> Outcome:
    Notification.objects.get_or_create(
        delivery=delivery,
        defaults={
            "membership_id": delivery.subscription.membership_id,
            "report_id": delivery.report_id,
            "event": delivery.event,
        },
    )
    return Outcome(ok=True)
