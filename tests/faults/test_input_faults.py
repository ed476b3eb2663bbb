"""Hostile and awkward input: every refusal is a clear answer in the caller's format, and
nothing reaches the database that it cannot store. Real PostgreSQL, Redis and worker."""

import codecs
import json
import time
from collections.abc import Callable
from typing import Any

import pytest
from django.db import transaction
from django.test import Client
from pytest_django.fixtures import Settings as SettingsWrapper

from accounts.models import Organisation, User
from sharing.models import ReportIndicator, Submission
from sharing.normalize.services import submission_create
from sharing.taxii.protocol import TAXII_MEDIA_TYPE
from tests.fixtures.taxii import IssueToken

pytestmark = pytest.mark.services

INBOX = "/taxii2/portal/collections/{}/objects/"


def settled(submission: Submission, timeout: float = 30.0) -> Submission:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        current = Submission.objects.defer("raw").get(pk=submission.pk)
        if current.status in (Submission.Status.NEEDS_REVIEW, Submission.Status.FAILED):
            return current
        time.sleep(0.1)
    raise AssertionError("the submission never settled")


@pytest.fixture
def submit_now(analyst_a: User, org_a: Organisation) -> Callable[..., Submission]:
    def submit(kind: str, raw: bytes) -> Submission:
        with transaction.atomic():
            submission = submission_create(
                organisation=org_a, submitted_by=analyst_a, kind=kind, raw=raw
            )
        return settled(submission)

    return submit


def taxii_post(client: Client, token: str, body: bytes) -> Any:
    from sharing.taxii.selectors import INBOX_ID

    return client.post(
        INBOX.format(INBOX_ID),
        body,
        content_type=TAXII_MEDIA_TYPE,
        HTTP_ACCEPT=TAXII_MEDIA_TYPE,
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )


# --- REST API body size -------------------------------------------------------------------


def test_api_accepts_a_raw_upload_far_above_the_form_limit_and_stores_it_as_sent(
    client: Client, analyst_a: User, issue_token: IssueToken, celery_broker_without_worker: None
) -> None:
    csv_text = b"type,value\n" + b"".join(
        f"domain,host-{n}.evil-example.net\n".encode() for n in range(150_000)
    )
    assert len(csv_text) > 4 * 1024 * 1024  # above Django's 2.5 MiB form limit

    response = client.post(
        "/api/v1/submissions/?kind=csv&filename=big.csv",
        csv_text,
        content_type="text/csv",
        HTTP_AUTHORIZATION=f"Bearer {issue_token(analyst_a)}",
    )

    assert response.status_code == 202, response.content[:300]
    submission = Submission.objects.get(uuid=response.json()["id"])
    assert bytes(submission.raw) == csv_text
    assert submission.filename == "big.csv"


def test_api_json_body_above_the_form_limit_is_accepted(
    client: Client, analyst_a: User, issue_token: IssueToken, celery_broker_without_worker: None
) -> None:
    text = "Phishing from evil-login.example.net\n" * 100_000
    response = client.post(
        "/api/v1/submissions/",
        json.dumps({"kind": "text", "content": text}),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {issue_token(analyst_a)}",
    )
    assert response.status_code == 202, response.content[:300]


def test_api_body_over_the_upload_limit_is_a_json_413_that_states_the_limit(
    client: Client, analyst_a: User, issue_token: IssueToken, settings: SettingsWrapper
) -> None:
    settings.NORMALIZE_MAX_UPLOAD_BYTES = 1024 * 1024
    token = issue_token(analyst_a)
    for body, content_type, url in (
        (b"x" * (1024 * 1024 + 1), "text/plain", "/api/v1/submissions/?kind=text"),
        (
            json.dumps({"kind": "text", "content": "x" * 2 * 1024 * 1024}).encode(),
            "application/json",
            "/api/v1/submissions/",
        ),
    ):
        response = client.post(
            url, body, content_type=content_type, HTTP_AUTHORIZATION=f"Bearer {token}"
        )
        assert response.status_code == 413
        assert response["Content-Type"] == "application/json"
        assert "1048576 bytes" in response.json()["detail"]
    assert not Submission.objects.exists()


def test_browser_post_over_the_form_limit_is_a_413_page_in_the_portals_layout(
    client: Client, analyst_a: User, settings: SettingsWrapper
) -> None:
    from tests.fixtures.members import signed_in

    browser = signed_in(analyst_a)
    response = browser.post(
        "/reports/new/", {"title": "t", "body": "x" * (6 * 1024 * 1024)}, follow=False
    )
    assert response.status_code == 413
    page = response.content.decode()
    assert "Request too large" in page
    assert 'class="topbar"' in page  # the portal's layout, not Django's bare page


