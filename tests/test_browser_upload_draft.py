"""An upload's draft confirmed in a real browser keeps everything the upload brought: the
preview lists its indicators and objects, and the published page shows them."""

from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from accounts.models import Organisation, Sector, User
from sharing.models import Report, ReportIndicator
from sharing.normalize.services import submission_create
from tests.fixtures.browser import screenshot, sign_in
from tests.fixtures.normalize import sample_bytes

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("documentation_ranges_allowed"),
]


def test_author_confirms_an_uploaded_bundle_in_the_browser_and_nothing_is_lost(
    page: Page,
    analyst_a: User,
    org_a: Organisation,
    peer_b: User,
    energy: Sector,
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    # given: A's tooling uploaded a STIX 2.0 bundle, normalised into a draft
    with django_capture_on_commit_callbacks(execute=True):
        submission = submission_create(
            organisation=org_a,
            submitted_by=analyst_a,
            kind="stix",
            raw=sample_bytes("bundle-stix20.json"),
        )
    submission.refresh_from_db()
    report = submission.report
    assert report is not None
    uploaded = set(
        ReportIndicator.objects.filter(report=report).values_list("indicator__value", flat=True)
    )
    assert uploaded == {"45.9.148.203", "pipeline-telemetry-sync.net", "T1105"}

    # when: the author opens the draft, picks the energy sector and previews
    sign_in(page, "analyst@a.test")
    page.goto(f"/reports/{report.uuid}/edit/")
    page.locator("fieldset.audience").get_by_label("Energy").check()
    page.get_by_role("button", name="Preview before sharing").click()

    # then: the preview lists what recipients will receive, upload included
    card = page.locator("section[aria-labelledby=pv-ind]")
    expect(card).to_contain_text("Indicators recipients will receive (3)")
    for value in uploaded:
        expect(card).to_contain_text(value)
    expect(card).to_contain_text("from the upload")
    expect(page.get_by_text("GridLoader uses Ingress Tool Transfer")).to_be_visible()
    screenshot(page, "upload-draft-preview")

    # when: they confirm
    page.get_by_role("button", name="Confirm and share").click()
    expect(page.get_by_text("Shared. Recipients can read it now.")).to_be_visible()

    # then: the published report still carries the upload
    report.refresh_from_db()
    assert report.status == Report.Status.PUBLISHED
    assert uploaded <= set(
        ReportIndicator.objects.filter(report=report).values_list("indicator__value", flat=True)
    )
    page.goto(f"/reports/{report.uuid}/")
    for value in uploaded:
        expect(page.locator("section.indicators")).to_contain_text(value)
    expect(page.locator("section.threat-objects")).to_contain_text("GridLoader")
    screenshot(page, "upload-draft-published")
