from sharing.models.alerts import (
    Alert,
    AlertMatch,
    AlertScan,
    ReportAcknowledgement,
    WatchedAsset,
)
from sharing.models.attachments import Attachment
from sharing.models.automation import PublishingDefaults
from sharing.models.discussion import Comment, CurationEvent, ReviewRequirement
from sharing.models.fanout import (
    Delivery,
    DeliveryAttempt,
    Feed,
    Notification,
    PrivateNetworkAllowance,
    Subscription,
)
from sharing.models.normalize import (
    Indicator,
    ReportIndicator,
    StixObject,
    StixVersionHead,
    Submission,
)
from sharing.models.reports import Report
from sharing.models.revisions import ReportRevision
from sharing.models.sightings import Sighting

__all__ = [
    "Alert",
    "AlertMatch",
    "AlertScan",
    "Attachment",
    "Comment",
    "CurationEvent",
    "Delivery",
    "DeliveryAttempt",
    "Feed",
    "Indicator",
    "Notification",
    "PrivateNetworkAllowance",
    "PublishingDefaults",
    "Report",
    "ReportAcknowledgement",
    "ReportIndicator",
    "ReportRevision",
    "ReviewRequirement",
    "Sighting",
    "StixObject",
    "StixVersionHead",
    "Submission",
    "Subscription",
    "WatchedAsset",
]
