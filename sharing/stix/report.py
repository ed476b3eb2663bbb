"""The STIX 2.1 `report` object of a portal report, and the identity shown as its source.

Normalisation stores these; a bundle of a report never normalised builds them the same
way. This is the one place either is written.
"""

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from accounts.models import Organisation
from sharing.models import Report
from sharing.stix.objects import deterministic_id, identity_object, timestamp


def source_identity(*, report: Report, now: datetime, anonymous: bool = False) -> dict[str, Any]:
    """The identity shown as source: the member when the report is attributed, otherwise
    the ISAC. Decided by the report alone, so every object of one report names one source."""
    if report.attributed and not anonymous:
        org = report.organisation
        return identity_object(
            identity_id=f"identity--{org.uuid}", name=org.name, created=timestamp(org.created_at)
        )
    isac = Organisation.objects.filter(is_isac=True).first()
    if isac is not None:
        return identity_object(
            identity_id=f"identity--{isac.uuid}", name=isac.name, created=timestamp(isac.created_at)
        )
    return identity_object(
        identity_id=deterministic_id("identity", "isac"), name="ISAC", created=timestamp(now)
    )


def report_object(
    *,
    report: Report,
    identity_id: str,
    marking_id: str,
    refs: Sequence[str],
    created: datetime,
    modified: datetime,
    description: str = "",
    external_references: Sequence[dict[str, Any]] = (),
) -> dict[str, Any]:
    """The `report` SDO: it refers to every object of the report but marking definitions
    (to the source identity alone when there are none), and cites the advisories the text
    links to as external references."""
    obj: dict[str, Any] = {
        "type": "report",
        "spec_version": "2.1",
        "id": f"report--{report.uuid}",
        "created_by_ref": identity_id,
        "created": timestamp(created),
        "modified": timestamp(modified),
        "name": report.title,
        "report_types": ["threat-report"],
        "published": timestamp(report.published_at or report.created_at),
        "object_refs": [ref for ref in refs if not ref.startswith("marking-definition--")]
        or [identity_id],
        "object_marking_refs": [marking_id],
    }
    if description:
        obj["description"] = description
    if external_references:
        obj["external_references"] = list(external_references)
    return obj
