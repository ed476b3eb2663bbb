"""Configuring government partners, sending failed forwards again, refreshing a partner's
TAXII status: every change here is an ISAC admin's (or the system's), audited."""

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from accounts.audit import audit_record
from accounts.models import Membership
from accounts.policy import require_isac_admin
from sharing.fanout.enqueue import deliver_after_commit
from sharing.fanout.secrets import encrypt_secret
from sharing.fanout.transports import TRANSPORTS
from sharing.government.credentials import partner_client, partner_credentials
from sharing.models import Delivery, Forward, Partner
from sharing.taxii.client import (
    AuthKind,
    Credentials,
    TaxiiError,
    normalise_api_root,
    ssl_context_for,
)


@dataclass(frozen=True)
class PartnerSettings:
    """What an ISAC admin types in. Blank secrets on an update keep the stored ones."""

    name: str
    api_root: str
    collection_id: str
    auth_kind: str = AuthKind.BASIC
    username: str = ""
    password: str = ""
    token: str = ""
    certificate_pem: str = ""
    key_pem: str = ""
    ca_certificate_pem: str = ""
    is_us_government: bool = True


def _require(by: Membership | None) -> None:
    require_isac_admin(by, "Only ISAC admins configure government partners.")


def _state(partner: Partner) -> dict[str, Any]:
    """The partner as the audit log keeps it: never a secret, only whether one is set."""
    return {
        "name": partner.name,
        "api_root": partner.api_root,
        "collection_id": partner.collection_id,
        "auth_kind": partner.auth_kind,
        "username": partner.username,
        "password_set": bool(partner.password_encrypted),
        "token_set": bool(partner.token_encrypted),
        "certificate_set": bool(partner.certificate_pem),
        "key_set": bool(partner.key_encrypted),
        "ca_certificate_set": bool(partner.ca_certificate_pem),
        "is_us_government": partner.is_us_government,
        "is_active": partner.is_active,
    }


def _apply(partner: Partner, values: PartnerSettings) -> None:
    if not values.name.strip():
        raise ValidationError("Give the partner a name.")
    try:
        partner.api_root = normalise_api_root(values.api_root)
    except TaxiiError as error:
        raise ValidationError(error.message) from None
    if not values.collection_id.strip():
        raise ValidationError("Give the id of the partner's collection to add objects to.")
    if values.auth_kind not in AuthKind.__members__.values():
        raise ValidationError("Choose how the portal authenticates to the partner.")
    partner.name = values.name.strip()[:150]
    partner.collection_id = values.collection_id.strip()
    partner.auth_kind = values.auth_kind
    partner.is_us_government = values.is_us_government
    partner.username = values.username.strip()
    if values.password:
        partner.password_encrypted = encrypt_secret(values.password)
    if values.token.strip():
        partner.token_encrypted = encrypt_secret(values.token.strip())
    if values.certificate_pem.strip():
        partner.certificate_pem = values.certificate_pem.strip() + "\n"
    if values.key_pem.strip():
        partner.key_encrypted = encrypt_secret(values.key_pem.strip() + "\n")
    partner.ca_certificate_pem = values.ca_certificate_pem.strip()
    # Secrets of another kind are not kept: only what is in use is stored.
    kind = AuthKind(values.auth_kind)
    if kind != AuthKind.BASIC:
        partner.username, partner.password_encrypted = "", ""
    if kind != AuthKind.BEARER:
        partner.token_encrypted = ""
    if kind != AuthKind.CERTIFICATE:
        partner.certificate_pem, partner.key_encrypted = "", ""
    credentials: Credentials = partner_credentials(partner)
    problems = credentials.problems()
    if problems:
        raise ValidationError(problems)
    try:
        ssl_context_for(credentials)
    except TaxiiError as error:
        raise ValidationError(error.message) from None


@transaction.atomic
def partner_create(
    *, values: PartnerSettings, by: Membership | None, ip_address: str | None = None
) -> Partner:
    """A new government partner, turned off until an ISAC admin turns it on."""
    _require(by)
    partner = Partner(created_by=by.user if by else None, is_active=False)
    _apply(partner, values)
    partner.save()
    audit_record(
        action="government.partner_create",
        obj=partner,
        by=by,
        ip_address=ip_address,
        after=_state(partner),
    )
    return partner


