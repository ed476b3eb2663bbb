"""What an organisation may register on its watch list, normalised, with clear refusals.

Pure functions, no database: `clean_asset` returns the stored value (and CPE) or raises
`ValidationError` saying what is wrong and what would be right.
"""

import ipaddress
import re

from django.core.exceptions import ValidationError

from sharing.alerts.matching import AssetKind, split_host
from sharing.alerts.products import parse_cpe

# Wider ranges than these would alert an organisation about a good part of the Internet.
WIDEST_PREFIX = {4: 8, 6: 19}
MIN_BRAND_LENGTH = 3
_LABEL_RE = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")


def clean_domain(value: str) -> str:
    text = value.strip().lower().rstrip(".")
    if "://" in text or "/" in text or "@" in text:
        raise ValidationError(
            f"{value!r} is not a domain name: give the name only, such as example.com "
            "(no scheme, path or address)."
        )
    if text.startswith("*."):
        text = text[2:]  # subdomains are always included
    try:
        ascii_name = text.encode("idna").decode("ascii") if text else ""
    except UnicodeError:
        raise ValidationError(f"{value!r} is not a valid domain name.") from None
    labels = ascii_name.split(".")
    if len(labels) < 2 or not all(_LABEL_RE.match(label) for label in labels):
        raise ValidationError(f"{value!r} is not a domain name such as example.com.")
    found, suffix = split_host(ascii_name)
    if len(found) <= suffix:
        raise ValidationError(
            f"{value!r} is a public suffix (like co.uk): register your own domain under it."
        )
    return ascii_name


def clean_network(value: str) -> str:
    text = value.strip()
    try:
        network = ipaddress.ip_network(text, strict=False)
    except ValueError:
        raise ValidationError(
            f"{value!r} is not an IP address or range: use CIDR notation such as "
            "203.0.113.0/24 or 2001:db8::/32."
        ) from None
    try:
        ipaddress.ip_network(text, strict=True)
    except ValueError:
        raise ValidationError(
            f"{value!r} has host bits set: did you mean {network.with_prefixlen}?"
        ) from None
    widest = WIDEST_PREFIX[network.version]
    if network.prefixlen < widest:
        raise ValidationError(
            f"{network.with_prefixlen} is wider than /{widest}: register the ranges your "
            "organisation actually holds."
        )
    if network.is_loopback or network.is_unspecified or network.is_multicast:
        raise ValidationError(f"{network.with_prefixlen} is not a range anyone can attack.")
    return network.with_prefixlen


def clean_asn(value: str) -> str:
    digits = re.sub(r"^\s*(?:ASN?)\s*[:#]?\s*", "", value.strip().upper())
    if not digits.isdigit() or not 0 < int(digits) < 2**32:
        raise ValidationError(f"{value!r} is not an AS number such as AS64500.")
    return f"AS{int(digits)}"


def clean_brand(value: str) -> str:
    text = " ".join(value.split())
    if len(text) < MIN_BRAND_LENGTH:
        raise ValidationError(
            f"A brand name of fewer than {MIN_BRAND_LENGTH} characters would match almost "
            "every report."
        )
    if len(text) > 100:
        raise ValidationError("A brand name is at most 100 characters.")
    return text


def clean_product(value: str, cpe: str) -> tuple[str, str]:
    text = " ".join(value.split())
    cpe_text = cpe.strip()
    parsed = parse_cpe(cpe_text) if cpe_text else None
    if cpe_text and parsed is None:
        raise ValidationError(
            f"{cpe!r} is not a CPE name: use the CPE 2.3 form, such as "
            "cpe:2.3:o:fortinet:fortios:*:*:*:*:*:*:*:* (vendor and product are required)."
        )
    if not text and parsed is not None:
        text = f"{parsed.vendor} {parsed.product}".replace("_", " ")
    if len(text) < 4:
        raise ValidationError(
            "Name the product (at least 4 characters, such as 'Fortinet FortiOS') or give its CPE."
        )
    return text[:255], cpe_text


def clean_asset(kind: str, value: str, cpe: str = "") -> tuple[str, str]:
    """The value (and CPE) to store for a watch-list entry of this kind."""
    try:
        asset_kind = AssetKind(kind)
    except ValueError:
        raise ValidationError(f"Unknown kind of entry: {kind!r}.") from None
    if asset_kind != AssetKind.PRODUCT and cpe.strip():
        raise ValidationError("Only products have a CPE.")
    match asset_kind:
        case AssetKind.DOMAIN:
            return clean_domain(value), ""
        case AssetKind.NETWORK:
            return clean_network(value), ""
        case AssetKind.ASN:
            return clean_asn(value), ""
        case AssetKind.BRAND:
            return clean_brand(value), ""
        case AssetKind.PRODUCT:
            return clean_product(value, cpe)
