"""A report's current STIX 2.1 bundle.

Minimal stand-in for the normalisation pipeline's builder (which also carries the report's
indicators and observables from its StixObject rows); it keeps the same signature.
"""

from typing import Any

import stix2

from sharing.models import Report

# TLP 2.0 marking-definition ids published by OASIS (STIX 2.1 TLP extension).
_TLP_MARKINGS = {
    "clear": "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487",
    "green": "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb",
    "amber": "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421",
    "amber+strict": "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003",
    "red": "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1",
}


def report_bundle(report: Report) -> dict[str, Any]:
    published = report.published_at or report.created_at
    sdo = stix2.v21.Report(
        id=f"report--{report.uuid}",
        name=report.title,
        description=report.summary,
        report_types=["threat-report"],
        published=published,
        created=report.created_at,
        modified=report.updated_at if report.updated_at >= report.created_at else report.created_at,
        object_refs=[f"report--{report.uuid}"],
        object_marking_refs=[_TLP_MARKINGS[report.tlp]],
        confidence=report.confidence,
        allow_custom=True,
    )
    import json

    return {
        "type": "bundle",
        "id": f"bundle--{report.uuid}",
        "objects": [json.loads(sdo.serialize())],
    }
