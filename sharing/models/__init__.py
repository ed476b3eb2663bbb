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
from sharing.models.insights import InsightFigure, ReportRead
from sharing.models.lifecycle import IndicatorDecayRule, IndicatorExpiry
from sharing.models.normalize import (
    Indicator,
    ReportIndicator,
    StixObject,
    StixVersionHead,
    Submission,
)
from sharing.models.partners import Forward, Partner
from sharing.models.peers import (
    Peer,
    PeerCollection,
    PeerCorroboration,
    PeerExchange,
    PeerReport,
    PeerRule,
)
from sharing.models.public import PublicFeed
from sharing.models.reports import Report
from sharing.models.revisions import ReportRevision
from sharing.models.rfi import Rfi, RfiAnswer
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
    "Forward",
    "Indicator",
    "IndicatorDecayRule",
    "IndicatorExpiry",
    "InsightFigure",
    "Notification",
    "Partner",
    "Peer",
    "PeerCollection",
    "PeerCorroboration",
    "PeerExchange",
    "PeerReport",
    "PeerRule",
    "PrivateNetworkAllowance",
    "PublicFeed",
    "PublishingDefaults",
    "Report",
    "ReportAcknowledgement",
    "ReportIndicator",
    "ReportRead",
    "ReportRevision",
    "ReviewRequirement",
    "Rfi",
    "RfiAnswer",
    "Sighting",
    "StixObject",
    "StixVersionHead",
    "Submission",
    "Subscription",
    "WatchedAsset",
]
