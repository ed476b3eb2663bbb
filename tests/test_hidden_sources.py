"""An unattributed report shows the ISAC as its source on every path, and machine clients of
the REST API never get anything derived from a TLP:RED report."""

from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from accounts.models import Organisation, User
from accounts.services.groups import group_create, group_invitation_accept, group_invite
from sharing import policy
from sharing.fanout.services import subscription_create
from sharing.models import Comment, Delivery, Feed, Indicator, Report, ReportIndicator, Sighting
from sharing.services import comment_create, sighting_create
from sharing.tlp import TLP
from tests.fixtures.members import acting, signed_in
from tests.fixtures.reports import report_row
from tests.fixtures.taxii import IssueToken


def api(token: str, path: str) -> Any:
    return Client().get(path, HTTP_AUTHORIZATION=f"Bearer {token}")


@pytest.fixture
def unattributed(analyst_a: User) -> Report:
    """Member A's GREEN report for everyone, shown with the ISAC as its source."""
    return report_row(
        author=analyst_a,
        tlp=TLP.GREEN,
        title="Unattributed wiper",
        audience_everyone=True,
        attributed=False,
    )


def test_a_sighting_by_the_hidden_source_does_not_name_it_over_the_api(
    unattributed: Report, analyst_a: User, peer_b: User, isac_curator: User, issue_token: IssueToken
) -> None:
    # given: the source organisation itself reports a (not anonymous) sighting
    sighting_create(report=unattributed, by=acting(analyst_a), note="seen at our edge")

    # then: another reader learns nothing of who it was; the source and the ISAC do
    def named(user: User) -> list[str | None]:
        rows = api(issue_token(user), "/api/v1/sightings/").json()["results"]
        return [row["organisation"] for row in rows]

    assert named(peer_b) == [None]
    assert named(analyst_a) == ["Member A"]
    sighting = Sighting.objects.get()
    assert policy.can_see_sighter(acting(isac_curator), sighting)
    assert not policy.can_see_sighter(acting(peer_b), sighting)


def test_the_report_page_hides_the_source_in_sightings_and_comments(
    unattributed: Report, analyst_a: User, admin_a: User, peer_b: User
) -> None:
    sighting_create(report=unattributed, by=acting(analyst_a))
    comment_create(report=unattributed, by=acting(admin_a), body="We can answer questions.")

    page = signed_in(peer_b).get(f"/reports/{unattributed.uuid}/").content.decode()

    assert "Member A" not in page
    assert "Admin" not in page
    assert "An anonymous member" in page
    assert "The reporting member" in page
    assert not policy.can_see_commenter(acting(peer_b), Comment.objects.get())


def test_also_reported_by_does_not_single_out_the_hidden_source(
    unattributed: Report, analyst_a: User, peer_b: User
) -> None:
    # given: A also shared the same indicator in a report that names A
    named = report_row(author=analyst_a, tlp=TLP.GREEN, title="Named", audience_everyone=True)
    indicator = Indicator.objects.create(
        type="domain",
        value="wiper-c2.example",
        stix_id="indicator--1b1e0c1e-6c56-4d39-9a55-1c5e0b1a0f01",
        first_seen=timezone.now(),
        last_seen=timezone.now(),
    )
    for report in (unattributed, named):
        ReportIndicator.objects.create(
            report=report,
            indicator=indicator,
            first_seen=timezone.now(),
            last_seen=timezone.now(),
        )

    # then: on the unattributed report, B is told one other organisation reported it (A's
    # named report), exactly as if any other member had shared the unattributed one
    counts = policy.indicator_counts(acting(peer_b), unattributed)
    assert counts[indicator.pk]["reported"] == 1
    # and A, who may see its own source, is not told about itself
    assert policy.indicator_counts(acting(analyst_a), unattributed).get(indicator.pk) is None


# --- TLP:RED and the REST API ------------------------------------------------------------


@pytest.fixture
def red_for_b(analyst_a: User, peer_b: User) -> Report:
    return report_row(author=analyst_a, tlp=TLP.RED, title="Red for B", audience_people=[peer_b])


