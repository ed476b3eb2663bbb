"""Harbor Bank's demo watch list, and its answer to the alert it raises.

The watch list is written before the demo reports are shared, so the ISAC's advisory about
a SecureEdge VPN gateway raises the alert the way any publication does: its scan is queued
when it is published and matched by `alert_scan_run`. Harbor Bank's analyst then
acknowledges the alert and answers "investigating".
"""

from accounts.models import Membership
from accounts.standing import is_in_good_standing
from sharing import policy
from sharing.alerts.services import (
    alert_scan_run,
    alert_set_state,
    report_acknowledge,
    watched_asset_add,
)
from sharing.demo import WATCHED_ADVISORY
from sharing.models import (
    Alert,
    AlertScan,
    Report,
    ReportAcknowledgement,
    Submission,
    WatchedAsset,
)
from sharing.normalize.services import submission_process

ORGANISATION_ADMIN = "admin@harborbank.example"
ANALYST = "analyst@harborbank.example"
# (kind, value, CPE, note): a domain, an IP range and a product the advisory names.
WATCHLIST = (
    (WatchedAsset.Kind.DOMAIN, "harborbank.example", "", "Main domain and its subdomains"),
    (WatchedAsset.Kind.NETWORK, "91.198.44.0/24", "", "Head office, VPN and mail gateways"),
    (
        WatchedAsset.Kind.PRODUCT,
        "Aurora SecureEdge VPN",
        "cpe:2.3:a:aurora:secureedge_vpn:*:*:*:*:*:*:*:*",
        "Remote access for staff",
    ),
)


def _membership(email: str) -> Membership | None:
    return (
        Membership.objects.select_related("organisation", "user")
        .filter(user__email__iexact=email, is_active=True)
        .first()
    )


def seed_watchlist() -> int:
    """Add the entries missing from Harbor Bank's watch list; returns how many were added."""
    admin = _membership(ORGANISATION_ADMIN)
    if admin is None or not is_in_good_standing(admin.organisation):
        return 0
    added = 0
    for kind, value, cpe, note in WATCHLIST:
        if WatchedAsset.objects.filter(organisation=admin.organisation, value=value).exists():
            continue
        watched_asset_add(
            organisation=admin.organisation, kind=kind, value=value, cpe=cpe, note=note, by=admin
        )
        added += 1
    return added


def seed_alert_answer() -> Alert | None:
    """Acknowledge the alert the advisory raised for Harbor Bank, as its analyst, and answer
    "investigating", once. Returns the alert, or None when there is none (yet).

    Publishing queues the advisory's normalisation and then its scan. In embedded mode both
    ran when the seed committed; otherwise (a worker not started yet, a test's transaction)
    they run here, through the services the tasks call: each claims its row first, so
    nothing runs twice.
    """
    advisory = Report.objects.filter(title=WATCHED_ADVISORY).first()
    if advisory is None:
        return None
    for submission_id in Submission.objects.filter(
        report=advisory, status=Submission.Status.QUEUED
    ).values_list("pk", flat=True):
        submission_process(submission_id=submission_id)
    for scan_id in AlertScan.objects.filter(
        report=advisory, status=AlertScan.Status.PENDING
    ).values_list("pk", flat=True):
        alert_scan_run(scan_id=scan_id)
    analyst = _membership(ANALYST)
    if analyst is None:
        return None
    alert = policy.visible_alerts(analyst).filter(report=advisory).select_related("report").first()
    if alert is None:
        return None
    if alert.state == Alert.State.NEW:
        alert = alert_set_state(alert=alert, state=Alert.State.ACKNOWLEDGED, by=analyst)
    answered = ReportAcknowledgement.objects.filter(
        report=alert.report, organisation=analyst.organisation
    ).exclude(impact="")
    if not answered.exists():
        report_acknowledge(
            report=alert.report, by=analyst, impact=ReportAcknowledgement.Impact.INVESTIGATING
        )
    return alert
