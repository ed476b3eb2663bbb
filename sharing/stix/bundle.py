"""The current STIX 2.1 bundle of a report, as fan-out puts it in webhook bodies."""

import uuid
from typing import Any

from django.utils import timezone

from sharing.models import Report, StixObject
from sharing.stix.markings import TLP2_MARKING_IDS, marking_definition
from sharing.tlp import TLP


def report_bundle(report: Report) -> dict[str, Any]:
    """The latest version of each object of `report`'s current STIX report object.

    Contains the source identity (the member, or the ISAC when the report is not attributed),
    the TLP 2.0 marking definition and everything the report object references. A report
    never normalised yet gets a bundle with its report object and source identity only.
    Valid under stix2-validator strict mode, except check 302 (hashes of the pages that
    external references link to: the portal cites advisories without fetching them). The
    caller decides who may receive it.
    """
    latest: dict[str, dict[str, Any]] = {}
    rows = (
        StixObject.objects.filter(report=report)
        .order_by("stix_id", "-modified", "-id")
        .values_list("stix_id", "data")
        .iterator(chunk_size=2000)
    )
    for stix_id, data in rows:
        latest.setdefault(stix_id, data)
    marking = marking_definition(TLP(report.tlp))
    report_object = latest.get(f"report--{report.uuid}")
    if report_object is None:
        identity, report_object = _bare_objects(report)
        objects = [marking, identity, report_object]
    else:
        objects = [marking]
        seen = {marking["id"]}
        for ref in [report_object["created_by_ref"], *report_object["object_refs"]]:
            obj = latest.get(ref)
            if obj is not None and ref not in seen:
                seen.add(ref)
                objects.append(obj)
        objects.append(report_object)
    return {"type": "bundle", "id": f"bundle--{uuid.uuid4()}", "objects": objects}


def _bare_objects(report: Report) -> tuple[dict[str, Any], dict[str, Any]]:
    from sharing.normalize.services import source_identity
    from sharing.stix.objects import timestamp

    now = timezone.now()
    identity = source_identity(report=report, anonymous=False, now=now)
    report_object = {
        "type": "report",
        "spec_version": "2.1",
        "id": f"report--{report.uuid}",
        "created_by_ref": identity["id"],
        "created": timestamp(report.created_at),
        "modified": timestamp(report.updated_at or now),
        "name": report.title,
        "report_types": ["threat-report"],
        "published": timestamp(report.published_at or report.created_at),
        "object_refs": [identity["id"]],
        "object_marking_refs": [TLP2_MARKING_IDS[TLP(report.tlp)]],
    }
    return identity, report_object
