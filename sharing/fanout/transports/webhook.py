"""Webhooks: a signed JSON POST with the report and its STIX 2.1 bundle."""

import json
from dataclasses import dataclass
from typing import Any

import httpx
from django.conf import settings
from django.utils import timezone

from sharing.fanout import netguard
from sharing.fanout.secrets import decrypt_secret
from sharing.fanout.signing import sign_headers
from sharing.fanout.transports import Outcome, SendContext
from sharing.models import Delivery, Report, Subscription


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
        from sharing.stix.bundle import report_bundle

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


def deliver(prepared: Prepared, context: SendContext) -> Outcome:
    try:
        response = netguard.post(
            prepared.url,
            content=prepared.content,
            headers=prepared.headers,
            allowed=context.allowed_networks,
            timeout=settings.FANOUT_WEBHOOK_TIMEOUT,
            client=context.client(),
        )
    except netguard.BlockedDestination as error:
        return Outcome(ok=False, error=f"Refused: {error}")
    except httpx.TimeoutException:
        return Outcome(ok=False, error="The receiver did not answer in time.")
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
        subscription=delivery.subscription,
        msg_id=delivery.webhook_id,
        body=payload(delivery, report, bundle),
    )


def send(delivery: Delivery, context: SendContext) -> Outcome:
    return deliver(prepare_delivery(delivery, context), context)
