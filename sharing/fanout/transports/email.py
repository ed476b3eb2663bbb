"""E-mail: HTML and text parts, the TLP in the subject, an unsubscribe link.

CLEAR and GREEN e-mails carry the report's title and summary; AMBER and AMBER+STRICT
e-mails carry only a notice and a link (the report is read in the portal); RED never gets
here (the outbox writes no e-mail delivery for it, and the send re-checks the channel).
Which of the two an e-mail is, and whether it goes at once or in the daily digest, is
decided here and nowhere else.
"""

import smtplib
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import partial

from django.conf import settings
from django.core import signing
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse

from sharing import policy
from sharing.fanout.channels import next_digest_at
from sharing.fanout.transports.base import (
    Outcome,
    Scheduling,
    SendContext,
    Sent,
    Transport,
    subscription_of,
    timed,
)
from sharing.fanout.transports.webhook import report_url
from sharing.models import Delivery, Report, Subscription
from sharing.policy import Channel
from sharing.tlp import TLP

UNSUBSCRIBE_SALT = "sharing.fanout.unsubscribe"


def unsubscribe_token(subscription: Subscription) -> str:
    return signing.dumps(str(subscription.uuid), salt=UNSUBSCRIBE_SALT)


def unsubscribe_url(subscription: Subscription) -> str:
    path = reverse("fanout:unsubscribe", args=[unsubscribe_token(subscription)])
    return settings.PORTAL_BASE_URL.rstrip("/") + path


@dataclass(frozen=True)
class Item:
    """One report as an e-mail shows it."""

    tlp_label: str
    event: str
    url: str
    carries_content: bool
    title: str
    summary: str
    feed_name: str


def email_channel(tlp: TLP) -> Channel:
    """An e-mail carries the content when the policy lets a report of this TLP travel by
    e-mail with its content; otherwise it is a notice with a link."""
    probe = Report(tlp=tlp, status=Report.Status.PUBLISHED)
    if policy.can_forward(probe, Channel.EMAIL_CONTENT):
        return Channel.EMAIL_CONTENT
    return Channel.EMAIL_NOTICE


def _item(delivery: Delivery) -> Item:
    report = delivery.report
    tlp = TLP(report.tlp)
    content = (
        email_channel(tlp) == Channel.EMAIL_CONTENT and delivery.event != Delivery.Event.WITHDRAWN
    )
    return Item(
        tlp_label=tlp.label,
        event=delivery.get_event_display(),
        url=report_url(report),
        carries_content=content,
        title=report.title if content else "",
        summary=report.summary if content else "",
        feed_name=subscription_of(delivery).feed.name,
    )


def _send(
    *, to: str, subject: str, template: str, context: dict[str, object], unsubscribe: str
) -> None:
    text = render_to_string(f"fanout/email/{template}.txt", context)
    html = render_to_string(f"fanout/email/{template}.html", context)
    message = EmailMultiAlternatives(
        subject=subject,
        body=text,
        to=[to],
        headers={
            "List-Unsubscribe": f"<{unsubscribe}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        },
    )
    message.attach_alternative(html, "text/html")
    message.send()


def _sent(send: Callable[[], None]) -> Outcome:
    """Run a send; a mail server that refuses or is unreachable is a failed attempt."""
    try:
        send()
    except (smtplib.SMTPException, OSError) as error:
        return Outcome(ok=False, error=f"Mail server: {error}"[:500])
    return Outcome(ok=True)


def send_one(delivery: Delivery) -> Outcome:
    subscription = subscription_of(delivery)
    item = _item(delivery)
    subject = f"[{item.tlp_label}] " + (
        item.title if item.carries_content else f"{item.event} report in {item.feed_name}"
    )
    unsubscribe = unsubscribe_url(subscription)
    return _sent(
        lambda: _send(
            to=subscription.membership.user.email,
            subject=subject,
            template="report",
            context={"item": item, "unsubscribe_url": unsubscribe, "subscription": subscription},
            unsubscribe=unsubscribe,
        )
    )


def send_digest(deliveries: Sequence[Delivery]) -> Outcome:
    """One e-mail for one person's due digest deliveries, grouped by feed."""
    first = subscription_of(deliveries[0])
    groups: dict[str, list[Item]] = {}
    for delivery in deliveries:
        item = _item(delivery)
        groups.setdefault(item.feed_name, []).append(item)
    narrowest = max((TLP(d.report.tlp) for d in deliveries), key=lambda t: t.rank)
    subject = f"[{narrowest.label}] Your daily digest: {len(deliveries)} report(s)"
    unsubscribe = unsubscribe_url(first)
    return _sent(
        lambda: _send(
            to=first.membership.user.email,
            subject=subject,
            template="digest",
            context={"groups": sorted(groups.items()), "unsubscribe_url": unsubscribe},
            unsubscribe=unsubscribe,
        )
    )


def _is_digest(subscription: Scheduling) -> bool:
    return subscription.email_mode == Subscription.EmailMode.DIGEST


class EmailTransport(Transport):
    kind = Subscription.ChannelKind.EMAIL
    queue = "email"

    def policy_channel(self, tlp: TLP) -> Channel:
        return email_channel(tlp)

    def due_at(self, subscription: Scheduling, now: datetime) -> datetime:
        if _is_digest(subscription):
            return next_digest_at(
                now, hour=subscription.digest_hour, time_zone=subscription.time_zone
            )
        return now

    def send(self, delivery: Delivery, context: SendContext) -> Outcome:
        return send_one(delivery)

    def send_batch(
        self, deliveries: Sequence[Delivery], context: SendContext
    ) -> Iterator[list[Sent]]:
        """Immediate e-mails one by one; due digest deliveries as one e-mail per person."""
        digests: dict[int, list[Delivery]] = {}
        for delivery in deliveries:
            subscription = subscription_of(delivery)
            if _is_digest(subscription):
                digests.setdefault(subscription.membership.user_id, []).append(delivery)
            else:
                yield [timed(delivery, partial(send_one, delivery))]
        for group in digests.values():
            sent = timed(group[0], partial(send_digest, group))
            yield [Sent(d, sent.outcome, sent.started_at, sent.duration_ms) for d in group]
