"""Issuing, using and revoking API tokens."""

import hashlib
import hmac
import ipaddress
import secrets
from collections.abc import Sequence
from datetime import datetime, timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import OuterRef
from django.utils import timezone

from accounts.audit import audit_record
from accounts.models import ApiToken, Membership
from accounts.standing import good_standing_of, note_good_standing

TOKEN_PREFIX = "isac"  # lets secret scanners recognise a leaked token


def _sha256(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def normalise_networks(networks: Sequence[str]) -> list[str]:
    """Validate CIDR ranges ("192.0.2.0/24", "2001:db8::/32", or a single address)."""
    cleaned = []
    for raw in networks:
        text = raw.strip()
        if not text:
            continue
        try:
            cleaned.append(str(ipaddress.ip_network(text, strict=False)))
        except ValueError:
            raise ValidationError(f"{text!r} is not an IP address or CIDR range.") from None
    return cleaned


@transaction.atomic
def token_issue(
    *,
    membership: Membership,
    name: str,
    by: Membership | None,
    expires_at: datetime | None = None,
    read_only: bool = False,
    allowed_networks: Sequence[str] = (),
    ip_address: str | None = None,
    may_publish: bool = False,
) -> tuple[ApiToken, str]:
    """Create a token and return it with its plaintext, which is never shown again.

    `may_publish`: the token's uploads are published without a person confirming them,
    with the organisation's publishing defaults (off unless chosen here; audited).

    A person issues tokens for the membership they act for; the system (`by=None`, the
    issue_token command) for any.
    """
    if by is not None and by.pk != membership.pk:
        raise PermissionDenied("You can issue API tokens only for the organisation you act for.")
    if not name.strip():
        raise ValidationError("Give the token a name that says where it is used.")
    if may_publish and read_only:
        raise ValidationError("A read-only token cannot publish; choose one or the other.")
    if expires_at is not None and expires_at <= timezone.now():
        raise ValidationError("The expiry date must be in the future.")
    prefix = secrets.token_hex(4)
    secret = secrets.token_urlsafe(32)
    plaintext = f"{TOKEN_PREFIX}_{prefix}_{secret}"
    token = ApiToken.objects.create(
        membership=membership,
        name=name.strip(),
        prefix=prefix,
        secret_sha256=_sha256(plaintext),
        read_only=read_only,
        may_publish=may_publish,
        allowed_networks=normalise_networks(allowed_networks),
        expires_at=expires_at,
        created_by=by.user if by else None,
    )
    audit_record(
        action="api_token.issue",
        obj=token,
        by=by,
        organisation=membership.organisation,
        ip_address=ip_address,
        after={
            "membership": str(membership.uuid),
            "name": token.name,
            "prefix": prefix,
            "read_only": read_only,
            "may_publish": may_publish,
            "allowed_networks": token.allowed_networks,
            "expires_at": expires_at.isoformat() if expires_at else None,
        },
    )
    return token, plaintext


@transaction.atomic
def token_revoke(*, token: ApiToken, by: Membership | None, ip_address: str | None = None) -> None:
    """A person revokes one of their own tokens (of any of their memberships)."""
    if by is not None and token.membership.user_id != by.user_id:
        raise PermissionDenied("You can revoke only your own API tokens.")
    if token.revoked_at is not None:
        return
    token.revoked_at = timezone.now()
    token.save(update_fields=["revoked_at"])
    audit_record(
        action="api_token.revoke",
        obj=token,
        by=by,
        organisation=token.membership.organisation,
        ip_address=ip_address,
        before={"revoked_at": None},
        after={"revoked_at": token.revoked_at.isoformat()},
    )


class TokenRefused(Exception):
    """Why a presented token does not grant access; the message is safe to show the client."""


LAST_USED_PRECISION = timedelta(minutes=1)


def token_authenticate(*, plaintext: str, ip_address: str | None) -> ApiToken:
    """Check a presented token and record its use; raises TokenRefused with the reason."""
    parts = plaintext.strip().split("_", 2)
    if len(parts) != 3 or parts[0] != TOKEN_PREFIX:
        raise TokenRefused("Malformed API token.")
    # The organisation's standing rides along (one query fewer on every API and TAXII call).
    standing = good_standing_of(OuterRef("membership__organisation_id"))
    token = (
        ApiToken.objects.select_related("membership__user", "membership__organisation")
        .annotate(organisation_in_good_standing=standing)
        .filter(prefix=parts[1])
        .first()
    )
    if token is None or not hmac.compare_digest(token.secret_sha256, _sha256(plaintext.strip())):
        raise TokenRefused("Invalid API token.")
    if token.revoked_at is not None:
        raise TokenRefused("This API token has been revoked.")
    if token.is_expired:
        raise TokenRefused("This API token has expired.")
    membership = token.membership
    if not (membership.is_active and membership.user.is_active):
        raise TokenRefused("The membership this token belongs to is no longer active.")
    note_good_standing(membership.organisation_id, token.organisation_in_good_standing)
    if not token.organisation_in_good_standing:
        raise TokenRefused(
            "The organisation is not in good standing (membership agreement or status); "
            "its API tokens have no access until that is resolved."
        )
    if token.allowed_networks:
        address = ipaddress.ip_address(ip_address) if ip_address else None
        if address is None or not any(
            address in ipaddress.ip_network(net) for net in token.allowed_networks
        ):
            raise TokenRefused("This API token may not be used from this address.")
    now = timezone.now()
    # A poller calls many times a minute; recording each use would make every read a write
    # (and a commit waiting for the disk). The last use is kept to the minute, and any
    # change of address at once.
    stale = token.last_used_at is None or now - token.last_used_at >= LAST_USED_PRECISION
    if stale or token.last_used_ip != ip_address:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now, last_used_ip=ip_address)
    return token
