"""A peer's credentials: kept encrypted like webhook secrets, decrypted only to connect."""

import json
import re
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
    # A MISP feed's request headers, one "Name: value" a line (MISP feeds are often
    # protected by a header such as Authorization or an API gateway's key).
    headers: str = ""

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


# A header name is an RFC 9110 token; these the client sets itself or must not be forged.
_HEADER_NAME = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,100}$")
_RESERVED_HEADERS = frozenset(
    {"host", "content-length", "transfer-encoding", "connection", "te", "upgrade", "trailer"}
)


def header_lines(text: str) -> dict[str, str]:
    """The request headers written one "Name: value" a line; ValueError says which line is
    wrong (in words for an admin, without repeating a value that may be secret)."""
    headers: dict[str, str] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        name, colon, value = line.partition(":")
        name, value = name.strip(), value.strip()
        if not colon or not _HEADER_NAME.match(name):
            raise ValueError(f'Header line {number} is not "Name: value".')
        if name.lower() in _RESERVED_HEADERS:
            raise ValueError(f"Header line {number}: the portal sets {name} itself.")
        if any(ord(char) < 32 or ord(char) == 127 for char in value):
            raise ValueError(f"Header line {number} has a control character in its value.")
        headers[name] = value
    return headers


def peer_headers(peer: Peer) -> dict[str, str]:
    """The request headers configured for the peer's MISP feed (checked when saved)."""
    return header_lines(peer_secrets(peer).headers)
