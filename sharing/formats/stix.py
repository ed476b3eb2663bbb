"""The current STIX 2.1 bundle of a report: the download, and what webhooks carry."""

import json
import uuid
from typing import Any

from django.utils import timezone

from sharing.formats.base import Export, ReportFormat
from sharing.models import Report, StixObject
from sharing.stix.markings import TLP2_MARKING_IDS, marking_definition
from sharing.stix.report import report_object, source_identity
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
    # Only objects of the current version: an earlier version's objects were shared under
    # its own label and audience (a revision analysed late falls back to the bare objects).
    rows = (
        StixObject.objects.filter(report=report, report_version=report.version)
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
    now = timezone.now()
    identity = source_identity(report=report, anonymous=False, now=now)
    return identity, report_object(
        report=report,
        identity_id=identity["id"],
        marking_id=TLP2_MARKING_IDS[TLP(report.tlp)],
        refs=[identity["id"]],
        created=report.created_at,
        modified=report.updated_at or now,
    )


class StixBundle(ReportFormat):
    identifier = "stix"
    label = "STIX 2.1"

    def export(self, report: Report, *, include_expired: bool = False) -> Export:
        # A bundle carries every object's newest version; a revoked indicator says so itself.
        return Export(
            content=json.dumps(report_bundle(report), indent=2).encode(),
            content_type="application/stix+json;version=2.1",
            filename=f"report-{report.uuid}.stix.json",
        )
