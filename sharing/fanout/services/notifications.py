"""In-portal notifications: marked read by their reader, and written for requests for
information (asked to an audience, answered, closed).

A notice about an RFI is a row in the reader's inbox, read back through the policy
(`visible_notifications`), so a reader who loses access sees nothing. The e-mail copy is
sent after the transaction commits and follows the rules of report e-mails: it names the
question only when the label may travel by e-mail with content (TLP:CLEAR and GREEN), is a
notice with a link below that, and is never sent for TLP:RED.
"""

import logging
from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from accounts.models import Membership
from sharing import policy
from sharing.fanout.badge import unread_badge_forget
from sharing.models import Notification, Rfi

logger = logging.getLogger(__name__)


@transaction.atomic
def notification_mark_read(*, notification: Notification) -> None:
    if notification.read_at is None:
        notification.read_at = timezone.now()
        notification.save(update_fields=["read_at"])
        unread_badge_forget(notification.membership_id)


@dataclass(frozen=True)
class RfiRecipient:
    """Someone to tell about an RFI, and whether they also get an e-mail."""

    membership: Membership
    email: bool


_RFI_WORDS = {
    Notification.Event.RFI_ASKED: ("A request for information for you", "A member asks"),
    Notification.Event.RFI_ANSWERED: (
        "Your request for information was answered",
        "An answer was given to your request",
    ),
    Notification.Event.RFI_CLOSED: (
        "A request for information was closed",
        "This request for information was closed",
    ),
}


def rfi_url(rfi: Rfi) -> str:
    return settings.PORTAL_BASE_URL.rstrip("/") + reverse("rfi-detail", args=[rfi.uuid])


def _rfi_email(rfi: Rfi, event: Notification.Event) -> tuple[str, str]:
    subject, opening = _RFI_WORDS[event]
    label = rfi.tlp_label.label
    if policy.can_forward_rfi(rfi, policy.Channel.EMAIL_CONTENT):
        text = f"{opening}: “{rfi.title}” ({label})."
    else:
        text = f"{opening} ({label}). It is read in the portal only."
    return f"[ISAC portal] [{label}] {subject}", f"{text}\n\n{rfi_url(rfi)}\n"


@transaction.atomic
def rfi_notify(
    *,
    rfi: Rfi,
    event: str,
    recipients: Iterable[RfiRecipient],
    message: str = "",
    once: bool = False,
) -> list[Notification]:
    """Tell each recipient who may read the RFI, in their inbox and (when they asked for
    e-mail and the label allows a notice by e-mail) by e-mail after commit.

    `once`: skip anyone already told of this event for this RFI (an audience widened by
    routing hears of the question once).
    """
    kind = Notification.Event(event)
    chosen: dict[int, RfiRecipient] = {}
    for recipient in recipients:
        earlier = chosen.get(recipient.membership.pk)
        if earlier is None or (recipient.email and not earlier.email):
            chosen[recipient.membership.pk] = recipient
    if once:
        told = set(
            Notification.objects.filter(
                rfi=rfi, event=kind, membership_id__in=list(chosen)
            ).values_list("membership_id", flat=True)
        )
        chosen = {pk: r for pk, r in chosen.items() if pk not in told}
    readers = [r for r in chosen.values() if policy.can_view_rfi(r.membership, rfi)]
    notifications = Notification.objects.bulk_create(
        [
            Notification(membership=r.membership, rfi=rfi, event=kind, message=message[:5000])
            for r in readers
        ]
    )
    for reader in readers:
        unread_badge_forget(reader.membership.pk)
    if policy.can_forward_rfi(rfi, policy.Channel.EMAIL_NOTICE):
        addresses = sorted({r.membership.user.email for r in readers if r.email})
        if addresses:
            subject, text = _rfi_email(rfi, kind)
            transaction.on_commit(lambda: _send_each(subject, text, addresses))
    return notifications


def _send_each(subject: str, text: str, addresses: list[str]) -> None:
    # One message per person: recipients never learn who else was told.
    for address in addresses:
        try:
            send_mail(subject, text, None, [address])
        except OSError:
            # The notice is in the portal already; a mail server outage loses only the copy.
            logger.warning("RFI notice e-mail to %s failed", address, exc_info=True)
