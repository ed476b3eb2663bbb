"""Drafting in a real browser: the draft saves itself, a refused file keeps the text, and a
curator reviews and approves a report waiting for the ISAC."""

import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from accounts.models import User
from sharing.models import Report
from sharing.tlp import TLP
from tests.fixtures.browser import screenshot, sign_in
from tests.fixtures.reports import shared

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_draft_saves_itself_and_a_disguised_file_never_loses_the_text(
    page: Page, analyst_a: User, tmp_path: Path, settings: object
) -> None:
    settings.MEDIA_ROOT = tmp_path / "uploads"  # type: ignore[attr-defined]
    disguised = tmp_path / "invoice.pdf"
    disguised.write_bytes(b"MZ\x90\x00" + b"\x00" * 512)
    sign_in(page, "analyst@a.test")
    page.goto("/reports/new/")

    # when: the analyst types and pauses, the draft is saved on the server
    page.get_by_label("Title").fill("Half-finished note on a scanner")
    page.get_by_label("Body").fill("Seen from **two** ranges overnight.")
    expect(page.locator("[data-autosave-status]")).to_contain_text("Draft saved", timeout=15_000)
    expect(page).to_have_url(re.compile(r"/reports/[0-9a-f-]+/edit/$"))
    assert Report.objects.get().body_markdown == "Seen from **two** ranges overnight."

    # when: they attach an executable named .pdf
    page.get_by_label("Attachment").set_input_files(str(disguised))
    page.get_by_role("button", name="Save draft").click()

    # then: the file is refused in words and everything typed is still there
    expect(page.get_by_role("alert")).to_contain_text("cannot be attached")
    expect(page.get_by_label("Title")).to_have_value("Half-finished note on a scanner")
    expect(page.get_by_label("Body")).to_have_value("Seen from **two** ranges overnight.")
    screenshot(page, "report-draft-refused-file")
    assert not Report.objects.get().attachments.exists()


def test_curator_reviews_and_approves_a_report_waiting_for_the_isac(
    page: Page, analyst_a: User, isac_curator: User, settings: object
) -> None:
    settings.REPORT_REVIEW_REQUIRED = True  # type: ignore[attr-defined]
    report = shared(
        analyst_a,
        TLP.AMBER,
        title="Wiper staged on engineering workstations",
        body_markdown="A wiper was staged; our bid for the new control system may be delayed.",
        audience_everyone=True,
    )
    assert report.status == Report.Status.PENDING_REVIEW

    sign_in(page, "curator@isac.test")
    page.get_by_role("link", name="Curation").click()
    expect(
        page.get_by_role("link", name="Wiper staged on engineering workstations")
    ).to_be_visible()
    screenshot(page, "curation-queue")
    page.get_by_role("link", name="Wiper staged on engineering workstations").click()
    expect(page.locator(".review-checklist mark")).to_contain_text("bid for")
    screenshot(page, "curation-review")
    page.get_by_label("Message or reason").fill("Please remove the sentence about the bid.")
    page.get_by_role("button", name="Ask the author").click()
    expect(page.get_by_text("Question sent to the author.")).to_be_visible()
    page.get_by_role("button", name="Approve and publish").click()
    expect(page.get_by_text("Approved and published.")).to_be_visible()

    report.refresh_from_db()
    assert report.status == Report.Status.PUBLISHED
