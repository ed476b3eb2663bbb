"""How a delivery travels: one module per channel behind one small interface.

Each transport's `send(delivery, context)` returns an `Outcome`; it never writes delivery
state itself (sharing.fanout.services records the attempt and decides what happens next).
"""

import threading
from dataclasses import dataclass, field
from typing import Any

import httpx

from sharing.fanout import netguard


@dataclass(frozen=True)
class Outcome:
    ok: bool
    status_code: int | None = None
    error: str = ""
    # The receiver said it is gone for good (HTTP 410): disable the endpoint at once.
    gone: bool = False


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
