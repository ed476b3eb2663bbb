"""Webhooks: a signed JSON POST with the report and its STIX 2.1 bundle.

The webhooks of a batch are sent concurrently (they are I/O-bound and touch no database),
each within its own total deadline, and each is handed back the moment it ends: a slow
receiver costs one sending thread for at most FANOUT_WEBHOOK_TIMEOUT and holds back no one.
"""

import json
from collections.abc import Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from functools import partial
from typing import Any

import httpx
from django.conf import settings
from django.utils import timezone

from sharing.fanout import netguard
from sharing.fanout.secrets import decrypt_secret
from sharing.fanout.signing import sign_headers
from sharing.fanout.transports.base import (
    Outcome,
    SendContext,
    Sent,
    Transport,
    subscription_of,
    timed,
)
from sharing.formats.stix import report_bundle
from sharing.models import Delivery, Report, Subscription
from sharing.policy import Channel
from sharing.tlp import TLP


def report_url(report: Report) -> str:
    return f"{settings.PORTAL_BASE_URL.rstrip('/')}/reports/{report.uuid}/"


def _source(report: Report) -> str:
    # An anonymous report names the ISAC as its source, never the member.
    return report.organisation.name if report.attributed else "ISAC"


def payload(delivery: Delivery, report: Report, bundle: Any) -> dict[str, Any]:
    summary: dict[str, Any] = {
        "id": str(report.uuid),
        "url": report_url(report),
        "version": delivery.report_version,
        "tlp": report.tlp,
    }
    data: dict[str, Any] = {"report": summary}
    if delivery.event == Delivery.Event.WITHDRAWN:
        summary["withdrawn_reason"] = report.withdrawn_reason
    else:
        summary.update(
            {
                "title": report.title,
                "summary": report.summary,
                "type": report.report_type,
                "confidence": report.confidence,
                "source": _source(report),
                "published_at": report.published_at.isoformat() if report.published_at else None,
            }
        )
        data["stix_bundle"] = bundle
    return {
        "type": f"report.{delivery.event}",
        "timestamp": timezone.now().isoformat(),
        "data": data,
    }


def subscription_secrets(subscription: Subscription) -> list[str]:
    secrets = [decrypt_secret(subscription.secret_encrypted)]
    if (
        subscription.previous_secret_encrypted
        and subscription.previous_secret_expires_at
        and subscription.previous_secret_expires_at > timezone.now()
    ):
        secrets.append(decrypt_secret(subscription.previous_secret_encrypted))
    return secrets


def _bundle(report: Report, context: SendContext) -> Any:
    key = (report.pk, report.version)
    if key not in context.bundles:
        context.bundles[key] = report_bundle(report)
    return context.bundles[key]


@dataclass(frozen=True)
class Prepared:
    """A signed request, ready to send from any thread (no database access needed)."""

    url: str
    content: bytes
    headers: dict[str, str]


def prepare(*, subscription: Subscription, msg_id: str, body: dict[str, Any]) -> Prepared:
    content = json.dumps(body, separators=(",", ":")).encode()
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "isac-portal-webhooks/1",
        **sign_headers(
            secrets=subscription_secrets(subscription),
            msg_id=msg_id,
            timestamp=timezone.now(),
            body=content,
        ),
    }
    return Prepared(url=subscription.webhook_url, content=content, headers=headers)


def _seconds(value: float) -> str:
    return "1 second" if value == 1 else f"{value:g} seconds"


def deliver(prepared: Prepared, context: SendContext) -> Outcome:
    """Send one request; it takes FANOUT_WEBHOOK_TIMEOUT at most, from connecting to the
    last byte of the answer."""
    deadline = settings.FANOUT_WEBHOOK_TIMEOUT
    try:
        response = netguard.post(
            prepared.url,
            content=prepared.content,
            headers=prepared.headers,
            allowed=context.allowed_networks,
            timeout=deadline,
            client=context.client(),
        )
    except netguard.BlockedDestination as error:
        return Outcome(ok=False, error=f"Refused: {error}")
    except httpx.TimeoutException:
        return Outcome(ok=False, error=f"The receiver did not answer within {_seconds(deadline)}.")
    except httpx.HTTPError as error:
        return Outcome(ok=False, error=f"Could not connect: {error}"[:500])
    code = response.status_code
    if 200 <= code < 300:
        return Outcome(ok=True, status_code=code)
    if 300 <= code < 400:
        return Outcome(
            ok=False, status_code=code, error=f"HTTP {code}: redirects are not followed."
        )
    return Outcome(ok=False, status_code=code, error=f"HTTP {code}", gone=code == 410)


def prepare_delivery(delivery: Delivery, context: SendContext) -> Prepared:
    report = delivery.report
    bundle = None if delivery.event == Delivery.Event.WITHDRAWN else _bundle(report, context)
    return prepare(
        subscription=subscription_of(delivery),
        msg_id=delivery.webhook_id,
        body=payload(delivery, report, bundle),
    )


class WebhookTransport(Transport):
    kind = Subscription.ChannelKind.WEBHOOK

    def policy_channel(self, tlp: TLP) -> Channel:
        return Channel.WEBHOOK

    def send(self, delivery: Delivery, context: SendContext) -> Outcome:
        return deliver(prepare_delivery(delivery, context), context)

    def send_batch(
        self, deliveries: Sequence[Delivery], context: SendContext
    ) -> Iterator[list[Sent]]:
        # Bundles are read from the database here, before any thread starts.
        jobs = [(delivery, prepare_delivery(delivery, context)) for delivery in deliveries]
        if not jobs:
            return
        threads = min(settings.FANOUT_SEND_THREADS, len(jobs))
        with ThreadPoolExecutor(max_workers=threads) as pool:
            running: dict[Future[Sent], Delivery] = {
                pool.submit(timed, delivery, partial(deliver, prepared, context)): delivery
                for delivery, prepared in jobs
            }
            while running:
                done, _ = wait(running, return_when=FIRST_COMPLETED)
                for future in done:
                    del running[future]
                yield [future.result() for future in done]
