"""Dashboards: each member's own figures, the ISAC's view, the CSV export, and that no figure
counts what its reader may not read."""

import csv
import io
from collections.abc import Callable
from dataclasses import asdict
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from accounts.models import AgreementAcceptance, Invitation, Organisation, User
from accounts.services.groups import group_create, group_invitation_accept, group_invite
from sharing.insights.charts import Chart, Series, nice_ceiling, tlp_series
from sharing.insights.refresh import insights_refresh
from sharing.insights.selectors import member_dashboard, member_table
from sharing.models import Alert, Notification, Report, ReportRead
from sharing.rfi.services import RfiQuestion, rfi_answer, rfi_ask
from sharing.services import comment_create, sighting_create
from sharing.tlp import TLP
from tests.fixtures.members import acting, signed_in
from tests.fixtures.reports import report_row, shared


@pytest.fixture
def share_processed(
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> Callable[..., Report]:
    """Share a report and let normalisation run, as it does after commit."""

    def share(author: User, tlp: TLP, **fields: Any) -> Report:
        with django_capture_on_commit_callbacks(execute=True):
            report = shared(author, tlp, **fields)
        report.refresh_from_db()
        return report

    return share


def figures_of(user: User) -> dict[str, Any]:
    """Everything the member's dashboard shows, as plain data."""
    dashboard = member_dashboard(acting(user))
    return {
        "index": dashboard.index,
        "given": [(f.kind.key, f.total, f.per_period) for f in dashboard.given],
        "received": [(f.kind.key, f.total, f.per_period) for f in dashboard.received],
        "reach": [(f.kind.key, f.total, f.per_period) for f in dashboard.reach],
        "charts": [(c.title, c.table()) for c in dashboard.charts],
        "receipts": [asdict(r) for r in dashboard.receipts],
    }


def totals(user: User) -> dict[str, float]:
    shown = figures_of(user)
    return {key: total for side in ("given", "received", "reach") for key, total, _ in shown[side]}


def table_row(organisation: Organisation) -> Any:
    _, members = member_table()
    return next(row for row in members if row.organisation == organisation)


def test_answers_to_others_questions_count_as_given_and_alerts_as_received(
    share_processed: Callable[..., Report],
    analyst_a: User,
    peer_b: User,
) -> None:
    # given: B asks the membership a GREEN question, A answers it and B answers its own
    rfi = rfi_ask(
        by=acting(peer_b),
        question=RfiQuestion(title="Seen this sender?", tlp=TLP.GREEN, audience_everyone=True),
    )
    rfi_answer(rfi=rfi, by=acting(analyst_a), body="Yes, on Monday.")
    rfi_answer(rfi=rfi, by=acting(peer_b), body="Adding context to my own question.")
    # and: B's report raised an alert for A (its watch list matched)
    report = share_processed(peer_b, TLP.GREEN, title="Look-alike of A's domain")
    Alert.objects.create(
        organisation=acting(analyst_a).organisation, report=report, report_version=1
    )

    # when: the figures are counted
    insights_refresh(by=None)

    # then: A gave one answer and received one alert; B's answer to itself gives nothing
    assert totals(analyst_a)["rfi_answers_given"] == 1
    assert totals(analyst_a)["alerts_received"] == 1
    assert totals(peer_b)["rfi_answers_given"] == 0
    assert totals(peer_b)["alerts_received"] == 0


def test_a_member_sees_what_it_gave_what_it_got_and_who_read_it_counted_never_named(
    share_processed: Callable[..., Report],
    analyst_a: User,
    peer_b: User,
    isac_admin: User,
) -> None:
    # given: member A shares two GREEN reports, one with two indicators; B shares one
    mine = share_processed(
        analyst_a, TLP.GREEN, indicators_text="185.220.101.45\nlogin-portal-update.net"
    )
    share_processed(analyst_a, TLP.GREEN, title="Second wave")
    theirs = share_processed(peer_b, TLP.GREEN, title="Peer advisory")
    # and: B opens A's report twice and reports a sighting; A comments on B's
    reader = signed_in(peer_b)
    assert reader.get(f"/reports/{mine.uuid}/").status_code == 200
    assert reader.get(f"/reports/{mine.uuid}/").status_code == 200
    sighting_create(report=mine, by=acting(peer_b), anonymous=True)
    comment_create(report=theirs, by=acting(analyst_a), body="Seen here too.")

    # when: the figures are counted and A's analyst opens the page
    insights_refresh(by=None)
    page = signed_in(analyst_a).get("/figures/").content.decode()

    # then: A gave 2 reports, 2 indicators and a comment, received B's report and a sighting
    counted = totals(analyst_a)
    assert counted["reports_shared"] == 2
    assert counted["indicators_shared"] == 2
    assert counted["comments_written"] == 1
    assert counted["reports_received"] == 1
    assert counted["sightings_received"] == 1
    # and: one other organisation read it and one sighted it (two visits, one organisation)
    assert counted["reader_organisations"] == 1
    assert counted["sighter_organisations"] == 1
    assert ReportRead.objects.filter(report=mine).count() == 1
    # and: index = (2 reports + 1 comment) / (1 report + 1 sighting)
    assert figures_of(analyst_a)["index"] == pytest.approx(1.5)
    assert 'data-figure="index">1.50<' in page
    assert "Reciprocity index = what the organisation gave" in page
    # and: B is never named on A's page
    assert peer_b.email not in page
    assert acting(peer_b).organisation.name not in page
    # and: the charts come with their numbers, as SVG with labelled axes
    assert "<svg" in page
    assert "Month of publication" in page
    assert "Items shared" in page
    assert "TLP:GREEN" in page


def test_the_source_organisation_reading_its_own_report_is_not_reach(
    analyst_a: User, admin_a: User
) -> None:
    report = shared(analyst_a, TLP.GREEN)
    assert signed_in(admin_a).get(f"/reports/{report.uuid}/").status_code == 200
    assert not ReportRead.objects.exists()


def test_an_amber_report_to_a_group_the_reader_is_not_in_changes_none_of_their_figures(
    share_processed: Callable[..., Report],
    analyst_a: User,
    admin_a: User,
    peer_b: User,
    admin_b: User,
    outsider_c: User,
    isac_admin: User,
    org_a: Organisation,
    org_c: Organisation,
) -> None:
    # given: A and B share and read each other's GREEN reports
    mine = share_processed(analyst_a, TLP.GREEN, indicators_text="185.220.101.45")
    share_processed(peer_b, TLP.GREEN, indicators_text="91.219.236.18")
    signed_in(peer_b).get(f"/reports/{mine.uuid}/")
    sighting_create(report=mine, by=acting(peer_b))
    insights_refresh(by=None)
    before_analyst, before_admin = figures_of(analyst_a), figures_of(admin_a)
    before_row = table_row(org_a)
    before_c = totals(outsider_c)

    # when: B shares AMBER with a group of B and C that A is not in, and RED for C's analyst
    group = group_create(name="B and C", description="", by=acting(admin_b))
    invitation = group_invite(group=group, organisation=org_c, by=acting(admin_b))
    admin_c = User.objects.get(email="admin@c.test")
    group_invitation_accept(invitation=invitation, by=acting(admin_c))
    amber = share_processed(
        peer_b,
        TLP.AMBER,
        title="For B and C only",
        audience_groups=[group],
        indicators_text="185.220.101.45\n45.9.148.203",
        sectors=[],
    )
    report_row(
        author=peer_b, tlp=TLP.RED, title="Red for C", audience_people=[outsider_c], sectors=[]
    )
    # and: C reads, sights and comments on it; C sights A's report under its own name too
    signed_in(outsider_c).get(f"/reports/{amber.uuid}/")
    sighting_create(report=amber, by=acting(outsider_c))
    comment_create(report=amber, by=acting(outsider_c), body="Also here.")
    insights_refresh(by=None)

    # then: nothing A's analyst or admin sees has moved, nor A's row in the ISAC's table
    assert figures_of(analyst_a) == before_analyst
    assert figures_of(admin_a) == before_admin
    after_row = table_row(org_a)
    assert (after_row.totals, after_row.index) == (before_row.totals, before_row.index)
    page = signed_in(analyst_a).get("/figures/").content.decode()
    assert "45.9.148.203" not in page
    # and: C, who may read it, does see it counted (the test can tell a change)
    after_c = totals(outsider_c)
    assert after_c["reports_received"] == before_c["reports_received"] + 1
    assert after_c["sightings_reported"] == before_c["sightings_reported"] + 1
    assert after_c["comments_written"] == before_c["comments_written"] + 1


def test_tlp_red_is_counted_for_nobody(analyst_a: User, peer_b: User, isac_admin: User) -> None:
    insights_refresh(by=None)
    before = figures_of(analyst_a)
    report_row(author=peer_b, tlp=TLP.RED, title="Red for A", audience_people=[analyst_a])
    insights_refresh(by=None)
    assert figures_of(analyst_a) == before


def test_an_organisation_not_in_good_standing_is_shown_no_figures(
    analyst_a: User, peer_b: User, org_a: Organisation, isac_admin: User
) -> None:
    # given: A's acceptance of the agreement is revoked (A now reads TLP:CLEAR only)
    shared(peer_b, TLP.GREEN)
    insights_refresh(by=None)
    AgreementAcceptance.objects.filter(organisation=org_a).update(revoked_at=timezone.now())

    page = signed_in(analyst_a).get("/figures/").content.decode()

    assert "Not in good standing" in page
    assert "Reciprocity index" not in page
    assert "Reports received" not in page


def test_the_isac_admin_exports_every_members_contribution_and_value_as_csv(
    analyst_a: User,
    peer_b: User,
    isac_admin_client: Client,
    org_a: Organisation,
    org_b: Organisation,
) -> None:
    # given: A shares two reports, B one, and an organisation's name starts like a formula
    shared(analyst_a, TLP.GREEN)
    shared(analyst_a, TLP.CLEAR, title="Clear note")
    shared(peer_b, TLP.GREEN, title="Peer note")
    Organisation.objects.create(name="=HYPERLINK(1)", status=Organisation.Status.APPLICANT)
    insights_refresh(by=None)

    # when
    response = isac_admin_client.get("/figures/isac/members.csv")

    # then: one row per member organisation with its totals and index
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert "attachment" in response["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    by_name = {row["organisation"]: row for row in rows}
    a, b = by_name[org_a.name], by_name[org_b.name]
    assert a["reports shared"] == "2"
    assert a["reports received"] == "1"
    assert b["reports shared"] == "1"
    assert b["reports received"] == "2"
    assert a["reciprocity index"] == "2.00"
    assert b["reciprocity index"] == "0.50"
    assert a["in good standing"] == "yes"
    # and: a cell that would run as a spreadsheet formula is quoted
    assert "'=HYPERLINK(1)" in by_name
    assert by_name["'=HYPERLINK(1)"]["status"] == "applicant"


def test_only_isac_admins_open_the_isac_figures(
    analyst_a: User, admin_a: User, isac_curator: User, isac_admin_client: Client
) -> None:
    for person in (analyst_a, admin_a):
        client = signed_in(person)
        assert client.get("/figures/isac/").status_code == 404
        assert client.get("/figures/isac/members.csv").status_code == 404
    assert isac_admin_client.get("/figures/isac/").status_code == 200


def test_isac_dashboard_shows_membership_health(
    isac_admin: User,
    isac_admin_client: Client,
    analyst_a: User,
    org_a: Organisation,
    org_b: Organisation,
) -> None:
    # given: an applicant, an open invitation; A shares, B does nothing at all
    Organisation.objects.create(name="Applicant Co", status=Organisation.Status.APPLICANT)
    Invitation.objects.create(
        organisation=org_a,
        email="new@a.test",
        role="analyst",
        expires_at=timezone.now() + timedelta(days=3),
    )
    shared(analyst_a, TLP.GREEN)
    insights_refresh(by=None)

    page = isac_admin_client.get("/figures/isac/").content.decode()

    assert 'data-figure="status-applicant">1<' in page
    assert 'data-figure="invitations">1<' in page
    quiet = page.split("Nothing shared or read in 90 days")[1].split("Invitations waiting")[0]
    assert org_b.name in quiet
    assert org_a.name not in quiet
    assert "Applicant Co" in page
    assert "Reports published per week, by TLP" in page


def test_the_header_counts_unread_notifications_the_reader_may_still_open(
    analyst_a: User, peer_b: User, org_b: Organisation
) -> None:
    membership = acting(analyst_a)
    visible = shared(peer_b, TLP.GREEN)
    hidden = report_row(
        author=peer_b, tlp=TLP.AMBER, title="Not for A", audience_organisations=[org_b]
    )
    for report in (visible, hidden):
        Notification.objects.create(membership=membership, report=report, event="published")
    Notification.objects.create(
        membership=membership, report=visible, event="revised", read_at=visible.published_at
    )
    page = signed_in(analyst_a).get("/").content.decode()
    assert 'aria-label="Notifications, 1 unread"' in page
    assert '<span class="unread-badge" aria-hidden="true">1</span>' in page


def test_chart_labels_are_escaped_and_axes_are_round_numbers() -> None:
    chart = Chart(
        slug="t",
        title="<b>Sectors</b>",
        x_label="Reports",
        y_label="Sector",
        categories=["<script>alert(1)</script>"],
        series=[Series(name="n", values=[3], colour="#000")],
        horizontal=True,
    )
    svg = str(chart.svg())
    assert "<script>" not in svg
    assert "&lt;script&gt;" in svg
    assert "&lt;b&gt;Sectors&lt;/b&gt;" in svg
    assert nice_ceiling(7) == (8.0, 2.0)
    assert nice_ceiling(0) == (1.0, 1.0)
    assert nice_ceiling(130) == (150.0, 50.0)
    assert nice_ceiling(12) == (15.0, 5.0)
    # FIRST's colours, AMBER+STRICT hatched so it is not told apart by colour alone
    series = {s.name: s for s in tlp_series({})}
    assert series["TLP:AMBER"].colour == "#FFC000"
    assert series["TLP:GREEN"].colour == "#33FF00"
    assert series["TLP:AMBER+STRICT"].hatched
    assert "TLP:RED" not in series
