"""Pulling a MISP peer's MISP feed: each new or changed event becomes a report from the peer.

MISP's own feed fetcher is followed: read `manifest.json` (conditionally, with the ETag of
the last manifest read completely), then fetch `<uuid>.json` for each event the portal has
not imported at the manifest's `timestamp` or later. One event is fetched, converted
(`sharing.misp.convert`) and stored at a time, each in its own transaction with its record
rows, so memory holds one event and a pull that fails or a worker that dies resumes with
the first event not stored; an event version recorded is never fetched again.

The event goes through the TAXII pull's import (`sharing.peers.pull.import_objects`):
labels, the peer's rules, duplicates of members' reports, warning lists, publication and
announcement are the same; a newer timestamp makes the next version of its report.
"""

import logging
from collections.abc import Iterator

from django.conf import settings
from django.db import transaction
from django.db.models import Max

from sharing.fanout.selectors import allowed_networks
from sharing.misp.client import ManifestEntry, MispEventInvalid, MispFeedClient, MispFeedError
from sharing.misp.convert import event_modified, event_objects, event_report_id
from sharing.models import Peer, PeerExchange
from sharing.peers.credentials import peer_credentials, peer_headers
from sharing.peers.pull import PullResult, import_objects

logger = logging.getLogger(__name__)

# Manifest entries checked against the record in one query.
_BATCH = 1000


def misp_feed_client(peer: Peer) -> MispFeedClient:
    """A client for the peer's MISP feed (the caller closes it)."""
    try:
        headers = peer_headers(peer)
    except ValueError as error:
        raise MispFeedError(str(error), permanent=True) from None
    return MispFeedClient(
        feed_url=peer.feed_url,
        credentials=peer_credentials(peer),
        headers=headers,
        allowed=allowed_networks(),
        timeout=settings.PEERS_TIMEOUT_SECONDS,
    )


def misp_feed_pull(*, peer: Peer, client: MispFeedClient | None, result: PullResult) -> None:
    """Import every event of the feed that is new or changed since it was last imported.
    The manifest's ETag is kept only once every event it lists is stored."""
    own = client is None
    client = client or misp_feed_client(peer)
    try:
        manifest = client.manifest(etag=peer.feed_etag)
        if manifest is None:
            return  # unchanged since the last complete read
        for entry in _wanted(peer, manifest.entries):
            try:
                document = client.event(entry.uuid)
                with transaction.atomic():
                    _import_event(peer, entry, document, result)
            except MispEventInvalid as invalid:
                _record_invalid(peer, entry, str(invalid), result)
            result.pages += 1
        Peer.objects.filter(pk=peer.pk).update(feed_etag=manifest.etag)
    finally:
        if own:
            client.close()


def _wanted(peer: Peer, entries: list[ManifestEntry]) -> Iterator[ManifestEntry]:
    """The entries whose version (or a later one) the record does not hold, oldest first."""
    for start in range(0, len(entries), _BATCH):
        batch = entries[start : start + _BATCH]
        ids = {event_report_id(entry.uuid): entry for entry in batch}
        newest = dict(
            PeerExchange.objects.filter(
                peer=peer, direction=PeerExchange.Direction.PULL, stix_id__in=ids
            )
            .values_list("stix_id")
            .annotate(newest=Max("modified"))
            .order_by()
        )
        for stix_id, entry in ids.items():
            # STIX timestamps of one width compare as text in time order.
            if newest.get(stix_id, "") < event_modified(entry.timestamp):
                yield entry


def _record_invalid(peer: Peer, entry: ManifestEntry, reason: str, result: PullResult) -> None:
    """The event file is not a MISP event: recorded at its manifest version, so it is not
    fetched again until the peer changes it."""
    PeerExchange.objects.bulk_create(
        [
            PeerExchange(
                peer=peer,
                direction=PeerExchange.Direction.PULL,
                collection_id=entry.uuid,
                stix_id=event_report_id(entry.uuid),
                modified=event_modified(entry.timestamp),
                type="report",
                outcome=PeerExchange.Outcome.INVALID,
                detail=reason[:300],
            )
        ],
        ignore_conflicts=True,
    )
    result.add(PeerExchange.Outcome.INVALID)


def _import_event(
    peer: Peer, entry: ManifestEntry, document: dict[str, object], result: PullResult
) -> None:
    event = document.get("Event")
    if not isinstance(event, dict) or str(event.get("uuid", "")).lower() != entry.uuid:
        raise MispEventInvalid(f"{entry.uuid}.json holds another event than the manifest lists.")
    try:
        converted = event_objects({"Event": event}, event_timestamp=entry.timestamp)
    except (TypeError, ValueError) as error:
        raise MispEventInvalid(f"{entry.uuid}.json cannot be read: {error}"[:300]) from None
    import_objects(
        peer=peer,
        collection_id=entry.uuid,
        objects=converted.objects,
        result=result,
        complete_reports=True,
    )
