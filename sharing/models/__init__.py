from sharing.models.reports import Report

__all__ = ["Report"]
from sharing.models.fanout import (
    Delivery,
    DeliveryAttempt,
    Feed,
    Notification,
    PrivateNetworkAllowance,
    Subscription,
)

__all__ += [
    "Delivery",
    "DeliveryAttempt",
    "Feed",
    "Notification",
    "PrivateNetworkAllowance",
    "Subscription",
]