def test_token_clients_get_no_sightings_of_a_red_report(
    red_for_b: Report, peer_b: User, issue_token: IssueToken
) -> None:
    sighting_create(report=red_for_b, by=acting(peer_b), note="RED-ONLY note")
    token = issue_token(peer_b)

    listed = api(token, "/api/v1/sightings/")
    posted = Client().post(
        "/api/v1/sightings/",
        {"report": str(red_for_b.uuid), "note": "again"},
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )

    assert listed.status_code == 200
    assert listed.json()["results"] == []
    assert b"RED-ONLY" not in listed.content
    assert posted.status_code == 404
    assert Sighting.objects.count() == 1
    # the page still shows it to the person it names
    assert b"RED-ONLY note" in signed_in(peer_b).get(f"/reports/{red_for_b.uuid}/").content


def test_token_clients_get_no_deliveries_of_a_red_report(
    red_for_b: Report, peer_b: User, everything_feed: Feed, issue_token: IssueToken
) -> None:
    subscription, _ = subscription_create(feed=everything_feed, by=acting(peer_b), channel="portal")
    Delivery.objects.create(
        report=red_for_b,
        report_version=1,
        event=Delivery.Event.PUBLISHED,
        subscription=subscription,
        channel="portal",
    )

    listed = api(issue_token(peer_b), "/api/v1/deliveries/")

    assert listed.status_code == 200
    assert listed.json()["results"] == []
    assert policy.visible_deliveries(acting(peer_b)).count() == 1


# --- the directory: the Source filter and the RED addressing list ------------------------


def test_the_source_filter_lists_only_sources_of_reports_the_viewer_can_read(
    unattributed: Report,
    analyst_a: User,
    peer_b: User,
    outsider_c: User,
    org_b: Organisation,
    org_d: Organisation,
) -> None:
    # given: B shared an AMBER report for A only; A's report names no source
    report_row(
        author=peer_b,
        tlp=TLP.AMBER,
        title="For A",
        attributed=True,
        audience_organisations=[acting(analyst_a).organisation],
    )

    def sources(user: User) -> str:
        page = signed_in(user).get("/reports/").content.decode()
        return page[
            page.index('name="source"') : page.index("</select>", page.index('name="source"'))
        ]

    # then: A sees B as a source; C sees neither (A's report is unattributed, B's not for C)
    assert "Peer B" in sources(analyst_a)
    listed_for_c = sources(outsider_c)
    assert "Peer B" not in listed_for_c
    assert "Member A" not in listed_for_c
    assert org_d.name not in sources(analyst_a), "a suspended member is no source of anything"
    assert org_b.name not in sources(outsider_c)


def test_the_red_addressing_list_shows_only_people_of_the_viewers_trust_groups(
    analyst_a: User,
    admin_a: User,
    peer_b: User,
    admin_b: User,
    outsider_c: User,
    org_b: Organisation,
) -> None:
    circle = group_create(name="A and B", by=acting(admin_a))
    invitation = group_invite(group=circle, organisation=org_b, by=acting(admin_a))
    group_invitation_accept(invitation=invitation, by=acting(admin_b))

    form = signed_in(analyst_a).get("/reports/new/").content.decode()

    assert "analyst@b.test" in form
    assert "analyst@c.test" not in form
    assert peer_b in policy.people_directory(acting(analyst_a))
    assert peer_b not in policy.people_directory(acting(outsider_c))
    assert outsider_c in policy.people_directory(acting(outsider_c)), "own organisation"


def test_a_person_outside_the_trust_groups_is_named_by_exact_address(
    analyst_a: User, outsider_c: User
) -> None:
    client = signed_in(analyst_a)
    data = {
        "title": "Red for C",
        "tlp": "red",
        "body_markdown": "Eyes only.",
        "audience_people_emails": " Analyst@C.test ",
        "action": "save",
    }

    client.post("/reports/new/", data)

    report = Report.objects.get(title="Red for C")
    assert list(report.audience_people.all()) == [outsider_c]
    unknown = client.post("/reports/new/", {**data, "audience_people_emails": "nobody@c.test"})
    assert b"No active member in good standing has the address" in unknown.content


def test_an_organisation_not_in_good_standing_sees_no_directory(
    suspended_d: User, org_d: Organisation
) -> None:
    viewer = acting(suspended_d)

    assert not policy.visible_sources(viewer).exists()
    assert not policy.people_directory(viewer).exists()
    assert policy.person_by_email(viewer, "analyst@d.test") is None
