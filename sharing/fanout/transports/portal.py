"""In-portal notifications: a row that links to the report, read through the policy."""

from sharing.fanout.badge import unread_badge_forget
from sharing.fanout.transports.base import Outcome, SendContext, Transport, subscription_of
from sharing.models import Delivery, Notification, Subscription
from sharing.policy import Channel
from sharing.tlp import TLP


class PortalTransport(Transport):
    kind = Subscription.ChannelKind.PORTAL

    def policy_channel(self, tlp: TLP) -> Channel:
        return Channel.PORTAL

    def send(self, delivery: Delivery, context: SendContext) -> Outcome:
        _, created = Notification.objects.get_or_create(
            delivery=delivery,
            defaults={
                "membership_id": subscription_of(delivery).membership_id,
                "report_id": delivery.report_id,
                "event": delivery.event,
            },
        )
        if created:
            unread_badge_forget(subscription_of(delivery).membership_id)
        return Outcome(ok=True)
