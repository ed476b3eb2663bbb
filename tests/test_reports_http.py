"""Report pages through HTTP: who gets what, inert scripts, attachments, lists and search."""

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from accounts.models import Organisation, Sector, TrustGroup, TrustGroupMember, User
from sharing.alerts.services.acknowledgements import report_acknowledge
from sharing.models import Attachment, Report
from sharing.selectors import dashboard
from sharing.services import (
    attachment_add,
    comment_create,
    report_question,
    review_requirement_set,
    sighting_create,
)
from sharing.tlp import TLP
from tests.fixtures.members import acting, signed_in
from tests.fixtures.reports import draft, report_row, shared

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\ntrailer\n"
SCRIPT = '<script>alert("x")</script><img src=x onerror=alert(1)>'


@pytest.fixture(autouse=True)
def _media(settings: object, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = tmp_path / "uploads"  # type: ignore[attr-defined]


def report_urls(report: Report, attachment: Attachment) -> list[tuple[str, str]]:
    uuid = report.uuid
    return [
        ("get", reverse("report-detail", args=[uuid])),
        ("get", reverse("report-edit", args=[uuid])),
        ("post", reverse("report-edit", args=[uuid])),
        ("post", reverse("report-autosave", args=[uuid])),
        ("get", reverse("report-preview", args=[uuid])),
        ("post", reverse("report-preview", args=[uuid])),
        ("post", reverse("report-withdraw", args=[uuid])),
        ("post", reverse("report-comment", args=[uuid])),
        ("post", reverse("report-sighting", args=[uuid])),
        ("post", reverse("report-curation", args=[uuid])),
        ("get", reverse("report-version", args=[uuid, 1])),
        ("get", reverse("report-stix", args=[uuid])),
        ("get", reverse("attachment-download", args=[attachment.uuid])),
        ("post", reverse("attachment-remove", args=[attachment.uuid])),
    ]


@pytest.fixture
def amber_with_file(amber_for_b: Report, analyst_a: User) -> tuple[Report, Attachment]:
    amber_for_b.status = Report.Status.DRAFT  # attach while drafting, as the author would
    amber_for_b.save()
    upload = SimpleUploadedFile("loader.pdf", PDF, content_type="application/pdf")
    attachment = attachment_add(report=amber_for_b, by=acting(analyst_a), upload=upload)
    amber_for_b.status = Report.Status.PUBLISHED
    amber_for_b.save()
    return amber_for_b, attachment


def test_outsider_gets_404_on_every_url_of_an_amber_report(
    amber_with_file: tuple[Report, Attachment], outsider_c: User
) -> None:
    report, attachment = amber_with_file
    client = signed_in(outsider_c)

    for method, url in report_urls(report, attachment):
        response = getattr(client, method)(url, {"action": "approve", "body": "x"})
        assert response.status_code == 404, (method, url, response.status_code)


def test_outsider_cannot_find_an_amber_report_by_list_or_search(
    amber_for_b: Report, outsider_c: User, peer_b: User
) -> None:
    outsider, peer = signed_in(outsider_c), signed_in(peer_b)

    for params in ({}, {"q": "loader"}, {"q": "198.51.100.23"}, {"tlp": "amber"}):
        assert "Amber loader campaign" not in outsider.get("/reports/", params).text
        assert "Amber loader campaign" in peer.get("/reports/", params).text


def test_peer_reads_the_report_with_its_tlp_banner(amber_for_b: Report, peer_b: User) -> None:
    page = signed_in(peer_b).get(reverse("report-detail", args=[amber_for_b.uuid]))

    assert page.status_code == 200
    assert "TLP:AMBER" in page.text
    assert "need-to-know basis within their organization and its clients" in page.text
    assert "198.51.100.23" in page.text


def test_script_typed_into_every_field_is_shown_inert(analyst_a: User, peer_b: User) -> None:
    report = shared(
        analyst_a,
        TLP.GREEN,
        title=SCRIPT,
        summary=SCRIPT,
        body_markdown=SCRIPT,
        indicators_text=SCRIPT,
    )
    comment_create(report=report, by=acting(peer_b), body=SCRIPT)
    sighting_create(report=report, by=acting(peer_b), note=SCRIPT)
    client = signed_in(peer_b)

    for url in (reverse("report-detail", args=[report.uuid]), "/reports/", "/"):
        page = client.get(url).text
        assert "<script>alert" not in page, url
        assert "<img src=x" not in page, url


def test_an_oversized_attachment_is_refused_and_the_draft_kept(
    analyst_a: User, settings: object
) -> None:
    settings.ATTACHMENT_MAX_BYTES = 100  # type: ignore[attr-defined]
    client = signed_in(analyst_a)
    big = SimpleUploadedFile("dump.txt", b"a" * 500, content_type="text/plain")

    response = client.post(
        "/reports/new/",
        {"title": "Keep me", "body_markdown": "Typed with care", "attachment": big},
    )

    assert response.status_code == 400
    assert "attachments may be at most 100" in response.text
    assert "Typed with care" in response.text
    report = Report.objects.get(title="Keep me")
    assert report.body_markdown == "Typed with care"
    assert not report.attachments.exists()


def test_a_disguised_attachment_is_refused_with_a_clear_message(analyst_a: User) -> None:
    report = draft(analyst_a, TLP.GREEN)
    exe = SimpleUploadedFile("invoice.pdf", b"MZ\x90\x00" + b"\x00" * 200)

    response = signed_in(analyst_a).post(
        reverse("report-edit", args=[report.uuid]),
        {"title": "Still here", "attachment": exe},
    )

    assert response.status_code == 400
    assert "cannot be attached" in response.text
    report.refresh_from_db()
    assert report.title == "Still here"


def test_attachments_are_stored_under_server_names_and_served_as_downloads(
    amber_with_file: tuple[Report, Attachment], peer_b: User, settings: object
) -> None:
    _, attachment = amber_with_file

    response = signed_in(peer_b).get(reverse("attachment-download", args=[attachment.uuid]))

    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    assert b"".join(response.streaming_content) == PDF  # type: ignore[attr-defined]
    stored = Path(settings.MEDIA_ROOT) / "attachments" / attachment.stored_name  # type: ignore[attr-defined]
    assert stored.exists()
    assert "loader" not in attachment.stored_name


def test_new_report_form_posts_a_draft_then_preview_then_shares(
    analyst_a: User, org_b: Organisation, peer_b: User
) -> None:
    client = signed_in(analyst_a)

    response = client.post(
        "/reports/new/",
        {
            "title": "Substation phishing",
            "body_markdown": "Seen on *Monday*.",
            "tlp": "amber",
            "audience_organisations": [org_b.pk],
            "report_type": "incident",
            "confidence": "85",
            "indicators_text": "203.0.113.9",
            "preview": "1",
        },
    )
    report = Report.objects.get(title="Substation phishing")
    assert response.status_code == 302
    assert response["Location"] == reverse("report-preview", args=[report.uuid])
    assert report.status == Report.Status.DRAFT
    detail = reverse("report-detail", args=[report.uuid])
    assert signed_in(peer_b).get(detail).status_code == 404

    preview = client.get(response["Location"])
    assert "<em>Monday</em>" in preview.text
    assert "Confirm and share" in preview.text
    shared_now = client.post(response["Location"])

    report.refresh_from_db()
    assert shared_now.status_code == 302
    assert report.status == Report.Status.PUBLISHED
    assert signed_in(peer_b).get(reverse("report-detail", args=[report.uuid])).status_code == 200


def test_a_red_report_without_named_people_is_refused_in_the_preview(analyst_a: User) -> None:
    report = draft(analyst_a, TLP.RED)

    response = signed_in(analyst_a).post(reverse("report-preview", args=[report.uuid]))

    assert response.status_code == 400
    assert "needs at least one named person" in response.text


def test_autosave_keeps_the_draft_up_to_date(analyst_a: User) -> None:
    client = signed_in(analyst_a)

    first = client.post("/reports/new/", {"title": "Auto", "autosave": "1"}).json()
    client.post(first["autosave_url"], {"title": "Auto", "body_markdown": "more words"})

    assert Report.objects.get(title="Auto").body_markdown == "more words"


def test_unattributed_report_shows_the_isac_and_the_source_filter_reveals_nothing(
    analyst_a: User, peer_b: User, org_a: Organisation
) -> None:
    shared(analyst_a, TLP.GREEN, title="Quiet report", attributed=False)
    client = signed_in(peer_b)

    by_source = client.get("/reports/", {"source": str(org_a.uuid)}).text
    via_isac = client.get("/reports/", {"source": "isac"}).text

    results = via_isac.split('aria-label="Reports"')[1]
    assert "Quiet report" not in by_source
    assert "Quiet report" in results
    assert "the ISAC" in results
    assert "Member A" not in results


def test_anonymous_sighting_counts_without_naming_the_organisation(
    amber_for_b: Report, peer_b: User, analyst_a: User
) -> None:
    response = signed_in(peer_b).post(
        reverse("report-sighting", args=[amber_for_b.uuid]),
        {"seen_on": "2026-01-05", "note": "Same loader", "anonymous": "on"},
    )
    page = signed_in(analyst_a).get(reverse("report-detail", args=[amber_for_b.uuid])).text

    assert response.status_code == 302
    assert amber_for_b.sightings.get().anonymous
    assert "An anonymous member" in page
    assert "Peer B" not in page


def test_revision_history_shows_a_diff(analyst_a: User, peer_b: User) -> None:
    report = shared(analyst_a, TLP.GREEN, body_markdown="Old line")
    client = signed_in(analyst_a)
    client.post(
        reverse("report-edit", args=[report.uuid]),
        {
            "title": report.title,
            "tlp": "green",
            "audience_everyone": "on",
            "body_markdown": "New line",
            "report_type": "alert",
            "confidence": "50",
            "note": "Corrected",
        },
    )

    diff = signed_in(peer_b).get(reverse("report-version", args=[report.uuid, 2])).text

    assert '<span class="diff-removed">-Old line</span>' in diff
    assert '<span class="diff-added">+New line</span>' in diff


def test_withdrawn_report_shows_why_to_its_readers(analyst_a: User, peer_b: User) -> None:
    report = shared(analyst_a, TLP.GREEN)
    signed_in(analyst_a).post(
        reverse("report-withdraw", args=[report.uuid]), {"reason": "Benign scanner."}
    )

    page = signed_in(peer_b).get(reverse("report-detail", args=[report.uuid])).text

    assert "Withdrawn on" in page
    assert "Benign scanner." in page


def test_list_page_query_count_stays_constant_as_reports_grow(
    analyst_a: User, peer_b: User, django_assert_max_num_queries: object
) -> None:
    client = signed_in(peer_b)
    for n in range(3):
        shared(analyst_a, TLP.GREEN, title=f"Report {n}")
    client.get("/reports/")
    with django_assert_max_num_queries(18) as few:  # type: ignore[operator]
        client.get("/reports/")
    for n in range(3, 25):
        report = shared(analyst_a, TLP.GREEN, title=f"Report {n}")
        sighting_create(report=report, by=acting(peer_b))
    with django_assert_max_num_queries(len(few.captured_queries)):  # type: ignore[operator]
        client.get("/reports/")


def test_dashboard_shows_new_reports_and_waiting_drafts(
    analyst_a: User, peer_b: User, energy: object
) -> None:
    shared(analyst_a, TLP.GREEN, title="Energy alert", sectors=[energy])
    draft(peer_b, TLP.GREEN, title="My unfinished draft")

    page = signed_in(peer_b).get("/").text

    assert "Energy alert" in page
    assert "My unfinished draft" in page


def test_dashboard_lists_reports_addressed_to_the_reader_by_every_path(
    analyst_a: User,
    peer_b: User,
    org_b: Organisation,
    isac_org: Organisation,
    energy: Sector,
    finance: Sector,
) -> None:
    """ "New for you": a report for my organisation, for me by name, for a trust group my
    organisation is in, for my sector's community, for my sector, or tagged with my sector;
    not one addressed only to others, not my organisation's own, not one older than 30 days."""
    custom = TrustGroup.objects.create(name="Grid operators", owner=acting(analyst_a).organisation)
    TrustGroupMember.objects.create(group=custom, organisation=org_b)
    community = TrustGroup.objects.create(
        name="Energy community", kind=TrustGroup.Kind.SECTOR, sector=energy, owner=isac_org
    )
    amber, green = TLP.AMBER, TLP.GREEN
    everyone = {"tlp": green, "audience_everyone": True}
    written_by_a: dict[str, dict[str, Any]] = {
        "For my organisation": {"tlp": amber, "audience_organisations": [org_b]},
        "For me by name": {"tlp": TLP.RED, "audience_people": [peer_b]},
        "For my trust group": {"tlp": amber, "audience_groups": [custom]},
        "For my community": {"tlp": amber, "audience_groups": [community]},
        "For my sector": {"tlp": amber, "audience_sectors": [energy]},
        "Tagged energy": {**everyone, "sectors": [energy]},
        "Tagged finance": {**everyone, "sectors": [finance]},
        "For finance": {"tlp": amber, "audience_sectors": [finance]},
    }
    for title, fields in written_by_a.items():
        report_row(author=analyst_a, title=title, **fields)
    report_row(author=peer_b, tlp=amber, title="Our own", audience_sectors=[energy])
    old = report_row(
        author=analyst_a, tlp=amber, title="Last quarter", audience_organisations=[org_b]
    )
    Report.objects.filter(pk=old.pk).update(published_at=timezone.now() - timedelta(days=31))

    shown = {report.title for report in dashboard(acting(peer_b))["new_reports"]}
    page = signed_in(peer_b).get("/").text

    expected = {
        "For my organisation",
        "For me by name",
        "For my trust group",
        "For my community",
        "For my sector",
        "Tagged energy",
    }
    assert shown == expected
    assert all(title in page for title in expected)
    assert not any(title in page for title in ("Tagged finance", "For finance", "Last quarter"))


def test_author_dashboard_says_a_clear_report_reaches_everyone_signed_in(
    analyst_a: User,
) -> None:
    shared(analyst_a, TLP.CLEAR, title="Public advisory")

    page = signed_in(analyst_a).get("/").text

    assert "Public advisory" in page
    assert "everyone signed in" in page
    assert "nobody yet" not in page


def test_author_dashboard_and_report_page_count_who_each_report_reaches(
    analyst_a: User,
    peer_b: User,
    org_b: Organisation,
    org_c: Organisation,
    energy: Sector,
    finance: Sector,
    circle: TrustGroup,
) -> None:
    """The author's summary line counts each kind of recipient of each report (read for
    all the dashboard's reports at once)."""
    amber = TLP.AMBER
    report_row(
        author=analyst_a,
        tlp=amber,
        title="Wide amber",
        audience_sectors=[energy, finance],
        audience_groups=[circle],
        audience_organisations=[org_b],
    )
    report_row(author=analyst_a, tlp=amber, title="Two orgs", audience_organisations=[org_b, org_c])
    named = report_row(
        author=analyst_a, tlp=TLP.RED, title="Red for two", audience_people=[peer_b, analyst_a]
    )
    report_row(author=analyst_a, tlp=amber, title="Addressed to no one")

    own = dict(
        (report.title, summary) for report, summary in dashboard(acting(analyst_a))["own_reports"]
    )
    page = signed_in(analyst_a).get("/").text

    expected = {
        "Wide amber": "2 sectors, 1 trust group, 1 organisation",
        "Two orgs": "2 organisations",
        "Red for two": "2 named people",
        "Addressed to no one": "nobody yet",
    }
    assert own == expected
    for summary in expected.values():
        assert summary in page
    assert "2 named people" in signed_in(analyst_a).get(f"/reports/{named.uuid}/").text


def test_the_author_dashboard_lists_a_report_the_isac_asked_about_once(
    analyst_a: User, isac_curator: User, isac_admin: User
) -> None:
    review_requirement_set(
        organisation=acting(analyst_a).organisation, required=True, by=acting(isac_admin)
    )
    asked = shared(analyst_a, TLP.GREEN, title="Asked about twice")
    shared(analyst_a, TLP.GREEN, title="Waiting quietly")
    for question in ("Which sites were hit?", "And since when?"):
        report_question(report=asked, by=acting(isac_curator), question=question)

    questions = dashboard(acting(analyst_a))["questions"]
    page = signed_in(analyst_a).get("/").text

    assert [report.title for report in questions] == ["Asked about twice"]
    assert page.count("The ISAC asked about") == 1
    assert "Asked about twice" in page


def test_curator_sees_the_queue_and_members_do_not(
    analyst_a: User, isac_curator: User, peer_b: User, settings: object
) -> None:
    settings.REPORT_REVIEW_REQUIRED = True  # type: ignore[attr-defined]
    shared(analyst_a, TLP.GREEN, title="Needs a look")

    assert "Needs a look" in signed_in(isac_curator).get("/reports/curation/").text
    assert signed_in(peer_b).get("/reports/curation/").status_code == 404


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL full-text search")
def test_full_text_search_matches_word_forms_and_uses_the_gin_index(
    analyst_a: User, peer_b: User
) -> None:
    shared(analyst_a, TLP.GREEN, title="Ransomware encrypting hypervisors")
    shared(analyst_a, TLP.GREEN, title="Unrelated advisory")

    page = signed_in(peer_b).get("/reports/", {"q": "encrypted hypervisor"}).text

    assert "Ransomware encrypting hypervisors" in page
    assert "Unrelated advisory" not in page
    with connection.cursor() as cursor:
        cursor.execute(
            "EXPLAIN SELECT id FROM sharing_report WHERE search_document @@ "
            "websearch_to_tsquery('english', 'hypervisor')"
        )
        plan = " ".join(row[0] for row in cursor.fetchall())
        cursor.execute(
            "SELECT indexdef FROM pg_indexes WHERE indexname = 'sharing_report_search_document_gin'"
        )
        assert "gin (search_document)" in cursor.fetchone()[0]
    # With two rows a sequential scan is cheaper; the index must at least be usable.
    assert "search_document" in plan


def test_curator_approves_a_waiting_report_from_its_page(
    analyst_a: User, isac_curator: User, peer_b: User, settings: object
) -> None:
    settings.REPORT_REVIEW_REQUIRED = True  # type: ignore[attr-defined]
    report = shared(analyst_a, TLP.GREEN, title="Waiting report")
    curator = signed_in(isac_curator)
    assert signed_in(peer_b).get(reverse("report-detail", args=[report.uuid])).status_code == 404

    page = curator.get(reverse("report-detail", args=[report.uuid])).text
    response = curator.post(
        reverse("report-curation", args=[report.uuid]), {"action": "approve", "message": ""}
    )

    assert "Approve and publish" in page
    assert response.status_code == 302
    assert signed_in(peer_b).get(reverse("report-detail", args=[report.uuid])).status_code == 200


def test_the_author_reads_the_rejection_reason_on_the_draft(
    analyst_a: User, isac_curator: User, settings: object
) -> None:
    settings.REPORT_REVIEW_REQUIRED = True  # type: ignore[attr-defined]
    report = shared(analyst_a, TLP.GREEN, title="Will be rejected")
    signed_in(isac_curator).post(
        reverse("report-curation", args=[report.uuid]),
        {"action": "reject", "message": "Names a customer; remove it."},
    )

    page = signed_in(analyst_a).get(reverse("report-detail", args=[report.uuid]), follow=True)

    assert "Rejected by the ISAC" in page.text
    assert "Names a customer; remove it." in page.text


def test_the_author_commenting_on_an_unattributed_report_stays_anonymous(
    analyst_a: User, peer_b: User
) -> None:
    report = shared(analyst_a, TLP.GREEN, attributed=False, title="Quiet source")
    comment_create(report=report, by=acting(analyst_a), body="Update: second wave today.")

    page = signed_in(peer_b).get(reverse("report-detail", args=[report.uuid])).text

    assert "Update: second wave today." in page
    assert "The reporting member" in page
    assert "Member A" not in page.split("<main")[1]
    assert "analyst@a.test" not in page


def test_sorting_by_tlp_puts_the_narrowest_label_first(analyst_a: User, peer_b: User) -> None:
    shared(analyst_a, TLP.CLEAR, title="Clear one")
    shared(analyst_a, TLP.RED, title="Red one", audience_people=[peer_b])
    shared(analyst_a, TLP.AMBER, title="Amber one", audience_everyone=True)

    page = signed_in(peer_b).get("/reports/", {"sort": "tlp"}).text

    assert page.index("Red one") < page.index("Amber one") < page.index("Clear one")


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL full-text search")
def test_search_puts_the_best_match_first(analyst_a: User, peer_b: User) -> None:
    shared(analyst_a, TLP.GREEN, title="Ransomware note", body_markdown="A ransomware mention.")
    shared(
        analyst_a,
        TLP.GREEN,
        title="Ransomware ransomware everywhere",
        body_markdown="Ransomware, ransomware and more ransomware.",
    )

    page = signed_in(peer_b).get("/reports/", {"q": "ransomware"}).text

    assert page.index("Ransomware ransomware everywhere") < page.index("Ransomware note")


@pytest.mark.parametrize(
    "typed",
    [
        "O'Brien",
        "O'Brien'); DROP TABLE sharing_report; --",
        "100% O'Brien",
        "O\\'Brien %s %(x)s",
        '"from O\'Brien"',  # a phrase
    ],
)
def test_a_search_with_quotes_percent_signs_and_backslashes_finds_what_it_names(
    typed: str, analyst_a: User, peer_b: User
) -> None:
    # The typed text is written into the statement as a quoted literal (sharing.search):
    # whatever it holds stays a search.
    shared(
        analyst_a,
        TLP.GREEN,
        title="Mail from O'Brien",
        body_markdown=f"The lure: {typed.replace('-', '')}",
    )
    shared(analyst_a, TLP.GREEN, title="Unrelated", body_markdown="Nothing here.")

    response = signed_in(peer_b).get("/reports/", {"q": typed})

    assert response.status_code == 200
    assert "Mail from O&#x27;Brien" in response.text
    assert "Unrelated" not in response.text
    assert Report.objects.filter(title="Unrelated").exists()


def test_a_long_list_says_more_than_the_cap_and_a_broad_search_lists_newest_first(
    analyst_a: User, peer_b: User, settings: Any
) -> None:
    # given four reports peer B can read, with limits of three (10,000 and 2,000 by default)
    settings.REPORT_LIST_COUNT_CAP = 3
    settings.REPORT_LIST_RANKED_MAX = 2
    shared(analyst_a, TLP.GREEN, title="Oldest ransomware", body_markdown="ransomware " * 9)
    for n in range(2):
        shared(analyst_a, TLP.GREEN, title=f"Middle ransomware {n}", body_markdown="ransomware")
    shared(analyst_a, TLP.GREEN, title="Newest ransomware", body_markdown="ransomware")
    client = signed_in(peer_b)

    # when peer B opens the list and searches for a word in every report
    listed = client.get("/reports/").text
    searched = client.get("/reports/", {"q": "ransomware"}).text

    # then the list does not count past its cap, and the search says why it is not ranked:
    # the report saying "ransomware" most often is not first, the newest is
    assert "More than 3 reports you can read" in listed
    assert "More than 2 reports match, so they are listed newest first" in searched
    assert searched.index("Newest ransomware") < searched.index("Oldest ransomware")
    # and with room to rank, relevance comes back
    settings.REPORT_LIST_RANKED_MAX = 10
    ranked = client.get("/reports/", {"q": "ransomware"}).text
    assert "listed newest first" not in ranked
    assert ranked.index("Oldest ransomware") < ranked.index("Newest ransomware")


def test_dashboard_and_report_page_queries_stay_bounded_as_activity_grows(
    analyst_a: User, peer_b: User, energy: object, django_assert_max_num_queries: object
) -> None:
    report = shared(analyst_a, TLP.GREEN, title="Busy report", sectors=[energy])
    client = signed_in(peer_b)
    detail = reverse("report-detail", args=[report.uuid])
    client.get("/")
    client.get(detail)
    with django_assert_max_num_queries(60) as home:  # type: ignore[operator]
        client.get("/")
    with django_assert_max_num_queries(60) as page:  # type: ignore[operator]
        client.get(detail)

    for n in range(15):
        shared(analyst_a, TLP.GREEN, title=f"More {n}", sectors=[energy])
        comment_create(report=report, by=acting(peer_b), body=f"comment {n}")
        sighting_create(report=report, by=acting(peer_b), note=f"seen {n}")
        draft(peer_b, TLP.GREEN, title=f"Draft {n}")

    with django_assert_max_num_queries(len(home.captured_queries)):  # type: ignore[operator]
        client.get("/")
    with django_assert_max_num_queries(len(page.captured_queries)):  # type: ignore[operator]
        client.get(detail)


def busy_report(
    author: User, reader: User, on_commit: Any, *, activity: int, **fields: Any
) -> tuple[Report, str]:
    """A TLP:GREEN report with extracted indicators (extraction runs after commit) and the
    reader's comments and sightings; and its page's address."""
    with on_commit(execute=True):
        report = shared(author, TLP.GREEN, **fields)
    for n in range(activity):
        comment_create(report=report, by=acting(reader), body=f"comment {n}")
        sighting_create(report=report, by=acting(reader), note=f"seen {n}")
    return report, reverse("report-detail", args=[report.uuid])


def test_the_author_s_own_report_page_asks_at_most_15_times_and_offers_what_owners_see(
    analyst_a: User,
    peer_b: User,
    energy: object,
    django_assert_max_num_queries: object,
    django_capture_on_commit_callbacks: Any,
) -> None:
    report, detail = busy_report(
        analyst_a, peer_b, django_capture_on_commit_callbacks, title="Own busy report",
        sectors=[energy], indicators_text="185.220.101[.]47", activity=3,
    )  # fmt: skip
    report_acknowledge(report=report, by=acting(peer_b), impact="affected")
    client = signed_in(analyst_a)
    client.get(detail)

    # The owner's panels (forwards, read receipts, review history, revising) on top of a
    # reader's: whether the author may change it rides along with the report's own query,
    # and an owner has no read receipt of its own to look up.
    with django_assert_max_num_queries(15):  # type: ignore[operator]
        response = client.get(detail)

    page = response.text
    assert reverse("report-edit", args=[report.uuid]) in page, "the author may revise it"
    assert 'data-count="read">1 organisation' in page
    assert 'data-count="affected">1' in page
    assert "comment 2" in page
    # and a reader of another organisation is offered neither revising nor the counts
    other = signed_in(peer_b).get(detail).text
    assert reverse("report-edit", args=[report.uuid]) not in other
    assert 'data-count="read"' not in other


def test_report_page_asks_the_database_at_most_14_times(
    analyst_a: User,
    peer_b: User,
    energy: object,
    django_assert_max_num_queries: object,
    django_capture_on_commit_callbacks: Any,
) -> None:
    _, detail = busy_report(
        analyst_a, peer_b, django_capture_on_commit_callbacks, title="Busy report",
        sectors=[energy], indicators_text="185.220.101[.]47\nhxxp://login-portal-update[.]net/x",
        activity=5,
    )  # fmt: skip
    client = signed_in(peer_b)
    client.get(detail)

    # The policy's query is built once for the request and each question asked once; the
    # sighting form lists the indicators the page already read; the report's own query says
    # whether the reader may post and whether any peer ISAC also reported it.
    with django_assert_max_num_queries(14):  # type: ignore[operator]
        response = client.get(detail)

    assert response.status_code == 200
    assert "comment 4" in response.text
    assert "185.220.101.47" in response.text
