"""Background work for members: invitation and reminder e-mails, the sweeps that make
sure none is lost, and the sector communities. Tasks take ids and call services."""

from celery import shared_task
from django.db import transaction

from accounts.models import Sector
from accounts.services import agreements, invitations, signin
from accounts.services.groups import sector_communities_sync
from portal.enqueue import enqueue_on_commit


@shared_task(acks_late=True, autoretry_for=(OSError,), retry_backoff=60, max_retries=8)
def send_invitation_email(invitation_id: int) -> bool:
    return invitations.invitation_send(invitation_id=invitation_id)


@shared_task(acks_late=True, autoretry_for=(OSError,), retry_backoff=60, max_retries=8)
def send_agreement_reminder_email(reminder_id: int) -> bool:
    return agreements.agreement_reminder_send(reminder_id=reminder_id)


@shared_task(acks_late=True, autoretry_for=(OSError,), retry_backoff=60, max_retries=8)
def send_agreement_published_emails(version_id: int) -> int:
    return agreements.agreement_version_announce(version_id=version_id)


@shared_task(acks_late=True, autoretry_for=(OSError,), retry_backoff=60, max_retries=3)
def send_password_reset_email(user_id: int) -> bool:
    return signin.password_reset_send(user_id=user_id)


@shared_task(acks_late=True)
def agreement_reminders_sweep() -> int:
    """Beat: plan reminders 30 and 7 days before acceptances expire and queue their e-mails."""
    with transaction.atomic():
        due = agreements.agreement_reminders_plan()
        for reminder_id in due:
            enqueue_on_commit("accounts.tasks.send_agreement_reminder_email", reminder_id)
    return len(due)


@shared_task(acks_late=True)
def invitations_sweep() -> int:
    """Beat: queue again the invitation e-mails a lost task or a failed send left unsent."""
    unsent = invitations.invitations_unsent()
    for invitation_id in unsent:
        send_invitation_email.delay(invitation_id)
    return len(unsent)


@shared_task(acks_late=True)
def sync_sector_communities(sector_ids: list[int] | None = None) -> int:
    """Standing changes with no event (an agreement expires); beat keeps communities current.
    With sector ids (after an organisation changed) only those communities are refreshed."""
    sectors = None if sector_ids is None else Sector.objects.filter(pk__in=sector_ids)
    return sector_communities_sync(sectors=sectors)
