"""Every change to feeds, subscriptions and deliveries goes through these functions.

Managing subscriptions (`subscriptions`, `notifications`) is kept apart from sending
(`delivery`); callers import from here. Feeds have their own package, sharing.feeds.
"""

from sharing.fanout.services.delivery import (
    deliveries_process,
    deliveries_sweep,
    delivery_send_test,
)
from sharing.fanout.services.notifications import (
    RfiRecipient,
    notification_mark_read,
    rfi_notify,
)
from sharing.fanout.services.subscriptions import (
    SECRET_ROTATION_OVERLAP,
    allowance_add,
    allowance_remove,
    subscription_create,
    subscription_delete,
    subscription_rotate_secret,
    subscription_set_active,
    webhook_url_problem,
)

__all__ = [
    "SECRET_ROTATION_OVERLAP",
    "RfiRecipient",
    "allowance_add",
    "allowance_remove",
    "deliveries_process",
    "deliveries_sweep",
    "delivery_send_test",
    "notification_mark_read",
    "rfi_notify",
    "subscription_create",
    "subscription_delete",
    "subscription_rotate_secret",
    "subscription_set_active",
    "webhook_url_problem",
]
