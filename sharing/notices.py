"""Telling authors what happened to what they submitted: a curator rejected their report or
asked about it, their upload failed, or an upload waits for their review.

The notice is a row (read in the portal through the policy) written in the transaction of
the change; the e-mail is sent after that transaction commits. The e-mail says what happened
and links to the portal: the curator's words and the report's content stay in the portal,
and a title is named only for reports that may travel by e-mail (TLP:CLEAR and GREEN).
"""

import logging

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.urls import reverse

from accounts.models import Membership, Organisation, User
from sharing.fanout.badge import unread_badge_forget
from sharing.models import Notification, Report, Submission
from sharing.tlp import TLP

logger = logging.getLogger(__name__)

_SUBJECTS = {
    Notification.Event.REJECTED: "The ISAC rejected your report",
    Notification.Event.QUESTION: "The ISAC has a question about your report",
    Notification.Event.UPLOAD_FAILED: "Your upload could not be processed",
    Notification.Event.UPLOAD_READY: "Your upload waits for your review",
}


def _author_membership(user: User, organisation: Organisation) -> Membership | None:
    return Membership.objects.filter(user=user, organisation=organisation, is_active=True).first()


def _link(report: Report | None) -> str:
    base = settings.PORTAL_BASE_URL.rstrip("/")
    if report is None:
        return base + reverse("fanout:notifications")
    return base + reverse("report-detail", args=[report.uuid])


def _email_text(event: str, report: Report | None, submission: Submission | None) -> str:
    named = ""
    if report is not None and report.tlp in (TLP.CLEAR, TLP.GREEN):
        named = f" “{report.title}”"
    what = {
        Notification.Event.REJECTED: f"A curator rejected your report{named}. Their reason, "
        "and the report to change and send again, are in the portal.",
        Notification.Event.QUESTION: f"A curator asked a question about your report{named}. "
        "Answer it in the portal; the report waits for review meanwhile.",
        Notification.Event.UPLOAD_FAILED: "The portal could not process your "
        f"{submission.get_kind_display() if submission else 'upload'}"
        f"{f' {submission.filename}' if submission and submission.filename else ''}. "
        "The reason is in the portal; you can correct it and upload again.",
        Notification.Event.UPLOAD_READY: "Your upload was processed and waits in the portal "
        f"as a draft{named}: review it and confirm the preview to share it.",
    }[Notification.Event(event)]
    return f"{what}\n\n{_link(report)}\n"


@transaction.atomic
def author_notify(
    *,
    user: User,
    organisation: Organisation,
    event: str,
    report: Report | None = None,
    submission: Submission | None = None,
    message: str = "",
) -> Notification | None:
    """A notice in the portal for the person acting for the organisation, and an e-mail to
    them once the transaction commits. None when they are no longer a member there."""
    membership = _author_membership(user, organisation)
    if membership is None:
        return None
    notification = Notification.objects.create(
        membership=membership,
        report=report,
        submission=submission,
        event=event,
        message=message[:5000],
    )
    unread_badge_forget(membership.pk)
    subject = f"[ISAC portal] {_SUBJECTS[Notification.Event(event)]}"
    text = _email_text(event, report, submission)
    recipient = user.email

    def send() -> None:
        try:
            send_mail(subject, text, None, [recipient])
        except OSError:
            # The notice is in the portal already; a mail server outage loses only the copy.
            logger.warning("author notice e-mail to %s failed", recipient, exc_info=True)

    transaction.on_commit(send)
    return notification