@transaction.atomic
def partner_update(
    *,
    partner: Partner,
    values: PartnerSettings,
    by: Membership | None,
    ip_address: str | None = None,
) -> Partner:
    _require(by)
    partner = Partner.objects.select_for_update().get(pk=partner.pk)
    before = _state(partner)
    _apply(partner, values)
    partner.updated_at = timezone.now()
    partner.save()
    after = _state(partner)
    audit_record(
        action="government.partner_update",
        obj=partner,
        by=by,
        ip_address=ip_address,
        before={k: v for k, v in before.items() if after[k] != v},
        after={k: v for k, v in after.items() if before[k] != v},
    )
    return partner


@transaction.atomic
def partner_set_active(
    *, partner: Partner, active: bool, by: Membership | None, ip_address: str | None = None
) -> Partner:
    """Turn forwarding to the partner on or off. Off cancels its pending forwards at send
    time; reports published while it is off are not sent later."""
    _require(by)
    partner = Partner.objects.select_for_update().get(pk=partner.pk)
    if partner.is_active == active:
        return partner
    partner.is_active = active
    partner.updated_at = timezone.now()
    if active:
        partner.consecutive_failures = 0
    partner.save(update_fields=["is_active", "updated_at", "consecutive_failures"])
    audit_record(
        action="government.partner_on" if active else "government.partner_off",
        obj=partner,
        by=by,
        ip_address=ip_address,
        before={"is_active": not active},
        after={"is_active": active},
    )
    return partner


def partner_check(*, partner: Partner, by: Membership | None) -> str:
    """Connect to the partner's collection now (through the SSRF guard) and say what it is;
    raises ValidationError with the reason when it cannot be reached or written to."""
    _require(by)
    try:
        with partner_client(partner, timeout=settings.GOVERNMENT_TAXII_TIMEOUT) as client:
            collection = client.collection(partner.collection_id)
    except TaxiiError as error:
        raise ValidationError(error.message) from None
    title = str(collection.get("title") or partner.collection_id)
    if not collection.get("can_write"):
        raise ValidationError(f"The collection “{title}” does not accept objects from us.")
    return f"Connected: the collection “{title}” accepts objects."


@transaction.atomic
def partner_retry_failed(
    *, partner: Partner, by: Membership | None, ip_address: str | None = None
) -> int:
    """Send the partner's failed forwards again (after its settings were fixed); each is
    re-checked at send time like any other. Returns how many."""
    _require(by)
    failed = list(
        Delivery.objects.select_for_update()
        .filter(partner=partner, status=Delivery.Status.FAILED)
        .values_list("pk", flat=True)
    )
    if not failed:
        return 0
    now = timezone.now()
    Delivery.objects.filter(pk__in=failed).update(
        status=Delivery.Status.PENDING,
        attempts=0,
        next_attempt_at=now,
        enqueued_at=now,
        finished_at=None,
        claimed_until=None,
    )
    audit_record(
        action="government.partner_retry",
        obj=partner,
        by=by,
        ip_address=ip_address,
        after={"deliveries": len(failed)},
    )
    queue = TRANSPORTS[partner.kind].queue
    size = settings.FANOUT_BATCH_SIZE
    for start in range(0, len(failed), size):
        deliver_after_commit(failed[start : start + size], queue=queue)
    return len(failed)


def forward_status_refresh(*, forward_id: int) -> str:
    """Read the partner's TAXII status of a forward that was still pending; returns the
    status now (the record keeps it)."""
    forward = Forward.objects.select_related("partner").get(pk=forward_id)
    if forward.taxii_status == "complete" or not forward.taxii_status_id:
        return forward.taxii_status
    try:
        with partner_client(forward.partner, timeout=settings.GOVERNMENT_TAXII_TIMEOUT) as client:
            status = client.status(forward.taxii_status_id)
    except TaxiiError:
        return forward.taxii_status
    Forward.objects.filter(pk=forward.pk).update(
        taxii_status=status.status,
        success_count=status.success_count,
        failure_count=status.failure_count,
        pending_count=status.pending_count,
        status_detail=status.as_record(),
    )
    return status.status


def forward_statuses_pending() -> list[int]:
    """Forwards whose partner status was still pending, newest first (the last week's)."""
    since = timezone.now() - timedelta(days=7)
    return list(
        Forward.objects.filter(taxii_status="pending", sent_at__gte=since)
        .order_by("-sent_at")
        .values_list("pk", flat=True)[:500]
    )
