"""Demo subscriptions for the README quick start, so demo reports reach someone."""

from accounts.models import Membership
from sharing.fanout.services import subscription_create
from sharing.feeds.services import feeds_ensure_builtin
from sharing.models import Feed, Subscription

# (person, feed: "everything" or a sector slug, channel, options)
DEMO_SUBSCRIPTIONS: tuple[tuple[str, str, str, dict[str, object]], ...] = (
    ("analyst@northwind.example", "energy", "portal", {}),
    ("analyst@harborbank.example", "everything", "portal", {}),
    ("analyst@granitewater.example", "water-and-wastewater-systems", "portal", {}),
    (
        "admin@northwind.example",
        "everything",
        "email",
        {"email_mode": "digest", "digest_hour": 7, "time_zone": "America/Chicago"},
    ),
)


def seed_subscriptions() -> int:
    """Create the demo subscriptions that are missing; returns how many were created."""
    feeds_ensure_builtin()
    created = 0
    for email, feed_key, channel, options in DEMO_SUBSCRIPTIONS:
        membership = (
            Membership.objects.select_related("organisation", "user")
            .filter(user__email=email, is_active=True)
            .first()
        )
        feeds = Feed.objects.filter(is_active=True)
        feed = (
            feeds.filter(kind=Feed.Kind.EVERYTHING).first()
            if feed_key == "everything"
            else feeds.filter(kind=Feed.Kind.SECTOR, sectors__slug=feed_key).first()
        )
        if membership is None or feed is None:
            continue
        if Subscription.objects.filter(feed=feed, membership=membership, channel=channel).exists():
            continue
        subscription_create(feed=feed, by=membership, channel=channel, **options)  # type: ignore[arg-type]
        created += 1
    return created
