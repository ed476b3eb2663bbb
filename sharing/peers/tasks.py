"""Peer tasks: thin, by id. Beat runs `peers_poll` every PEERS_POLL_SECONDS."""

from celery import shared_task

from sharing.peers.pull import peer_pull, peers_due


@shared_task(ignore_result=True)
def peers_poll() -> int:
    """Queue a pull of every peer that is due; the claim keeps two pulls of one peer apart."""
    due = peers_due()
    for peer_id in due:
        peer_pull_task.delay(peer_id)
    return len(due)


@shared_task(acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def peer_pull_task(peer_id: int) -> int:
    return peer_pull(peer_id=peer_id).objects
