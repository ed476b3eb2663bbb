"""Members acknowledge alerts and reports: a read receipt, then an impact answer."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from accounts.audit import audit_record
from accounts.models import Membership
from sharing import policy
from sharing.models import Alert, Report, ReportAcknowledgement


@transaction.atomic
def report_acknowledge(
    *, report: Report, by: Membership, impact: str | None = None
) -> ReportAcknowledgement:
    """Record that the member's organisation read the report and, with `impact`, whether
    it is affected. Answering again changes the answer; the first read stays."""
    if not policy.can_acknowledge(by, report):
        raise PermissionDenied("You cannot acknowledge this report.")
    if impact is not None and impact not in ReportAcknowledgement.Impact.values:
        raise ValidationError(
            f"Answer affected, not affected or investigating: {impact!r} is not one of them."
        )
    now = timezone.now()
    acknowledgement, created = ReportAcknowledgement.objects.select_for_update().get_or_create(
        report=report,
        organisation_id=by.organisation_id,
        defaults={"read_at": now, "read_by": by.user},
    )
    before = {"impact": acknowledgement.impact}
    if impact is not None and impact != acknowledgement.impact:
        acknowledgement.impact = impact
        acknowledgement.impact_at = now
        acknowledgement.impact_by = by.user
        acknowledgement.save(update_fields=["impact", "impact_at", "impact_by"])
    if created or impact is not None:
        audit_record(
            action="report.acknowledge",
            obj=report,
            by=by,
            organisation=by.organisation,
            before=None if created else before,
            after={"impact": acknowledgement.impact},
        )
    return acknowledgement


@transaction.atomic
def alert_set_state(*, alert: Alert, state: str, by: Membership) -> Alert:
    """Acknowledge an alert (which also acknowledges its report), dismiss it as not
    concerning the organisation, or open it again."""
    if not policy.visible_alerts(by).filter(pk=alert.pk).exists():
        raise PermissionDenied("No such alert.")
    if state not in Alert.State.values:
        raise ValidationError(f"{state!r} is not a state of an alert.")
    alert = Alert.objects.select_for_update().get(pk=alert.pk)
    if state == Alert.State.ACKNOWLEDGED and policy.can_acknowledge(by, alert.report):
        report_acknowledge(report=alert.report, by=by)
    previous = alert.state
    alert.state = state
    alert.handled_at = None if state == Alert.State.NEW else timezone.now()
    alert.handled_by = None if state == Alert.State.NEW else by.user
    alert.save(update_fields=["state", "handled_at", "handled_by"])
    audit_record(
        action="alert.state",
        obj=alert,
        by=by,
        organisation=by.organisation,
        before={"state": previous},
        after={"state": state},
    )
    return alert
