"""The one small interface every transport implements, and what a send gives back.

A transport never writes delivery state itself: it sends and reports each send as it
ends (sharing.fanout.services.delivery records the attempt and decides what comes next).
"""

import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial
from typing import Any, ClassVar, Protocol

import httpx
from django.utils import timezone

from sharing.fanout import netguard
from sharing.models import Delivery, Report, Subscription
from sharing.policy import Channel
from sharing.tlp import TLP


@dataclass(frozen=True)
class Outcome:
    ok: bool
    status_code: int | None = None
    error: str = ""
    # The receiver said it is gone for good (HTTP 410): disable the endpoint at once.
    gone: bool = False
    # What a partner transport keeps on record about a send that succeeded (what left, what
    # the server said); handed back to its `record_delivered`.
    receipt: Any = None


@dataclass(frozen=True)
class Sent:
    """One send that has ended: which delivery, what came back, when and how long."""

    delivery: Delivery
    outcome: Outcome
    started_at: datetime
    duration_ms: int


@dataclass
class SendContext:
    """What one batch of sends shares: a connection pool, the allow-list, cached bundles."""

    allowed_networks: list[netguard.IPNetwork] = field(default_factory=list)
    http: httpx.Client | None = None
    bundles: dict[tuple[int, int], Any] = field(default_factory=dict)

    def client(self) -> httpx.Client:
        return self.http or _shared_client()

    def close(self) -> None:
        if self.http is not None:
            self.http.close()
            self.http = None


class Scheduling(Protocol):
    """What decides when a subscription's deliveries are due (a Subscription has it)."""

    @property
    def email_mode(self) -> str: ...
    @property
    def digest_hour(self) -> int: ...
    @property
    def time_zone(self) -> str: ...


class Transport:
    """How deliveries of one subscription channel travel.

    A subclass names the channel it serves (`kind`, a Subscription.ChannelKind value) and
    the Celery queue its batches run on, says which policy channel a report of a given TLP
    would travel on, and sends: `send` one delivery, or `send_batch` many, yielding the
    sends that have ended (all those that ended together) as soon as they end, so that
    their attempts are recorded at once.
    """

    kind: ClassVar[str]
    queue: ClassVar[str] = "fanout"

    def policy_channel(self, tlp: TLP) -> Channel:
        raise NotImplementedError

    def due_at(self, subscription: Scheduling, now: datetime) -> datetime:
        """When a delivery written now is due (at once, unless the channel batches)."""
        return now

    def refusal(self, delivery: Delivery) -> str | None:
        """Why the channel itself refuses this delivery at send time (beyond the policy's
        check of recipient and TLP), or None: a peer's outbound gateway, for example."""
        return None

    def send(self, delivery: Delivery, context: SendContext) -> Outcome:
        raise NotImplementedError

    def send_batch(
        self, deliveries: Sequence[Delivery], context: SendContext
    ) -> Iterator[list[Sent]]:
        for delivery in deliveries:
            yield [timed(delivery, partial(self.send, delivery, context))]


class PartnerTransport(Transport):
    """A transport whose destinations are partners outside the membership (government
    agencies, peer ISACs), not members' subscriptions.

    `kind` is the partner kind it serves (a sharing.models.Partner.Kind value), which is
    also the channel of its deliveries. The outbox asks `partners_for` which partners a
    report event goes to and writes one delivery per partner in the publishing
    transaction; at send time `refusal` re-checks each delivery (the partner is still on,
    the policy still lets the report travel, consent still holds), as `can_view` does for
    a subscription. `gave_up` is told when a delivery has failed for the last time.
    """

    def partners_for(self, *, report: Report, event: str) -> Sequence[int]:
        """The ids of the partners this report event must be sent to (may be empty)."""
        raise NotImplementedError

    def refusal(self, delivery: Delivery) -> str | None:
        """Why this delivery must not be sent now (it is cancelled), or None."""
        raise NotImplementedError

    def record_delivered(self, delivery: Delivery, outcome: Outcome) -> None:
        """Keep the record of a delivery that succeeded; runs in the transaction that marks
        it delivered, so the record exists exactly when the delivery is done."""

    def gave_up(self, delivery: Delivery, reason: str) -> None:
        """A delivery failed its last attempt; tell whoever looks after the partner."""


def subscription_of(delivery: Delivery) -> Subscription:
    """The subscription of a member's delivery (the transports of members' channels see
    no other kind)."""
    if delivery.subscription is None:
        raise ValueError(f"Delivery {delivery.pk} is for a partner, not a subscription.")
    return delivery.subscription


def timed(delivery: Delivery, send: Callable[[], Outcome]) -> Sent:
    started_at = timezone.now()
    started = time.monotonic()
    outcome = send()
    return Sent(delivery, outcome, started_at, int((time.monotonic() - started) * 1000))


_client: httpx.Client | None = None
_client_lock = threading.Lock()


def _shared_client() -> httpx.Client:
    """One connection pool per worker process, kept across batches (keep-alive, TLS context).

    Connections are made to checked addresses only (see netguard.post), so a pooled
    connection is always to an address that passed the check.
    """
    global _client
    with _client_lock:
        if _client is None:
            _client = netguard.http_client()
        return _client
