"""Exports of a report (sharing.formats): what a member downloads, and who may."""

import csv
import io
from collections.abc import Callable
from typing import Any

import pytest
from django.urls import reverse

from accounts.models import User
from sharing.formats import FORMATS
from sharing.formats.csv import safe_cell
from sharing.models import Report
from sharing.tlp import TLP
from tests.fixtures.members import signed_in
from tests.fixtures.reports import shared

pytestmark = pytest.mark.django_db

IOC = "185.220.101.45"
EVIL = "login-portal-update.net"


@pytest.fixture
def share_processed(
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> Callable[..., Report]:
    def share(author: User, tlp: TLP, **fields: Any) -> Report:
        with django_capture_on_commit_callbacks(execute=True):
            report = shared(author, tlp, **fields)
        report.refresh_from_db()
        return report

    return share


def test_a_member_downloads_the_indicators_of_a_shared_report_as_csv(
    share_processed: Callable[..., Report], analyst_a: User, peer_b: User
) -> None:
    # given: a GREEN report whose text names an address and a defanged URL
    report = share_processed(analyst_a, TLP.GREEN, indicators_text=f"{IOC}\nhxxp://{EVIL}/x")

    # when: another member downloads its CSV from the report page's link
    page = signed_in(peer_b).get(reverse("report-detail", args=[report.uuid])).text
    response = signed_in(peer_b).get(reverse("report-csv", args=[report.uuid]))

    # then: one row per indicator, refanged, with the report's id and TLP
    assert reverse("report-csv", args=[report.uuid]) in page
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert response["Content-Disposition"].startswith("attachment;")
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    values = {row["value"] for row in rows}
    assert IOC in values
    assert f"http://{EVIL}/x" in values
    assert {row["report_id"] for row in rows} == {str(report.uuid)}
    assert {row["tlp"] for row in rows} == {TLP.GREEN}
    assert all(row["stix_id"] for row in rows)


def test_outsider_gets_404_for_every_export_of_an_amber_report(
    amber_for_b: Report, outsider_c: User
) -> None:
    for identifier in FORMATS:
        url = reverse(f"report-{identifier}", args=[amber_for_b.uuid])
        assert signed_in(outsider_c).get(url).status_code == 404, identifier


def test_a_csv_cell_that_a_spreadsheet_would_run_is_kept_as_text() -> None:
    assert safe_cell('=HYPERLINK("http://x")') == '\'=HYPERLINK("http://x")'
    assert safe_cell("+1") == "'+1"
    assert safe_cell("evil.example") == "evil.example"
