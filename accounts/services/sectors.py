"""The editable list of sectors (seeded with the 16 US critical-infrastructure sectors)."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.text import slugify

from accounts.audit import audit_record
from accounts.models import Membership, Sector
from accounts.policy import require_isac_admin


@transaction.atomic
def sector_save(
    *,
    by: Membership | None,
    name: str,
    description: str = "",
    sector: Sector | None = None,
    ip_address: str | None = None,
) -> Sector:
    """Add a sector, or rename one (its slug, used in feeds and URLs, stays)."""
    require_isac_admin(by)
    name = name.strip()
    if not name:
        raise ValidationError("A sector needs a name.")
    clash = Sector.objects.filter(name__iexact=name)
    if sector is not None:
        clash = clash.exclude(pk=sector.pk)
    if clash.exists():
        raise ValidationError(f"A sector named “{name}” already exists.")
    if sector is None:
        slug = slugify(name)[:50]
        if not slug or Sector.objects.filter(slug=slug).exists():
            raise ValidationError(f"Choose another name: “{slug}” is taken or empty.")
        sector = Sector.objects.create(slug=slug, name=name, description=description.strip())
        audit_record(
            action="sector.create",
            obj=sector,
            by=by,
            ip_address=ip_address,
            after={"slug": slug, "name": name},
        )
        return sector
    before = {"name": sector.name, "description": sector.description}
    sector.name, sector.description = name, description.strip()
    sector.save(update_fields=["name", "description"])
    audit_record(
        action="sector.update",
        obj=sector,
        by=by,
        ip_address=ip_address,
        before=before,
        after={"name": sector.name, "description": sector.description},
    )
    return sector
