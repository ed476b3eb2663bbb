"""The kinds of indicator the portal knows, shared by extraction, storage and STIX."""

import enum


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
