"""An organisation's admins keep its watch list: what alerts are raised about."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from accounts.audit import audit_record
from accounts.models import Membership, Organisation
from accounts.policy import administers, is_member_org_admin
from sharing.alerts.validation import clean_asset
from sharing.models import WatchedAsset

# Entries one organisation may keep: enough for a large group, bounded for matching.
MAX_ASSETS_PER_ORGANISATION = 500


def _require_admin(by: Membership, organisation: Organisation) -> None:
    if not (is_member_org_admin(by) and administers(by, organisation.pk)):
        raise PermissionDenied("Only the organisation's admins keep its watch list.")


@transaction.atomic
def watched_asset_add(
    *,
    organisation: Organisation,
    kind: str,
    value: str,
    cpe: str = "",
    note: str = "",
    by: Membership,
) -> WatchedAsset:
    """Register a domain, IP range, ASN, brand name or product as the organisation's own."""
    _require_admin(by, organisation)
    clean_value, clean_cpe = clean_asset(kind, value, cpe)
    existing = WatchedAsset.objects.select_for_update().filter(organisation=organisation)
    if existing.filter(kind=kind, value=clean_value).exists():
        raise ValidationError(f"{clean_value} is already on your watch list.")
    if existing.count() >= MAX_ASSETS_PER_ORGANISATION:
        raise ValidationError(
            f"A watch list holds at most {MAX_ASSETS_PER_ORGANISATION} entries; remove some "
            "first or register wider ranges."
        )
    asset = WatchedAsset.objects.create(
        organisation=organisation,
        kind=kind,
        value=clean_value,
        cpe=clean_cpe,
        note=note.strip()[:200],
        created_by=by.user,
    )
    audit_record(
        action="watchlist.add",
        obj=asset,
        by=by,
        organisation=organisation,
        after={"kind": kind, "value": clean_value, "cpe": clean_cpe},
    )
    return asset


@transaction.atomic
def watched_asset_remove(*, asset: WatchedAsset, by: Membership) -> None:
    """Take an entry off the watch list; alerts already raised keep their reasons."""
    _require_admin(by, asset.organisation)
    audit_record(
        action="watchlist.remove",
        obj=asset,
        by=by,
        organisation=asset.organisation,
        before={"kind": asset.kind, "value": asset.value, "cpe": asset.cpe},
    )
    asset.delete()
