"""CPE names and CVE ids: which products a report's vulnerabilities concern.

Pure functions, no database. A CPE 2.3 formatted string is
`cpe:2.3:part:vendor:product:version:...`; the URI form `cpe:/a:vendor:product:version`
is read too. An organisation's product is matched on vendor and product; a version is
compared only when both sides name one.
"""

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

CVE_RE = re.compile(r"\bCVE-\d{4}-\d{4,7}\b", re.IGNORECASE)
CPE_RE = re.compile(r"cpe:(?:2\.3:[aho\*]|/[aho])(?::[^\s\"'<>,;]*)+", re.IGNORECASE)
_ANY = {"*", "-", ""}


@dataclass(frozen=True)
class Cpe:
    part: str
    vendor: str
    product: str
    version: str

    @property
    def key(self) -> tuple[str, str]:
        return (self.vendor, self.product)

    def __str__(self) -> str:
        version = "" if self.version in _ANY else f" {self.version}"
        return f"{self.vendor}:{self.product}{version}"


def _unescape(field: str) -> str:
    return re.sub(r"\\(.)", r"\1", field).lower()


def parse_cpe(value: str) -> Cpe | None:
    """The CPE's part, vendor, product and version, or None when it is not a CPE name."""
    text = value.strip()
    lower = text.lower()
    if lower.startswith("cpe:2.3:"):
        fields = re.split(r"(?<!\\):", text[len("cpe:2.3:") :])
    elif lower.startswith("cpe:/"):
        fields = text[len("cpe:/") :].split(":")
    else:
        return None
    fields += [""] * (4 - len(fields))
    part, vendor, product, version = (_unescape(f) for f in fields[:4])
    if part not in {"a", "o", "h", "*"} or vendor in _ANY or product in _ANY:
        return None
    return Cpe(part=part, vendor=vendor, product=product, version=version)


def cpe_covers(registered: Cpe, published: Cpe) -> bool:
    """Whether a published CPE concerns the registered product (and version, if both say)."""
    if registered.key != published.key:
        return False
    if registered.version in _ANY or published.version in _ANY:
        return True
    return registered.version == published.version


def cves_in(text: str) -> Iterator[tuple[str, int]]:
    """CVE ids in the text, upper case, with their position."""
    for match in CVE_RE.finditer(text):
        yield match.group(0).upper(), match.start()


def cpes_in(text: str) -> list[Cpe]:
    return [cpe for m in CPE_RE.finditer(text) if (cpe := parse_cpe(m.group(0))) is not None]


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def stix_cve_products(objects: list[dict[str, Any]]) -> set[tuple[str, Cpe]]:
    """(CVE id, CPE) pairs a report's STIX objects state.

    A vulnerability object pairs its own CVE (its name or a `cve` external reference) with
    every CPE inside it (custom properties such as `x_cpes`, external references); a
    `software` object's `cpe` is paired with the CVEs of the vulnerabilities a relationship
    ties it to, or with every CVE of the report when nothing ties them.
    """
    by_id: dict[str, dict[str, Any]] = {o["id"]: o for o in objects if isinstance(o.get("id"), str)}
    cves_of: dict[str, set[str]] = {}
    pairs: set[tuple[str, Cpe]] = set()
    for obj in objects:
        if obj.get("type") != "vulnerability":
            continue
        cves = {cve for text in _strings(obj) for cve, _ in cves_in(text)}
        cves_of[obj.get("id", "")] = cves
        cpes = [cpe for text in _strings(obj) for cpe in cpes_in(text)]
        pairs |= {(cve, cpe) for cve in cves for cpe in cpes}
    every_cve = set().union(*cves_of.values()) if cves_of else set()
    linked: dict[str, set[str]] = {}
    for obj in objects:
        if obj.get("type") == "relationship":
            ends = (obj.get("source_ref", ""), obj.get("target_ref", ""))
            for this, other in (ends, ends[::-1]):
                if other in cves_of:
                    linked.setdefault(this, set()).update(cves_of[other])
    for obj in by_id.values():
        if obj.get("type") == "software" and isinstance(obj.get("cpe"), str):
            cpe = parse_cpe(obj["cpe"])
            if cpe is not None:
                for cve in linked.get(obj["id"], every_cve):
                    pairs.add((cve, cpe))
    return pairs
