"""A peer's credentials: kept encrypted like webhook secrets, decrypted only to connect."""

import json
from dataclasses import asdict, dataclass

from sharing.fanout.secrets import decrypt_secret, encrypt_secret
from sharing.models import Peer
from sharing.taxii.client import AuthKind, Credentials


@dataclass(frozen=True, repr=False)
class PeerSecrets:
    """The secret parts of a peer's credentials (the user name is not secret)."""

    password: str = ""
    token: str = ""
    certificate_pem: str = ""
    key_pem: str = ""
    ca_certificate_pem: str = ""

    def __repr__(self) -> str:
        return "PeerSecrets(...)"

    def merged(self, previous: "PeerSecrets") -> "PeerSecrets":
        """These secrets, keeping the previous value of each left blank (a form that does
        not show stored secrets sends blanks for those it leaves alone)."""
        return PeerSecrets(
            **{name: value or getattr(previous, name) for name, value in asdict(self).items()}
        )


def encrypt_secrets(secrets: PeerSecrets) -> str:
    if not any(asdict(secrets).values()):
        return ""
    return encrypt_secret(json.dumps(asdict(secrets)))


def peer_secrets(peer: Peer) -> PeerSecrets:
    if not peer.secret_encrypted:
        return PeerSecrets()
    return PeerSecrets(**json.loads(decrypt_secret(peer.secret_encrypted)))


def peer_credentials(peer: Peer) -> Credentials:
    secrets = peer_secrets(peer)
    return Credentials(
        kind=AuthKind(peer.auth),
        username=peer.username,
        password=secrets.password,
        token=secrets.token,
        certificate_pem=secrets.certificate_pem,
        key_pem=secrets.key_pem,
        ca_certificate_pem=secrets.ca_certificate_pem,
    )
