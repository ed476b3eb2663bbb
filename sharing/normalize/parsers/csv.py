"""CSV of indicators with the documented header: type, value, first_seen, last_seen,
confidence, description, tlp. Only `type` and `value` are required; column order is free.
"""

import csv
import io
from collections.abc import Iterator
from datetime import datetime
from typing import Any

from sharing.normalize.extract import IndicatorType, normalise
from sharing.normalize.parsers import NormalisationError, Parsed, ParsedIndicator, quoted
from sharing.stix.markings import tlp_from_name
from sharing.stix.objects import parse_timestamp

COLUMNS = ("type", "value", "first_seen", "last_seen", "confidence", "description", "tlp")

# Names other tools use for the same types (MISP attribute types, common exports).
TYPE_ALIASES: dict[str, IndicatorType] = {
    **{kind.value: kind for kind in IndicatorType},
    "ip": IndicatorType.IPV4,
    "ip-dst": IndicatorType.IPV4,
    "ip-src": IndicatorType.IPV4,
    "ipv4-addr": IndicatorType.IPV4,
    "ipv6-addr": IndicatorType.IPV6,
    "network": IndicatorType.CIDR,
    "hostname": IndicatorType.DOMAIN,
    "domain-name": IndicatorType.DOMAIN,
    "fqdn": IndicatorType.DOMAIN,
    "uri": IndicatorType.URL,
    "link": IndicatorType.URL,
    "email-addr": IndicatorType.EMAIL,
    "email-src": IndicatorType.EMAIL,
    "email-dst": IndicatorType.EMAIL,
    "sha-1": IndicatorType.SHA1,
    "sha-256": IndicatorType.SHA256,
    "sha-512": IndicatorType.SHA512,
    "vulnerability": IndicatorType.CVE,
    "as": IndicatorType.ASN,
    "technique": IndicatorType.ATTACK_TECHNIQUE,
    "mitre-attack": IndicatorType.ATTACK_TECHNIQUE,
    "btc": IndicatorType.CRYPTO_WALLET,
    "xmr": IndicatorType.CRYPTO_WALLET,
    "cryptocurrency-wallet": IndicatorType.CRYPTO_WALLET,
    "regkey": IndicatorType.REGISTRY_KEY,
    "windows-registry-key": IndicatorType.REGISTRY_KEY,
    "filename": IndicatorType.FILE_NAME,
    "ja3-fingerprint-md5": IndicatorType.JA3,
    "ja4-fingerprint": IndicatorType.JA4,
}
MAX_ERRORS = 50


def _type_of(raw_type: str) -> IndicatorType | None:
    return TYPE_ALIASES.get(raw_type.strip().lower())


def value_as(kind: IndicatorType, raw_value: str) -> str | None:
    """`raw_value` normalised as `kind`; an IPv6 address listed as "ip" is accepted too."""
    value = normalise(kind, raw_value)
    if value is None and kind == IndicatorType.IPV4:
        value = normalise(IndicatorType.IPV6, raw_value)
    return value


def _timestamp(raw: str) -> datetime | None:
    return parse_timestamp(raw) if raw.strip() else None


def _rows_with_lines(reader: "csv.DictReader[str]") -> Iterator[tuple[dict[str, Any], int]]:
    """Each row with the line it ends on; a row the csv module cannot read (a quote never
    closed) fails with the line the row starts on."""
    starts = reader.line_num + 1
    rows = iter(reader)
    while True:
        try:
            row = next(rows)
        except StopIteration:
            return
        except csv.Error as exc:
            raise NormalisationError(
                f"Line {starts} of the CSV cannot be read: a quoted field that starts there is "
                "never closed, or a field is far too long. Nothing was imported.",
                [{"line": starts, "message": str(exc)[:200]}],
            ) from None
        yield row, reader.line_num
        starts = reader.line_num + 1


def parse_csv(text: str) -> Parsed:
    reader = csv.DictReader(io.StringIO(text))
    try:
        header = [name.strip().lower() for name in reader.fieldnames or []]
    except csv.Error as exc:
        raise NormalisationError(
            "Line 1 of the CSV (the header) cannot be read: a quoted field is never closed.",
            [{"line": 1, "field": "header", "message": str(exc)[:200]}],
        ) from None
    if "type" not in header or "value" not in header:
        raise NormalisationError(
            "The CSV needs a header line with at least the columns type and value "
            f"(documented columns: {', '.join(COLUMNS)}).",
            [{"line": 1, "field": "header", "message": f"found: {', '.join(header) or 'none'}"}],
        )
    reader.fieldnames = header
    parsed = Parsed()
    errors: list[dict[str, Any]] = []

    def fail(line: int, field: str, message: str) -> None:
        errors.append({"line": line, "field": field, "message": message})

    for row, line in _rows_with_lines(reader):
        if not any((cell or "").strip() for cell in row.values() if isinstance(cell, str)):
            continue
        raw_type = (row.get("type") or "").strip()
        raw_value = (row.get("value") or "").strip()
        kind = _type_of(raw_type)
        if kind is None:
            fail(line, "type", f"unknown indicator type {quoted(raw_type)}")
            continue
        if not raw_value:
            fail(line, "value", "the value is empty")
            continue
        value = value_as(kind, raw_value)
        if value is None:
            fail(line, "value", f"{quoted(raw_value)} is not a valid {kind.value} value")
            continue
        if ":" in value and kind == IndicatorType.IPV4:
            kind = IndicatorType.IPV6
        try:
            first_seen = _timestamp(row.get("first_seen") or "")
            last_seen = _timestamp(row.get("last_seen") or "")
        except ValueError:
            fail(line, "first_seen/last_seen", "dates must look like 2026-11-20T09:00:00Z")
            continue
        if first_seen and last_seen and last_seen < first_seen:
            fail(line, "last_seen", "last_seen is before first_seen")
            continue
        confidence = None
        raw_confidence = (row.get("confidence") or "").strip()
        if raw_confidence:
            if not raw_confidence.isdigit() or int(raw_confidence) > 100:
                fail(line, "confidence", "confidence must be a whole number from 0 to 100")
                continue
            confidence = int(raw_confidence)
        parsed.indicators.append(
            ParsedIndicator(
                type=kind,
                value=value,
                first_seen=first_seen,
                last_seen=last_seen,
                confidence=confidence,
                description=(row.get("description") or "").strip()[:2000],
            )
        )
        raw_tlp = (row.get("tlp") or "").strip()
        if raw_tlp:
            if tlp_from_name(raw_tlp) is None:
                fail(line, "tlp", f"{raw_tlp[:30]!r} is not a TLP label (clear, green, amber ...)")
                continue
            # The narrowest marking of any row becomes the upload's.
            parsed.tlp_names.append(raw_tlp)
        if len(errors) >= MAX_ERRORS:
            break
    if errors:
        raise NormalisationError(
            f"{len(errors)} row(s) of the CSV are not valid; nothing was imported. "
            "Correct them and submit again.",
            errors,
        )
    if not parsed.indicators:
        raise NormalisationError("The CSV has a header but no indicators.")
    return parsed
