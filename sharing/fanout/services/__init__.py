"""Every change to feeds, subscriptions and deliveries goes through these functions.

Managing feeds and subscriptions (`feeds`, `subscriptions`, `notifications`) is kept apart
from sending (`delivery`); callers import from here.
"""

from sharing.fanout.services.delivery import (
    deliveries_process,
    deliveries_sweep,
    delivery_send_test,
)
from sharing.fanout.services.feeds import feed_create, feeds_ensure_builtin
from sharing.fanout.services.notifications import notification_mark_read
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
    "allowance_add",
    "allowance_remove",
    "deliveries_process",
    "deliveries_sweep",
    "delivery_send_test",
    "feed_create",
    "feeds_ensure_builtin",
    "notification_mark_read",
    "subscription_create",
    "subscription_delete",
    "subscription_rotate_secret",
    "subscription_set_active",
    "webhook_url_problem",
]
