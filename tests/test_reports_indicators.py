"""Indicators on the report page: extracted by the pipeline, counted only over what I can see."""

from collections.abc import Callable
from typing import Any

import pytest
from django.urls import reverse

from accounts.models import Organisation, User
from sharing.models import Indicator, Report
from sharing.services import sighting_create
from sharing.tlp import TLP
from tests.fixtures.members import acting, signed_in
from tests.fixtures.reports import draft, shared

pytestmark = pytest.mark.django_db

IOC = "185.220.101.45"
EVIL = "login-portal-update.net"


@pytest.fixture
def share_processed(
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> Callable[..., Report]:
    """Share a report and let the normalisation task run, as it does after commit."""

    def share(author: User, tlp: TLP, **fields: Any) -> Report:
        with django_capture_on_commit_callbacks(execute=True):
            report = shared(author, tlp, **fields)
        report.refresh_from_db()
        return report

    return share


def test_the_report_page_lists_extracted_indicators_and_offers_stix(
    share_processed: Callable[..., Report], analyst_a: User, peer_b: User
) -> None:
    report = share_processed(analyst_a, TLP.GREEN, indicators_text=f"{IOC}\nhxxp://{EVIL}/x")

    page = signed_in(peer_b).get(reverse("report-detail", args=[report.uuid])).text
    stix = signed_in(peer_b).get(reverse("report-stix", args=[report.uuid]))

    assert IOC in page
    assert EVIL in page
    assert stix.status_code == 200
    assert stix["Content-Disposition"].startswith("attachment;")
    assert stix.json()["type"] == "bundle"


def test_also_reported_by_counts_only_reports_i_can_see(
    share_processed: Callable[..., Report],
    analyst_a: User,
    peer_b: User,
    outsider_c: User,
    org_b: Organisation,
) -> None:
    mine = share_processed(analyst_a, TLP.GREEN, indicators_text=IOC)
    # C reports the same value, once to everyone and once in AMBER to A only.
    share_processed(outsider_c, TLP.AMBER, indicators_text=IOC, audience_organisations=[org_b])
    client_a = signed_in(analyst_a)

    page_a = client_a.get(reverse("report-detail", args=[mine.uuid])).text
    page_b = signed_in(peer_b).get(reverse("report-detail", args=[mine.uuid])).text

    assert "<td>0 orgs</td>" in page_a
    assert "<td>1 org</td>" in page_b


def test_a_sighting_can_name_one_indicator_of_the_report(
    share_processed: Callable[..., Report], analyst_a: User, peer_b: User
) -> None:
    report = share_processed(analyst_a, TLP.GREEN, indicators_text=IOC)
    indicator = Indicator.objects.get(value=IOC)

    response = signed_in(peer_b).post(
        reverse("report-sighting", args=[report.uuid]), {"indicator": indicator.pk}
    )

    assert response.status_code == 302
    assert report.sightings.get().indicator == indicator


def test_personal_data_flagged_in_the_preview_is_redacted_when_shared(
    analyst_a: User, org_a: Organisation
) -> None:
    report = draft(
        analyst_a,
        TLP.GREEN,
        audience_everyone=True,
        body_markdown="The phish reached jane.doe@a.test and came from 203.0.113.5.",
    )
    client = signed_in(analyst_a)

    preview = client.get(reverse("report-preview", args=[report.uuid])).text
    client.post(reverse("report-preview", args=[report.uuid]))

    report.refresh_from_db()
    assert "jane.doe@a.test" in preview
    assert "Personal data removed before sharing" in preview
    assert report.status == Report.Status.PUBLISHED
    assert "jane.doe@a.test" not in report.body_markdown
    assert "203.0.113.5" in report.body_markdown


def test_sensitive_wording_is_shown_in_the_preview_and_must_be_confirmed(
    analyst_a: User,
) -> None:
    report = draft(
        analyst_a,
        TLP.GREEN,
        audience_everyone=True,
        body_markdown="They phished staff working on our bid for the substation tender.",
    )
    client = signed_in(analyst_a)

    refused = client.post(reverse("report-preview", args=[report.uuid]))
    confirmed = client.post(
        reverse("report-preview", args=[report.uuid]), {"confirm_sensitive": "1"}
    )

    assert refused.status_code == 400
    assert "<mark>" in refused.text
    assert confirmed.status_code == 302
    report.refresh_from_db()
    assert report.status == Report.Status.PUBLISHED


def test_preview_names_the_antitrust_category_and_says_why(analyst_a: User) -> None:
    report = draft(
        analyst_a,
        TLP.GREEN,
        audience_everyone=True,
        body_markdown="After the call we agreed with the other banks to set the fee at 2%.",
    )

    refused = signed_in(analyst_a).post(reverse("report-preview", args=[report.uuid]))

    assert refused.status_code == 400
    assert "price-fixing" in refused.text
    assert "is price fixing, which antitrust law forbids" in refused.text


def test_outsider_gets_404_for_the_stix_of_an_amber_report(
    amber_for_b: Report, outsider_c: User
) -> None:
    response = signed_in(outsider_c).get(reverse("report-stix", args=[amber_for_b.uuid]))

    assert response.status_code == 404


def test_a_sighting_of_an_indicator_from_another_report_is_refused(
    share_processed: Callable[..., Report], analyst_a: User, peer_b: User
) -> None:
    first = share_processed(analyst_a, TLP.GREEN, indicators_text=IOC)
    other = share_processed(analyst_a, TLP.GREEN, indicators_text="91.219.236.18")
    indicator = Indicator.objects.get(value="91.219.236.18")

    with pytest.raises(Exception, match="not part of this report"):
        sighting_create(report=first, by=acting(peer_b), indicator=indicator)
    assert other.report_indicators.exists()


def test_search_finds_an_indicator_written_defanged_by_its_clean_and_defanged_spellings(
    share_processed: Callable[..., Report], analyst_a: User, peer_b: User
) -> None:
    share_processed(
        analyst_a,
        TLP.GREEN,
        title="Beaconing to a Tor exit",
        body_markdown="The loader beacons to 185.220.101[.]47 every hour.",
        indicators_text="185.220.101[.]47",
    )
    share_processed(analyst_a, TLP.GREEN, title="Unrelated advisory", body_markdown="Patch.")
    client = signed_in(peer_b)

    clean = client.get("/reports/", {"q": "185.220.101.47"}).text
    defanged = client.get("/reports/", {"q": "185.220.101[.]47"}).text

    for page in (clean, defanged):
        assert "Beaconing to a Tor exit" in page
        assert "Unrelated advisory" not in page


def test_search_finds_a_revised_report_by_its_new_words_only(
    share_processed: Callable[..., Report],
    analyst_a: User,
    peer_b: User,
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    from sharing.services import ReportContent, report_revise

    report = share_processed(analyst_a, TLP.GREEN, title="Phishing wave", body_markdown="Lures.")
    content = ReportContent(
        title="Phishing wave",
        body_markdown="Lures now carry a kerberoasting payload.",
        tlp=TLP.GREEN,
        audience_everyone=True,
    )
    with django_capture_on_commit_callbacks(execute=True):
        report_revise(report=report, by=acting(analyst_a), content=content)
    client = signed_in(peer_b)

    assert "Phishing wave" in client.get("/reports/", {"q": "kerberoasting"}).text
    assert "Phishing wave" not in client.get("/reports/", {"q": "ransomware"}).text
