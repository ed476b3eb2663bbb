"""A demo peer ISAC that needs no internet: this portal's own TAXII server, on loopback.

A real peer gives the ISAC an account on its TAXII server. Here the "peer" is the portal
itself, read with an API token of its member organisation Mirror ISAC (accounts/demo.py),
so the scheduled poll (beat's `peers-poll`) really runs and fills the peer's status page:
every object it brings is one members shared already, so it is recorded as already known
and the members' reports show "Also reported by peer Mirror ISAC".

Loopback is the portal's own host, which no ISAC admin may open from the portal: the
operator's FANOUT_ALLOWED_NETWORKS must allow 127.0.0.1 (scripts/demo sets it). Without
it the peer is not created and `seed_peer` says why.
"""

import dataclasses
import ipaddress
from dataclasses import dataclass

from accounts.models import Membership, User
from accounts.services.tokens import token_issue
from accounts.standing import is_in_good_standing
from sharing.fanout import netguard
from sharing.fanout.selectors import allowed_networks
from sharing.models import Peer
from sharing.peers.credentials import PeerSecrets
from sharing.peers.services import (
    PeerSettings,
    peer_collection_add,
    peer_create,
    peer_rule_set,
    peer_update,
)
from sharing.taxii.selectors import SHARED_WITH_ME_ID
from sharing.tlp import TLP

PEER_NAME = "Mirror ISAC"
LIAISON = "liaison@mirror-isac.example"
# Who files what the peer brings (by=None is the system acting).
CREATOR = "admin@isac.example"
POLL_MINUTES = 5
LOOPBACK = ipaddress.ip_address("127.0.0.1")


@dataclass(frozen=True)
class DemoPeer:
    peer: Peer | None
    problem: str = ""  # why there is no peer


def api_root(port: int) -> str:
    return f"http://127.0.0.1:{port}/taxii2/portal/"


def seed_peer(*, port: int) -> DemoPeer:
    """Create the loopback peer (or point it at `port` again); returns it, or why not."""
    problem = netguard.address_problem(LOOPBACK, allowed=allowed_networks())
    if problem:
        return DemoPeer(
            None,
            f"{problem}: set FANOUT_ALLOWED_NETWORKS=127.0.0.1/32 (scripts/demo does) and "
            "run seed_demo again to add the demo peer.",
        )
    existing = Peer.objects.filter(name=PEER_NAME).first()
    if existing is not None:
        if existing.api_root_url != api_root(port):
            values = {
                f.name: getattr(existing, f.name)
                for f in dataclasses.fields(PeerSettings)
                if f.name != "push_sectors"
            }
            values |= {
                "api_root_url": api_root(port),
                "push_sectors": list(existing.push_sectors.all()),
            }
            existing = peer_update(peer=existing, settings=PeerSettings(**values), by=None)
        return DemoPeer(existing)
    liaison = (
        Membership.objects.select_related("organisation", "user")
        .filter(user__email__iexact=LIAISON, is_active=True)
        .first()
    )
    creator = User.objects.filter(email__iexact=CREATOR).first()
    if liaison is None or creator is None or not is_in_good_standing(liaison.organisation):
        return DemoPeer(None, f"{LIAISON} cannot read this portal yet.")
    _, token = token_issue(
        membership=liaison, name="Read by the demo peer Mirror ISAC", by=None, read_only=True
    )
    peer = peer_create(
        settings=PeerSettings(
            name=PEER_NAME,
            api_root_url=api_root(port),
            auth="bearer",
            poll_minutes=POLL_MINUTES,
        ),
        secrets=PeerSecrets(token=token),
        by=None,
        creator=creator,
    )
    peer_collection_add(
        peer=peer, collection_id=str(SHARED_WITH_ME_ID), title="Shared with me", by=None
    )
    # What the liaison reads is for the whole membership: accepted for it again.
    for tlp in (TLP.CLEAR, TLP.GREEN):
        peer_rule_set(peer=peer, tlp=tlp, everyone=True, by=None)
    return DemoPeer(peer)
