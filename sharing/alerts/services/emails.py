"""Alert e-mails to an organisation's e-mail subscribers, under the report's TLP.

A TLP:CLEAR or GREEN alert may carry why it matched (the matched values are the report's
content); an AMBER one is a notice with a link, read in the portal under the policy; a RED
one is never e-mailed (the portal notification links to it). Each recipient is checked
again at send time: they must still be allowed to read the alert.
"""

import smtplib

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from accounts.models import Membership
from sharing import policy
from sharing.models import Alert, Report, Subscription
from sharing.policy import Channel
from sharing.tlp import TLP


def _email_channel(report: Report) -> Channel | None:
    probe = Report(tlp=report.tlp, status=Report.Status.PUBLISHED)
    if policy.can_forward(probe, Channel.EMAIL_CONTENT):
        return Channel.EMAIL_CONTENT
    if policy.can_forward(probe, Channel.EMAIL_NOTICE):
        return Channel.EMAIL_NOTICE
    return None


def alert_url(alert: Alert) -> str:
    path = reverse("alerts:alert-detail", args=[alert.uuid])
    return settings.PORTAL_BASE_URL.rstrip("/") + path


def _recipients(alert: Alert) -> list[Membership]:
    subscribed = Subscription.objects.filter(
        is_active=True,
        channel=Subscription.ChannelKind.EMAIL,
        membership__organisation_id=alert.organisation_id,
        membership__is_active=True,
        membership__user__is_active=True,
    ).values_list("membership_id", flat=True)
    people = Membership.objects.filter(pk__in=subscribed).select_related("organisation", "user")
    return [m for m in people if policy.visible_alerts(m).filter(pk=alert.pk).exists()]


def alert_email_send(*, alert_id: int) -> int:
    """Send the alert's e-mails once; returns how many were sent.

    The alert row stays locked while sending, so two workers never send it both; a mail
    server that fails rolls the mark back and the sweep tries again later.
    """
    with transaction.atomic():
        alert = (
            Alert.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("report", "organisation")
            .filter(pk=alert_id, emailed_at__isnull=True)
            .first()
        )
        if alert is None:
            return 0
        report = alert.report
        channel = _email_channel(report) if report.status == Report.Status.PUBLISHED else None
        sent = 0
        if channel is not None:
            carries = channel == Channel.EMAIL_CONTENT
            tlp = TLP(report.tlp)
            context = {
                "alert": alert,
                "report": report,
                "tlp_label": tlp.label,
                "carries_content": carries,
                "matches": list(alert.matches.all()) if carries else [],
                "match_count": alert.matches.count(),
                "url": alert_url(alert),
            }
            subject = f"[{tlp.label}] Alert for {alert.organisation.name}: " + (
                report.title if carries else "a report touches your organisation"
            )
            text = render_to_string("alerts/email/alert.txt", context)
            html = render_to_string("alerts/email/alert.html", context)
            for person in _recipients(alert):
                message = EmailMultiAlternatives(subject=subject, body=text, to=[person.user.email])
                message.attach_alternative(html, "text/html")
                try:
                    message.send()
                except (smtplib.SMTPException, OSError):
                    transaction.set_rollback(True)
                    raise
                sent += 1
        alert.emailed_at = timezone.now()
        alert.save(update_fields=["emailed_at"])
    return sent
