"""No orphans: every STIX object TAXII serves belongs to a report version the reader may read.

An upload confirmed in the browser, revised so that a value leaves its text, made anonymous
after it was drafted with the member's name, next to a report typed in the browser: walking
every served object (every version) back to a served report object finds its report, and
that report opens for the reader. Nothing names the member the report no longer names.
"""

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import Organisation, User
from sharing.models import Report
from sharing.normalize.services import submission_create
from sharing.services import ReportContent, report_revise, report_submit, report_update_draft
from sharing.taxii.protocol import TAXII_MEDIA_TYPE
from sharing.taxii.selectors import SHARED_WITH_ME_ID
from sharing.tlp import TLP
from tests.fixtures.members import acting, signed_in
from tests.fixtures.normalize import sample_bytes
from tests.fixtures.reports import shared
from tests.fixtures.taxii import IssueToken

pytestmark = pytest.mark.usefixtures("documentation_ranges_allowed")


def served_versions(token: str) -> list[dict[str, Any]]:
    """Every version of every object the shared collection serves, page by page."""
    client = Client()
    objects: list[dict[str, Any]] = []
    params: dict[str, Any] = {"match[version]": "all", "limit": 20}
    while True:
        page = client.get(
            f"/taxii2/portal/collections/{SHARED_WITH_ME_ID}/objects/",
            params,
            HTTP_ACCEPT=TAXII_MEDIA_TYPE,
            HTTP_AUTHORIZATION=f"Bearer {token}",
        ).json()
        objects += page.get("objects", [])
        if not page.get("more"):
            return objects
        params["next"] = page["next"]


def test_every_served_object_walks_back_to_a_readable_report(
    analyst_a: User,
    org_a: Organisation,
    peer_b: User,
    isac_org: Organisation,
    issue_token: IssueToken,
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    # given: A uploads a STIX 2.0 bundle under its own name, then drafts it anonymously
    with django_capture_on_commit_callbacks(execute=True):
        submission = submission_create(
            organisation=org_a,
            submitted_by=analyst_a,
            kind="stix",
            raw=sample_bytes("bundle-stix20.json"),
            anonymous=False,
        )
    submission.refresh_from_db()
    report = submission.report
    assert report is not None
    assert report.attributed
    content = ReportContent(
        title=report.title,
        summary=report.summary,
        body_markdown="A scanner at 45.83.12.9 came first.",
        tlp=TLP.GREEN,
        attributed=False,
        audience_everyone=True,
    )
    report_update_draft(report=report, by=acting(analyst_a), content=content)
    # when: it is published, then revised so that the scanner leaves the text
    with django_capture_on_commit_callbacks(execute=True):
        report_submit(report=report, by=acting(analyst_a))
    with django_capture_on_commit_callbacks(execute=True):
        report_revise(
            report=report,
            by=acting(analyst_a),
            content=ReportContent(**{**content.__dict__, "body_markdown": "No scanner after all."}),
            note="The scanner was ours",
        )
    # and B shares a report typed in the browser
    with django_capture_on_commit_callbacks(execute=True):
        typed = shared(peer_b, TLP.GREEN, indicators_text="evil-dropper.net")

    # then: walking every served version back to a report object finds a readable report
    served = served_versions(issue_token(peer_b))
    report_versions = [obj for obj in served if obj["type"] == "report"]
    referenced: set[str] = set()
    for report_object in report_versions:
        referenced |= {report_object["created_by_ref"], *report_object["object_refs"]}
        referenced |= set(report_object.get("object_marking_refs", []))
    orphans = [
        (obj["type"], obj["id"])
        for obj in served
        if obj["type"] != "report" and obj["id"] not in referenced
    ]
    assert not orphans
    reader = signed_in(peer_b)
    uuids = {obj["id"].removeprefix("report--") for obj in report_versions}
    assert uuids == {str(report.uuid), str(typed.uuid)}
    for uuid in uuids:
        assert reader.get(reverse("report-detail", args=[uuid])).status_code == 200
        assert Report.objects.get(uuid=uuid).revisions.exists()

    # the latest report object references every object of its report
    latest = max(
        (o for o in report_versions if o["id"] == f"report--{report.uuid}"),
        key=lambda o: o["modified"],
    )
    ids_of_report = {
        obj["id"]
        for obj in served
        if obj["id"] in latest["object_refs"] or obj["id"] == latest["created_by_ref"]
    }
    assert "malware--c4a44555-73fc-47df-8453-22a620dcb174" in ids_of_report
    # the scanner that left the text is revoked, not silently dropped
    scanner = [o for o in served if o["type"] == "indicator" and "45.83.12.9" in o["pattern"]]
    assert scanner
    assert max(scanner, key=lambda o: o["modified"]).get("revoked") is True
    # and nothing served names A, which the report no longer shows as its source
    assert f"identity--{org_a.uuid}" not in {obj["id"] for obj in served}
    assert all(
        obj.get("created_by_ref") in (None, f"identity--{isac_org.uuid}")
        for obj in served
        if obj["id"] in ids_of_report
    )
