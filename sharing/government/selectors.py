"""Reads of the government lane: partners and their state, what a report's forward would
be (the dry run), and the forward record as CSV."""

import csv
import io
import json
from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import Count, Q, QuerySet

from sharing import policy
from sharing.government.forward import Prepared, prepare_forward
from sharing.models import Delivery, Forward, Partner, Report


def partners_with_counts() -> QuerySet[Partner]:
    return Partner.objects.annotate(
        forwarded=Count("forwards", distinct=True),
        pending=Count("deliveries", filter=Q(deliveries__status=Delivery.Status.PENDING)),
        failed=Count("deliveries", filter=Q(deliveries__status=Delivery.Status.FAILED)),
    ).order_by("name")


@dataclass(frozen=True)
class DryRun:
    """What would leave for the partner if the report were forwarded now, and whether it
    would be."""

    prepared: Prepared
    pretty: str
    would_leave: bool
    reasons: list[str]


def dry_run(*, report: Report, partner: Partner) -> DryRun:
    """Exactly the bundle a forward of the report's current version would carry (its id is
    derived from the delivery, so a real forward's bundle id differs), with the reasons it
    would not be sent, if any."""
    prepared = prepare_forward(
        report=report, key=f"dry-run/{report.uuid}/{report.version}", withdrawn=False
    )
    reasons = []
    if not policy.can_forward(report, policy.Channel.GOVERNMENT):
        reasons.append(
            "Only published TLP:CLEAR and TLP:GREEN reports leave on the government lane."
        )
    if not policy.can_forward_to_government(report, us_government=partner.is_us_government):
        consent = prepared.consent
        if consent.organisation.reason:
            reasons.append(consent.organisation.reason)
        elif consent.scope == "none":
            reasons.append("The report's consent is “do not forward”.")
        elif consent.scope == "usg" and not partner.is_us_government:
            reasons.append("The consent is “US government only” and this partner is not one.")
    if not partner.is_active:
        reasons.append("The partner is turned off.")
    return DryRun(
        prepared=prepared,
        pretty=json.dumps(prepared.bundle, indent=2, ensure_ascii=False),
        would_leave=not reasons,
        reasons=reasons,
    )


CSV_COLUMNS = (
    "sent_at",
    "report_id",
    "report_title",
    "report_version",
    "event",
    "tlp",
    "partner",
    "consent",
    "cisa_proprietary",
    "agreement_version",
    "acceptance_id",
    "accepted_at",
    "consent_chosen_at",
    "bundle_id",
    "bundle_sha256",
    "objects",
    "taxii_status_id",
    "taxii_status",
    "taxii_successes",
    "taxii_failures",
    "taxii_pending",
)


def forwards_csv(forwards: Iterable[Forward]) -> str:
    """The record as CSV, one line per forward (an organisation's proof of what it shared)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for f in forwards:
        acceptance = f.acceptance
        writer.writerow(
            [
                f.sent_at.isoformat(),
                str(f.report.uuid),
                _cell(f.report.title),
                f.report_version,
                f.event,
                f.report.tlp,
                _cell(f.partner.name),
                f.consent,
                "yes" if f.cisa_proprietary else "no",
                acceptance.version.version_label if acceptance else "",
                str(acceptance.uuid) if acceptance else "",
                acceptance.accepted_at.isoformat() if acceptance else "",
                f.consent_choice.chosen_at.isoformat() if f.consent_choice else "",
                f.bundle_id,
                f.bundle_sha256,
                f.object_count,
                f.taxii_status_id,
                f.taxii_status,
                f.success_count,
                f.failure_count,
                f.pending_count,
            ]
        )
    return out.getvalue()


def _cell(value: str) -> str:
    """Text that a spreadsheet would run as a formula is kept as text."""
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value
