"""How a delivery travels: one module per channel behind one small interface.

Each transport's `send(delivery, context)` returns an `Outcome`; it never writes delivery
state itself (sharing.fanout.services records the attempt and decides what happens next).
"""

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
        if self.http is None:
            self.http = httpx.Client(follow_redirects=False, trust_env=False)
        return self.http

    def close(self) -> None:
        if self.http is not None:
            self.http.close()
            self.http = None
