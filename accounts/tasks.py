from celery import shared_task

from accounts.groups_services import sector_communities_sync


@shared_task(acks_late=True)
def sync_sector_communities() -> int:
    """Standing changes with no event (an agreement expires); beat keeps communities current."""
    return sector_communities_sync()
