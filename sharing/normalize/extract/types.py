"""What extraction produces: indicator types and one found value."""

import enum
from dataclasses import dataclass


class IndicatorType(enum.StrEnum):
    IPV4 = "ipv4"
    IPV6 = "ipv6"
    CIDR = "cidr"
    DOMAIN = "domain"
    URL = "url"
    EMAIL = "email"
    MD5 = "md5"
    SHA1 = "sha1"
    SHA256 = "sha256"
    SHA512 = "sha512"
    CVE = "cve"
    ASN = "asn"
    ATTACK_TECHNIQUE = "attack-technique"
    CRYPTO_WALLET = "crypto-wallet"
    REGISTRY_KEY = "registry-key"
    MUTEX = "mutex"
    FILE_NAME = "file-name"
    USER_AGENT = "user-agent"
    JA3 = "ja3"
    JA4 = "ja4"


HASH_TYPES = frozenset(
    {IndicatorType.MD5, IndicatorType.SHA1, IndicatorType.SHA256, IndicatorType.SHA512}
)


@dataclass(frozen=True, slots=True)
class Extracted:
    """One indicator found in text: its type, normalised value and where it was.

    `derived_from` is set on values the text did not write on their own (the host of a URL,
    the domain of an attacker's address); `labels` carry what the analyst should know
    (`look-alike-domain`, `hosted-on-shared-service`, `derived` ...).
    """

    type: IndicatorType
    value: str
    start: int
    end: int
    original: str
    derived_from: str = ""
    labels: tuple[str, ...] = ()
