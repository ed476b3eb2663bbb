"""Matching published reports against the watch lists, durably.

`alert_scan_write` is called in the transaction that makes a report version's content final
(beside the fan-out outbox): it writes an `AlertScan` row and queues the scan after commit.
`alert_scan_run` claims the row with a conditional update, matches, raises the alerts and
marks the scan done in one transaction, so a worker that dies leaves the scan pending for
`alerts_sweep`. Alerts and their matches have unique keys: running a scan twice raises
nothing twice.
"""

import logging
from collections import defaultdict
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from accounts.models import Membership, Organisation
from portal.enqueue import enqueue_on_commit, send_now
from sharing import policy
from sharing.alerts.matching import Match, MatchKind
from sharing.alerts.selectors import profile_index, published_facts
from sharing.models import (
    Alert,
    AlertMatch,
    AlertScan,
    Notification,
    Report,
    Subscription,
    WatchedAsset,
)

logger = logging.getLogger(__name__)

SCAN_TASK = "sharing.alerts.tasks.alerts_scan"
EMAIL_TASK = "sharing.alerts.tasks.send_alert_email"

KIND_WORDS = {
    MatchKind.DOMAIN: "your domain",
    MatchKind.SUBDOMAIN: "a subdomain of yours",
    MatchKind.LOOKALIKE: "a look-alike of your domain",
    MatchKind.ADDRESS: "an address in your ranges",
    MatchKind.ASN: "your ASN",
    MatchKind.BRAND: "your brand name",
    MatchKind.PRODUCT: "a vulnerability in a product you run",
}


def alert_scan_write(*, report: Report) -> None:
    """Queue matching of the report's current version (once per version)."""
    if report.status != Report.Status.PUBLISHED:
        return
    scan, created = AlertScan.objects.get_or_create(report=report, report_version=report.version)
    if created:
        enqueue_on_commit(SCAN_TASK, scan.pk)


def alert_scan_run(*, scan_id: int) -> int:
    """Match one report version against every watch list; returns the alerts raised."""
    now = timezone.now()
    until = now + timedelta(seconds=settings.ALERTS_CLAIM_SECONDS)
    claimed = (
        AlertScan.objects.filter(pk=scan_id, status=AlertScan.Status.PENDING)
        .filter(Q(claimed_until__isnull=True) | Q(claimed_until__lt=now))
        .update(claimed_until=until, attempts=F("attempts") + 1)
    )
    if not claimed:
        return 0  # done already, or another worker holds it
    scan = AlertScan.objects.select_related("report").get(pk=scan_id)
    report = scan.report
    raised = 0
    # A later version has its own scan; a withdrawn report raises nothing new.
    current = report.status == Report.Status.PUBLISHED and report.version == scan.report_version
    matches = profile_index().match(published_facts(report)) if current else []
    with transaction.atomic():
        if matches:
            raised = _raise_alerts(report, matches)
        AlertScan.objects.filter(pk=scan_id, claimed_until=until).update(
            status=AlertScan.Status.DONE,
            finished_at=timezone.now(),
            alerts_raised=raised,
            claimed_until=None,
        )
    return raised


def _readers(report: Report, organisation_ids: set[int]) -> dict[int, list[Membership]]:
    """Per organisation, its people who may read the report (the policy decides, person by
    person: a TLP:RED report is read only by those it names)."""
    memberships = Membership.objects.filter(
        organisation_id__in=organisation_ids, is_active=True, user__is_active=True
    ).select_related("organisation", "user")
    readers: dict[int, list[Membership]] = defaultdict(list)
    for membership in memberships:
        if policy.can_view(membership, report):
            readers[membership.organisation_id].append(membership)
    return readers


