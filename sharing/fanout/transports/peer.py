"""Peer ISACs: a report's STIX objects added to the peer's TAXII collection.

The delivery is re-checked at send time by the policy (the peer channel's TLP rule) and by
the peer's outbound gateway (highest TLP, sectors, report types, and never a report
received from a peer under more than TLP:CLEAR); the source is anonymised as the gateway
says. Every object sent is recorded per peer (`PeerExchange`).
"""

from typing import Any

from django.conf import settings
from django.utils import timezone

from sharing.fanout.transports.base import Outcome, SendContext, Transport, subscription_of
from sharing.formats.stix import report_bundle
from sharing.models import Delivery, Peer, PeerExchange, Subscription
from sharing.peers.credentials import peer_credentials
from sharing.peers.gateway import outbound_objects, push_problem
from sharing.policy import Channel
from sharing.stix.objects import timestamp
from sharing.taxii.client import TaxiiClient, TaxiiError
from sharing.tlp import TLP


def _objects(delivery: Delivery, context: SendContext) -> list[dict[str, Any]]:
    report = delivery.report
    key = (report.pk, report.version)
    if key not in context.bundles:
        context.bundles[key] = report_bundle(report)
    objects: list[dict[str, Any]] = list(context.bundles[key]["objects"])
    if delivery.event == Delivery.Event.WITHDRAWN:
        # The peer learns of a withdrawal as a revoked version of the report object.
        return [
            {**obj, "revoked": True, "modified": timestamp(timezone.now())}
            for obj in objects
            if obj.get("type") == "report"
        ]
    return objects


def _record(
    peer: Peer, delivery: Delivery, objects: list[dict[str, Any]], failed: dict[str, str]
) -> None:
    now = timezone.now()
    PeerExchange.objects.bulk_create(
        [
            PeerExchange(
                peer=peer,
                direction=PeerExchange.Direction.PUSH,
                collection_id=peer.push_collection_id[:200],
                stix_id=str(obj.get("id", ""))[:100],
                modified=str(obj.get("modified", ""))[:40],
                type=str(obj.get("type", ""))[:64],
                tlp=delivery.report.tlp,
                outcome=(
                    PeerExchange.Outcome.FAILED
                    if obj.get("id") in failed or "*" in failed
                    else PeerExchange.Outcome.SENT
                ),
                detail=(failed.get(str(obj.get("id"))) or failed.get("*") or "")[:300],
                report=delivery.report,
                at=now,
            )
            for obj in objects
        ]
    )


def _held_already(
    client: TaxiiClient, collection_id: str, objects: list[dict[str, Any]], refused: dict[str, str]
) -> set[str]:
    """Of the objects the peer refused, those it holds in exactly the version sent.

    Servers refuse an object version they have already (the ISAC's identity and the TLP
    marking go with every report; a retry resends what an earlier try may have stored):
    that is no failure, and it must not keep a delivery retrying.
    """
    sent = {str(obj["id"]): str(obj.get("modified", "")) for obj in objects if obj["id"] in refused}
    page = client.get_objects(
        collection_id, match={"id": sorted(sent), "version": "all"}, limit=len(sent) * 20
    )
    return {
        str(obj["id"])
        for obj in page.objects
        if str(obj.get("id")) in sent and str(obj.get("modified", "")) == sent[str(obj["id"])]
    }


class PeerTransport(Transport):
    kind = Subscription.ChannelKind.PEER

    def policy_channel(self, tlp: TLP) -> Channel:
        return Channel.PEER

    def refusal(self, delivery: Delivery) -> str | None:
        peer = subscription_of(delivery).peer
        if peer is None:
            return "The subscription names no peer."
        if delivery.event == Delivery.Event.WITHDRAWN:
            return None if peer.is_active else "The peer is turned off."
        return push_problem(report=delivery.report, peer=peer)

    def send(self, delivery: Delivery, context: SendContext) -> Outcome:
        peer = subscription_of(delivery).peer
        assert peer is not None  # refusal() checked it
        objects = outbound_objects(delivery.report, peer, _objects(delivery, context))
        try:
            with TaxiiClient(
                api_root=peer.api_root_url,
                credentials=peer_credentials(peer),
                allowed=context.allowed_networks,
                timeout=settings.PEERS_TIMEOUT_SECONDS,
            ) as client:
                status = client.add_objects(peer.push_collection_id, objects)
                failures = {
                    str(item.get("id")): str(item.get("message") or "refused")
                    for item in status.failures
                }
                if failures:
                    for held in _held_already(client, peer.push_collection_id, objects, failures):
                        del failures[held]
        except TaxiiError as error:
            _record(peer, delivery, objects, {"*": error.message})
            return Outcome(ok=False, status_code=error.status_code, error=error.message)
        _record(peer, delivery, objects, failures)
        if failures:
            return Outcome(
                ok=False, status_code=202, error=f"The peer refused {len(failures)} object(s)."
            )
        return Outcome(ok=True, status_code=202)