# --- TAXII inbox ----------------------------------------------------------------------------


def test_taxii_inbox_refuses_100000_deep_nesting_with_a_taxii_error(
    client: Client, analyst_a: User, issue_token: IssueToken
) -> None:
    body = b'{"objects": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"
    response = taxii_post(client, issue_token(analyst_a), body)
    assert response.status_code in (400, 422)
    assert response["Content-Type"] == TAXII_MEDIA_TYPE
    error = response.json()
    assert error["http_status"] == str(response.status_code)
    assert "nested" in (error["title"] + error.get("description", ""))


@pytest.mark.parametrize(
    ("name", "expected"),
    [("\\ud800", "lone surrogate"), ("bad\\u0000name", "NUL character")],
)
def test_taxii_inbox_refuses_unstorable_text_naming_the_field(
    client: Client, analyst_a: User, issue_token: IssueToken, name: str, expected: str
) -> None:
    body = (
        '{"objects": [{"type": "indicator", "spec_version": "2.1", '
        '"id": "indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f", '
        f'"name": "{name}", "pattern": "[ipv4-addr:value = \'198.51.100.1\']"}}]}}'
    ).encode()
    response = taxii_post(client, issue_token(analyst_a), body)
    assert response.status_code == 422
    assert response["Content-Type"] == TAXII_MEDIA_TYPE
    assert "objects[0].name" in response.json()["description"]
    assert expected in response.json()["description"]
    assert not Submission.objects.exists()


# --- Normalisation of awkward files (real worker) -------------------------------------------


def test_nul_in_a_stix_field_fails_the_submission_naming_the_field(
    celery_worker: object, submit_now: Callable[..., Submission]
) -> None:
    bundle = {
        "type": "bundle",
        "id": "bundle--6c5bd7b5-4b8d-4d43-9d02-5e3c3a2ac111",
        "objects": [
            {
                "type": "report",
                "spec_version": "2.1",
                "id": "report--0a4c5f2b-4b8d-4d43-9d02-5e3c3a2ac111",
                "created": "2026-11-01T00:00:00.000Z",
                "modified": "2026-11-01T00:00:00.000Z",
                "name": "Campaign\u0000name",
                "published": "2026-11-01T00:00:00.000Z",
                "object_refs": ["report--0a4c5f2b-4b8d-4d43-9d02-5e3c3a2ac111"],
            }
        ],
    }
    submission = submit_now("stix", json.dumps(bundle).encode())
    assert submission.status == Submission.Status.FAILED
    assert "internal error" not in submission.error
    assert "1 object(s)" in submission.error
    assert submission.error_details[0]["field"] == "name"
    assert "NUL" in submission.error_details[0]["message"]


def test_nul_inside_text_is_stripped_and_the_text_normalised(
    celery_worker: object,
    submit_now: Callable[..., Submission],
    documentation_ranges_allowed: None,
) -> None:
    raw = b"Campaign notes\n" + b"a" * 70_000 + b"\nC2 at evil\x00-login.example.net\n"
    submission = submit_now("text", raw)
    assert submission.status == Submission.Status.NEEDS_REVIEW, submission.error
    values = set(
        ReportIndicator.objects.filter(report=submission.report).values_list(
            "indicator__value", flat=True
        )
    )
    assert "evil-login.example.net" in values


def test_csv_with_an_unterminated_quote_fails_with_its_line_number(
    celery_worker: object, submit_now: Callable[..., Submission]
) -> None:
    raw = (
        b"type,value,description\n"
        b"domain,ok.evil-example.net,fine\n"
        b'domain,bad.evil-example.net,"never closed\n' + b"more,text\n" * 20_000
    )
    submission = submit_now("csv", raw)
    assert submission.status == Submission.Status.FAILED
    assert "internal error" not in submission.error
    assert "Line 3" in submission.error
    assert submission.error_details[0]["line"] == 3


def test_utf16_text_is_read_as_text(
    celery_worker: object,
    submit_now: Callable[..., Submission],
    documentation_ranges_allowed: None,
) -> None:
    raw = codecs.BOM_UTF16_LE + "Beacon to evil-login.example.net\r\n".encode("utf-16-le")
    submission = submit_now("text", raw)
    assert submission.status == Submission.Status.NEEDS_REVIEW, submission.error
    assert ReportIndicator.objects.filter(
        report=submission.report, indicator__value="evil-login.example.net"
    ).exists()