def _subscribers(readers: list[Membership]) -> list[Membership]:
    """Who hears of an alert: readers who subscribe to anything in the portal or by e-mail,
    and the organisation's admins (who keep the watch list); when none of them may read the
    report (a TLP:RED report naming one analyst), the readers themselves."""
    subscribed = set(
        Subscription.objects.filter(
            membership__in=readers,
            is_active=True,
            channel__in=[Subscription.ChannelKind.PORTAL, Subscription.ChannelKind.EMAIL],
        ).values_list("membership_id", flat=True)
    )
    chosen = [m for m in readers if m.pk in subscribed or m.is_org_admin]
    return chosen or readers


def _raise_alerts(report: Report, matches: list[Match]) -> int:
    by_organisation: dict[int, list[Match]] = defaultdict(list)
    for match in matches:
        by_organisation[match.organisation_id].append(match)
    # The source knows what it shared; the ISAC and offboarded members get no alerts.
    eligible = set(
        Organisation.objects.filter(pk__in=by_organisation, is_isac=False)
        .exclude(status=Organisation.Status.OFFBOARDED)
        .exclude(pk=report.organisation_id)
        .values_list("pk", flat=True)
    )
    readers = _readers(report, eligible)
    existing_assets = set(
        WatchedAsset.objects.filter(pk__in={m.asset_id for m in matches}).values_list(
            "pk", flat=True
        )
    )
    raised = 0
    for organisation_id in sorted(eligible):
        people = readers.get(organisation_id)
        if not people:
            continue  # nobody there may read it: no alert, not even that one exists
        earlier = set(
            AlertMatch.objects.filter(
                alert__organisation_id=organisation_id,
                alert__report=report,
                alert__report_version__lt=report.version,
            ).values_list("asset_id", "kind", "matched")
        )
        new = [
            m
            for m in by_organisation[organisation_id]
            if m.asset_id in existing_assets and (m.asset_id, m.kind, m.matched) not in earlier
        ]
        if not new:
            continue
        alert, created = Alert.objects.get_or_create(
            organisation_id=organisation_id, report=report, report_version=report.version
        )
        AlertMatch.objects.bulk_create(
            [
                AlertMatch(
                    alert=alert,
                    asset_id=m.asset_id,
                    kind=m.kind,
                    matched=m.matched[:2048],
                    reason=m.reason,
                )
                for m in new
            ],
            ignore_conflicts=True,
        )
        if created:
            raised += 1
            _notify(alert, new, _subscribers(people))
            enqueue_on_commit(EMAIL_TASK, alert.pk)
    return raised


def alert_summary(kinds: list[str]) -> str:
    """A sentence that names the kinds of match, never the matched values: a notification
    outlives the version it was raised for, the alert page is read under that version."""
    words = sorted({KIND_WORDS[MatchKind(kind)] for kind in kinds})
    count = len(kinds)
    noun = "match" if count == 1 else "matches"
    return f"{count} {noun} with your watch list: " + ", ".join(words) + "."


def _notify(alert: Alert, matches: list[Match], people: list[Membership]) -> None:
    message = alert_summary([m.kind for m in matches])
    Notification.objects.bulk_create(
        [
            Notification(
                membership=person,
                report_id=alert.report_id,
                alert=alert,
                event=Notification.Event.ALERT,
                message=message,
            )
            for person in people
        ]
    )


def alerts_sweep(*, limit: int = 500) -> int:
    """Send scans and alert e-mails that a lost message or a dead worker left behind."""
    now = timezone.now()
    grace = now - timedelta(seconds=settings.ALERTS_SWEEP_GRACE_SECONDS)
    scans = list(
        AlertScan.objects.filter(status=AlertScan.Status.PENDING, created_at__lt=grace)
        .filter(Q(claimed_until__isnull=True) | Q(claimed_until__lt=now))
        .values_list("pk", flat=True)[:limit]
    )
    for pk in scans:
        send_now(SCAN_TASK, pk)
    alerts = list(
        Alert.objects.filter(emailed_at__isnull=True, created_at__lt=grace).values_list(
            "pk", flat=True
        )[:limit]
    )
    for pk in alerts:
        send_now(EMAIL_TASK, pk)
    return len(scans) + len(alerts)
