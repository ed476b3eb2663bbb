"""Feeds: the built-in ones (everything, one per sector), curated feeds and personal filters."""

from collections.abc import Iterable, Sequence

from django.core.exceptions import ValidationError
from django.db import transaction

from accounts.audit import audit_record
from accounts.models import Membership, Sector, TrustGroup
from sharing.models import Feed, Report
from sharing.tlp import TLP


@transaction.atomic
def feeds_ensure_builtin() -> int:
    """Create the built-in feeds that are missing: "everything I can see" and one per sector."""
    created = 0
    if not Feed.objects.filter(kind=Feed.Kind.EVERYTHING).exists():
        Feed.objects.create(
            kind=Feed.Kind.EVERYTHING,
            name="Everything I can see",
            description="Every report shared with you, whatever its sector or type.",
        )
        created += 1
    covered = set(Feed.objects.filter(kind=Feed.Kind.SECTOR).values_list("sectors", flat=True))
    for sector in Sector.objects.exclude(pk__in=[pk for pk in covered if pk is not None]):
        feed = Feed.objects.create(
            kind=Feed.Kind.SECTOR,
            name=f"{sector.name} sector",
            description=f"Reports that affect the {sector.name} sector.",
        )
        feed.sectors.set([sector])
        created += 1
    return created


@transaction.atomic
def feed_create(
    *,
    name: str,
    by: Membership,
    description: str = "",
    sectors: Iterable[Sector] = (),
    report_types: Sequence[str] = (),
    min_confidence: int = 0,
    tlp_min: str = TLP.CLEAR,
    tlp_max: str = TLP.RED,
    source_organisation_id: int | None = None,
    trust_group: TrustGroup | None = None,
    personal: bool = True,
) -> Feed:
    """A curated feed (ISAC staff) or a personal filter (anyone, seen only by them)."""
    if not personal and not by.is_isac_staff:
        raise ValidationError("Only ISAC staff curate feeds for everyone.")
    low, high = TLP(tlp_min), TLP(tlp_max)
    if low.rank > high.rank:
        raise ValidationError("The narrowest TLP must not be wider than the widest.")
    if (
        trust_group is not None
        and not by.is_isac_staff
        and not trust_group.memberships.filter(organisation_id=by.organisation_id).exists()
        and trust_group.sector_id not in set(by.organisation.sectors.values_list("pk", flat=True))
    ):
        raise ValidationError("Choose a trust group your organisation belongs to.")
    unknown = set(report_types) - set(Report.Type.values)
    if unknown:
        raise ValidationError(f"Unknown report types: {', '.join(sorted(unknown))}.")
    feed = Feed.objects.create(
        name=name.strip(),
        description=description.strip(),
        kind=Feed.Kind.PERSONAL if personal else Feed.Kind.CURATED,
        owner=by if personal else None,
        report_types=sorted(set(report_types)),
        min_confidence=min_confidence,
        tlp_min=low,
        tlp_max=high,
        source_organisation_id=source_organisation_id,
        trust_group=trust_group,
    )
    feed.sectors.set(list(sectors))
    audit_record(
        action="feed.create",
        obj=feed,
        actor=by.user,
        actor_organisation=by.organisation,
        organisation=by.organisation,
        after={"name": feed.name, "kind": feed.kind},
    )
    return feed
