from celery import shared_task

from accounts.groups_services import sector_communities_sync
from accounts.models import Sector


@shared_task(acks_late=True)
def sync_sector_communities(sector_ids: list[int] | None = None) -> int:
    """Standing changes with no event (an agreement expires); beat keeps communities current.
    With sector ids (after an organisation changed) only those communities are refreshed."""
    sectors = None if sector_ids is None else Sector.objects.filter(pk__in=sector_ids)
    return sector_communities_sync(sectors=sectors)
