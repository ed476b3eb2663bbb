"""A peer's credentials: kept encrypted like webhook secrets, decrypted only to connect."""

from sharing.fanout.secrets import decrypt_secret
from sharing.models import Peer
from sharing.taxii.client import Credentials


def peer_credentials(peer: Peer) -> Credentials:
    secret = decrypt_secret(peer.secret_encrypted) if peer.secret_encrypted else ""
    return Credentials(kind=peer.auth, username=peer.username, secret=secret)
