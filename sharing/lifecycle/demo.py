"""Demo indicator lifecycle for the README quick start: an indicator its source ended for
everyone, and one another member flagged as no longer valid, through `indicator_expire`.

Indicators are linked to a report when its submission is normalised, after the seed
commits (at once in embedded mode); a run that finds them not linked yet adds nothing, and
a later run adds what is missing.
"""

from accounts.models import Membership
from sharing import policy
from sharing.lifecycle.services import indicator_expire
from sharing.models import IndicatorExpiry

# (who, report title, indicator value, why)
EXPIRIES = (
    (
        "analyst@northwind.example",
        "Phishing wave impersonating an OT vendor's support portal",
        "https://support-portal-sso.net/auth/login",
        "The phishing page was taken down; the host name still resolves.",
    ),
    (
        "analyst@harborbank.example",
        "Edge VPN appliances: authentication bypass exploited in the wild",
        "103.108.229.22",
        "The address was reassigned to an unrelated hosting customer last week.",
    ),
)


def seed_indicator_lifecycle() -> int:
    """End or flag the demo indicators not marked yet; returns how many were marked."""
    marked = 0
    for email, title, value, reason in EXPIRIES:
        member = (
            Membership.objects.select_related("organisation", "user")
            .filter(user__email__iexact=email, is_active=True)
            .first()
        )
        if member is None:
            continue
        link = (
            policy.visible_report_indicators(member)
            .filter(report__title=title, indicator__value=value)
            .select_related("report", "indicator")
            .first()
        )
        if link is None or not policy.can_interact(member, link.report):
            continue
        if (
            link.revoked_at is not None
            or IndicatorExpiry.objects.filter(link=link, organisation=member.organisation).exists()
        ):
            continue
        indicator_expire(link=link, reason=reason, by=member)
        marked += 1
    return marked
