from sharing.models.fanout import (
    Delivery,
    DeliveryAttempt,
    Feed,
    Notification,
    PrivateNetworkAllowance,
    Subscription,
)
from sharing.models.normalize import Indicator, ReportIndicator, StixObject, Submission
from sharing.models.reports import Report

__all__ = [
    "Delivery",
    "DeliveryAttempt",
    "Feed",
    "Indicator",
    "Notification",
    "PrivateNetworkAllowance",
    "Report",
    "ReportIndicator",
    "StixObject",
    "Submission",
    "Subscription",
]
