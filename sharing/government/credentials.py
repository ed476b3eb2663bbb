"""A partner's credentials: encrypted at rest like webhook secrets (sharing.fanout.secrets),
decrypted only to build a TAXII client."""

from sharing.fanout import selectors as fanout_selectors
from sharing.fanout.secrets import decrypt_secret
from sharing.models import Partner
from sharing.taxii.client import AuthKind, Credentials, TaxiiClient


def _plain(token: str) -> str:
    return decrypt_secret(token) if token else ""


def partner_credentials(partner: Partner) -> Credentials:
    return Credentials(
        kind=AuthKind(partner.auth_kind),
        username=partner.username,
        password=_plain(partner.password_encrypted),
        token=_plain(partner.token_encrypted),
        certificate_pem=partner.certificate_pem,
        key_pem=_plain(partner.key_encrypted),
        ca_certificate_pem=partner.ca_certificate_pem,
    )


def partner_client(partner: Partner, *, timeout: float) -> TaxiiClient:
    """A TAXII client for the partner, through the SSRF guard with the allow-list (the
    settings' FANOUT_ALLOWED_NETWORKS and the ranges ISAC admins allowed)."""
    return TaxiiClient(
        api_root=partner.api_root,
        credentials=partner_credentials(partner),
        allowed=fanout_selectors.allowed_networks(),
        timeout=timeout,
    )