def test_error_count_speaks_of_objects_not_problems(
    celery_worker: object, submit_now: Callable[..., Submission]
) -> None:
    bad = {
        "type": "indicator",
        "spec_version": "2.1",
        "id": "not-an-id",
        "pattern": "",
    }  # four problems: id, created, modified, pattern (and valid_from)
    submission = submit_now(
        "stix", json.dumps({"type": "bundle", "id": "bundle--x", "objects": [bad]}).encode()
    )
    assert submission.status == Submission.Status.FAILED
    assert len(submission.error_details) > 1
    assert submission.error.startswith("1 object(s)")


# --- A report whose text normalisation will refuse ------------------------------------------


def test_author_is_told_before_sharing_text_that_cannot_be_analysed_and_chooses(
    analyst_a: User,
) -> None:
    from sharing.models import Report
    from tests.fixtures.members import signed_in
    from tests.fixtures.reports import draft

    # given a draft whose body has a 200,000-character line (a pasted blob)
    report = draft(
        analyst_a,
        audience_everyone=True,
        body_markdown="C2 at evil-login.example.net\n\n" + "A" * 200_000,
    )
    browser = signed_in(analyst_a)

    # when the author previews it, then the preview says so before anything is shared
    preview = browser.get(f"/reports/{report.uuid}/preview/").content.decode()
    assert "The text cannot be analysed" in preview
    assert "200,000 characters long" in preview

    # and confirming without choosing shares nothing
    refused = browser.post(f"/reports/{report.uuid}/preview/", {})
    assert refused.status_code == 400
    assert "Share it without extracted indicators" in refused.content.decode()
    report.refresh_from_db()
    assert report.status == Report.Status.DRAFT

    # and choosing to share it anyway does
    shared = browser.post(f"/reports/{report.uuid}/preview/", {"confirm_unanalysed": "1"})
    assert shared.status_code == 302
    report.refresh_from_db()
    assert report.status == Report.Status.PUBLISHED


def test_binary_values_are_described_not_echoed_back(
    celery_worker: object, submit_now: Callable[..., Submission]
) -> None:
    submission = submit_now("csv", b"type,value\n\x01\x02\x1b[2J\x07ip,198.51.100.7\n")
    assert submission.status == Submission.Status.FAILED
    message = submission.error_details[0]["message"]
    assert "not printable text" in message
    assert "\\x1b" not in message
    assert "\x1b" not in message


def test_api_json_with_a_lone_surrogate_is_a_400_naming_the_field(
    client: Client, analyst_a: User, issue_token: IssueToken
) -> None:
    response = client.post(
        "/api/v1/submissions/",
        b'{"kind": "text", "content": "bad \\ud800 text"}',
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {issue_token(analyst_a)}",
    )
    assert response.status_code == 400
    assert "Surrogate characters are not allowed" in response.json()["content"][0]


@pytest.mark.django_db(transaction=True)
def test_browser_keeps_a_report_body_too_large_to_send(
    page: Any, analyst_a: User, settings: SettingsWrapper
) -> None:
    from playwright.sync_api import expect

    from tests.fixtures.browser import sign_in

    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1024 * 1024
    sign_in(page, "analyst@a.test")
    page.goto("/reports/new/")
    page.get_by_label("Title").fill("A very long paste")
    # 1.5 MB typed (set at once: typing it key by key would take minutes)
    body = page.locator("#id_body_markdown")
    body.evaluate("(el) => { el.value = 'x'.repeat(1536 * 1024); }")
    page.locator("button[name=save]").click()

    expect(page.locator("[data-too-large]")).to_contain_text("nothing you typed is lost")
    assert body.evaluate("(el) => el.value.length") == 1536 * 1024
    expect(page.get_by_label("Title")).to_have_value("A very long paste")


def test_a_bad_request_is_a_portal_page_or_json_or_a_taxii_error_by_path(db: None) -> None:
    client = Client(HTTP_HOST="not-this-portal.example")  # a Host the portal does not serve
    page = client.get("/reports/")
    api = client.get("/api/v1/reports/")
    taxii = client.get("/taxii2/", HTTP_ACCEPT=TAXII_MEDIA_TYPE)

    assert page.status_code == api.status_code == taxii.status_code == 400
    assert 'class="topbar"' in page.content.decode()
    assert api.json()["code"] == "bad_request"
    assert taxii["Content-Type"] == TAXII_MEDIA_TYPE
    assert taxii.json()["http_status"] == "400"
