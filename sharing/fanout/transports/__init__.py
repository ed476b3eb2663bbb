"""How deliveries travel: one module per channel, registered in `TRANSPORTS`.

The delivery loop, the outbox and the send-time checks ask this registry; none of them
names a channel. A new channel (government partners, a peer ISAC, a MISP server) is one
module with a `Transport` subclass and one line below.
"""

from sharing.fanout.transports.base import (
    Outcome,
    PartnerTransport,
    SendContext,
    Sent,
    Transport,
)
from sharing.fanout.transports.email import EmailTransport
from sharing.fanout.transports.government import GovernmentTransport
from sharing.fanout.transports.peer import PeerTransport
from sharing.fanout.transports.portal import PortalTransport
from sharing.fanout.transports.webhook import WebhookTransport
from sharing.policy import Channel
from sharing.tlp import TLP

TRANSPORTS: dict[str, Transport] = {
    transport.kind: transport
    for transport in (
        PortalTransport(),
        EmailTransport(),
        WebhookTransport(),
        GovernmentTransport(),
        PeerTransport(),
    )
}


def transport_for(kind: str) -> Transport | None:
    """The transport of a subscription channel; None for channels that are polled (TAXII)."""
    return TRANSPORTS.get(kind)


def partner_transports() -> list[PartnerTransport]:
    """The transports whose destinations are partners rather than subscriptions."""
    return [t for t in TRANSPORTS.values() if isinstance(t, PartnerTransport)]


def policy_channel(kind: str, tlp: TLP) -> Channel | None:
    """The policy channel a delivery of a report of this TLP uses; None when not pushed."""
    transport = TRANSPORTS.get(kind)
    return None if transport is None else transport.policy_channel(tlp)


__all__ = [
    "TRANSPORTS",
    "Outcome",
    "PartnerTransport",
    "SendContext",
    "Sent",
    "Transport",
    "partner_transports",
    "policy_channel",
    "transport_for",
]
