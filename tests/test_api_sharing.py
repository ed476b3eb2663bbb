"""The sharing REST API over HTTP: what each member's token may read and do."""

from datetime import timedelta
from typing import Any

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import Sector, User
from accounts.services.groups import group_create
from sharing.fanout.services import subscription_create
from sharing.feeds.services import feed_create
from sharing.models import Indicator, Report, ReportIndicator, Submission
from sharing.stix.objects import deterministic_id
from sharing.taxii.protocol import TAXII_MEDIA_TYPE
from sharing.tlp import TLP
from tests.fixtures.reports import report_row
from tests.fixtures.taxii import AddIndicator, IssueToken, MakeReport


def api_get(client: Client, url: str, token: str | None, **params: Any) -> Any:
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"} if token else {}
    return client.get(url, params, **headers)  # type: ignore[arg-type]


def api_post(client: Client, url: str, token: str, body: dict[str, Any]) -> Any:
    return client.post(
        url, body, content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {token}"
    )


def amber_for_energy(published_report: MakeReport, analyst_a: User) -> Report:
    organisation = analyst_a.memberships.get().organisation
    report = published_report(
        organisation=organisation, author=analyst_a, tlp=TLP.AMBER, everyone=False
    )
    report.audience_sectors.set(organisation.sectors.all())
    return report


def link_indicator(report: Report, value: str) -> ReportIndicator:
    now = timezone.now()
    indicator, _ = Indicator.objects.get_or_create(
        type="domain-name",
        value=value,
        defaults={
            "stix_id": deterministic_id("domain-name", value),
            "first_seen": now,
            "last_seen": now,
        },
    )
    return ReportIndicator.objects.create(
        report=report, indicator=indicator, first_seen=now, last_seen=now, confidence=85
    )


def test_calls_without_a_token_are_refused(client: Client, db: None) -> None:
    for url in ("/api/v1/reports/", "/api/v1/submissions/", "/api/v1/indicators/"):
        assert api_get(client, url, None).status_code == 401


def test_outsider_cannot_list_or_open_amber_report_via_api(
    client: Client,
    analyst_a: User,
    peer_b: User,
    outsider_c: User,
    published_report: MakeReport,
    issue_token: IssueToken,
) -> None:
    report = amber_for_energy(published_report, analyst_a)
    as_b, as_c = issue_token(peer_b), issue_token(outsider_c)

    listed_for_b = api_get(client, "/api/v1/reports/", as_b).json()["results"]
    assert [r["id"] for r in listed_for_b] == [str(report.uuid)]
    assert api_get(client, "/api/v1/reports/", as_c).json()["results"] == []
    assert api_get(client, f"/api/v1/reports/{report.uuid}/", as_c).status_code == 404


def test_red_report_stays_off_the_api_even_for_its_named_reader(
    client: Client,
    analyst_a: User,
    peer_b: User,
    published_report: MakeReport,
    issue_token: IssueToken,
) -> None:
    report = published_report(
        author=analyst_a,
        tlp=TLP.RED,
        everyone=False,
        people=(peer_b,),
    )
    link_indicator(report, "secret.example")
    token = issue_token(peer_b)

    assert api_get(client, f"/api/v1/reports/{report.uuid}/", token).status_code == 404
    assert api_get(client, "/api/v1/indicators/", token).json()["results"] == []


def test_unattributed_report_shows_no_source_to_peers(
    client: Client,
    analyst_a: User,
    peer_b: User,
    published_report: MakeReport,
    issue_token: IssueToken,
) -> None:
    report = published_report(author=analyst_a)

    as_peer = api_get(client, f"/api/v1/reports/{report.uuid}/", issue_token(peer_b)).json()
    as_author = api_get(client, f"/api/v1/reports/{report.uuid}/", issue_token(analyst_a)).json()

    assert as_peer["source"] is None
    assert as_author["source"] == "Member A"


def test_reports_filter_by_tlp_and_publication_time(
    client: Client,
    analyst_a: User,
    peer_b: User,
    published_report: MakeReport,
    issue_token: IssueToken,
) -> None:
    organisation = analyst_a.memberships.get().organisation
    green = published_report(organisation=organisation, author=analyst_a, tlp=TLP.GREEN)
    clear = published_report(organisation=organisation, author=analyst_a, tlp=TLP.CLEAR)
    Report.objects.filter(pk=clear.pk).update(published_at=timezone.now() - timedelta(days=9))
    token = issue_token(peer_b)
    week_ago = (timezone.now() - timedelta(days=7)).isoformat()

    by_tlp = api_get(client, "/api/v1/reports/", token, tlp="clear").json()["results"]
    recent = api_get(client, "/api/v1/reports/", token, published_after=week_ago).json()

    assert [r["id"] for r in by_tlp] == [str(clear.uuid)]
    assert [r["id"] for r in recent["results"]] == [str(green.uuid)]


def test_report_list_query_count_does_not_grow_with_reports(
    client: Client,
    analyst_a: User,
    peer_b: User,
    published_report: MakeReport,
    issue_token: IssueToken,
) -> None:
    organisation = analyst_a.memberships.get().organisation
    published_report(organisation=organisation, author=analyst_a)
    token = issue_token(peer_b)
    api_get(client, "/api/v1/reports/", token)  # the token's first use is recorded (a write)
    with CaptureQueriesContext(connection) as one:
        api_get(client, "/api/v1/reports/", token)
    for i in range(15):
        report = published_report(organisation=organisation, author=analyst_a, title=f"R{i}")
        report.sectors.set(organisation.sectors.all())

    with CaptureQueriesContext(connection) as many:
        response = api_get(client, "/api/v1/reports/", token)

    assert len(response.json()["results"]) == 16
    assert len(many) == len(one)


def test_member_submits_text_and_follows_its_status(
    client: Client, analyst_a: User, peer_b: User, issue_token: IssueToken
) -> None:
    token = issue_token(analyst_a)

    created = api_post(
        client,
        "/api/v1/submissions/",
        token,
        {"kind": "text", "content": "Phishing from evil-login.example.net", "filename": "a.txt"},
    )

    assert created.status_code == 202
    body = created.json()
    assert body["status"] == "queued"
    submission = Submission.objects.get(uuid=body["id"])
    assert bytes(submission.raw) == b"Phishing from evil-login.example.net"
    status = api_get(client, f"/api/v1/submissions/{body['id']}/", token).json()
    assert status["kind"] == "text"
    listed = api_get(client, "/api/v1/submissions/", issue_token(peer_b)).json()["results"]
    assert listed == []
    other = api_get(client, f"/api/v1/submissions/{body['id']}/", issue_token(peer_b))
    assert other.status_code == 404


def test_read_only_token_cannot_submit(
    client: Client, analyst_a: User, issue_token: IssueToken
) -> None:
    response = api_post(
        client,
        "/api/v1/submissions/",
        issue_token(analyst_a, read_only=True),
        {"kind": "text", "content": "x"},
    )

    assert response.status_code == 403
    assert not Submission.objects.exists()


def test_submission_with_an_unknown_kind_is_a_400(
    client: Client, analyst_a: User, issue_token: IssueToken
) -> None:
    response = api_post(
        client, "/api/v1/submissions/", issue_token(analyst_a), {"kind": "exe", "content": "x"}
    )

    assert response.status_code == 400
    assert "kind" in response.json()


def test_indicators_come_only_from_reports_the_caller_may_read(
    client: Client,
    analyst_a: User,
    peer_b: User,
    outsider_c: User,
    published_report: MakeReport,
    issue_token: IssueToken,
) -> None:
    report = amber_for_energy(published_report, analyst_a)
    link_indicator(report, "evil.example")

    for_b = api_get(client, "/api/v1/indicators/", issue_token(peer_b)).json()["results"]
    for_c = api_get(client, "/api/v1/indicators/", issue_token(outsider_c)).json()["results"]

    assert [(i["value"], i["report"], i["confidence"]) for i in for_b] == [
        ("evil.example", str(report.uuid), 85)
    ]
    assert for_c == []


def test_trust_groups_list_shows_the_organisations_groups_only(
    client: Client, admin_a: User, outsider_c: User, issue_token: IssueToken
) -> None:
    group = group_create(name="Grid circle", by=admin_a.memberships.get())

    mine = api_get(client, "/api/v1/trust-groups/", issue_token(admin_a)).json()["results"]
    theirs = api_get(client, "/api/v1/trust-groups/", issue_token(outsider_c)).json()["results"]

    assert str(group.uuid) in [g["id"] for g in mine]
    assert str(group.uuid) not in [g["id"] for g in theirs]
    hidden = api_get(client, f"/api/v1/trust-groups/{group.uuid}/", issue_token(outsider_c))
    assert hidden.status_code == 404


def test_peer_reports_an_anonymous_sighting_the_author_sees_without_its_name(
    client: Client,
    analyst_a: User,
    peer_b: User,
    outsider_c: User,
    published_report: MakeReport,
    issue_token: IssueToken,
) -> None:
    report = amber_for_energy(published_report, analyst_a)
    link = link_indicator(report, "evil.example")

    created = api_post(
        client,
        "/api/v1/sightings/",
        issue_token(peer_b),
        {"report": str(report.uuid), "indicator": link.indicator.stix_id, "anonymous": True},
    )
    refused = api_post(
        client, "/api/v1/sightings/", issue_token(outsider_c), {"report": str(report.uuid)}
    )

    assert created.status_code == 201
    assert refused.status_code == 404
    seen_by_a = api_get(
        client, "/api/v1/sightings/", issue_token(analyst_a), report=str(report.uuid)
    ).json()["results"]
    assert [(s["indicator"], s["organisation"]) for s in seen_by_a] == [
        (link.indicator.stix_id, None)
    ]
    assert api_get(client, "/api/v1/sightings/", issue_token(outsider_c)).json()["results"] == []


def test_personal_feed_is_a_taxii_collection_and_an_api_feed_for_its_owner_only(
    client: Client,
    analyst_a: User,
    peer_b: User,
    published_report: MakeReport,
    add_indicator: AddIndicator,
    issue_token: IssueToken,
) -> None:
    # given B's personal feed of CLEAR reports only, and two reports B may read
    feed = feed_create(
        name="Clear only", by=peer_b.memberships.get(), tlp_min=TLP.CLEAR, tlp_max=TLP.CLEAR
    )
    organisation = analyst_a.memberships.get().organisation
    clear = add_indicator(
        published_report(organisation=organisation, author=analyst_a, tlp=TLP.CLEAR)
    )
    add_indicator(published_report(organisation=organisation, author=analyst_a, tlp=TLP.GREEN))
    subscription_create(feed=feed, by=peer_b.memberships.get(), channel="taxii")
    as_b, as_a = issue_token(peer_b), issue_token(analyst_a)

    # then B finds it in the API and polls it over TAXII; A sees neither
    feeds = api_get(client, "/api/v1/feeds/", as_b).json()["results"]
    path = next(f["taxii_collection"] for f in feeds if f["id"] == str(feed.uuid))
    page = client.get(
        f"{path}objects/", HTTP_ACCEPT=TAXII_MEDIA_TYPE, HTTP_AUTHORIZATION=f"Bearer {as_b}"
    )
    assert [o["id"] for o in page.json()["objects"]] == [clear.stix_id]
    subscriptions = api_get(client, "/api/v1/subscriptions/", as_b).json()["results"]
    assert [s["feed"] for s in subscriptions] == [str(feed.uuid)]
    assert api_get(client, f"/api/v1/feeds/{feed.uuid}/", as_a).status_code == 404
    assert api_get(client, "/api/v1/subscriptions/", as_a).json()["results"] == []
    hidden = client.get(path, HTTP_ACCEPT=TAXII_MEDIA_TYPE, HTTP_AUTHORIZATION=f"Bearer {as_a}")
    assert hidden.status_code == 404


def test_deliveries_list_only_the_callers_subscriptions(
    client: Client, peer_b: User, outsider_c: User, issue_token: IssueToken
) -> None:
    assert api_get(client, "/api/v1/deliveries/", issue_token(peer_b)).json()["results"] == []
    assert api_get(client, "/api/v1/deliveries/", None).status_code == 401


def test_every_documented_operation_refuses_a_call_without_a_token(
    client: Client, db: None
) -> None:
    schema = client.get("/api/schema/?format=json").json()
    some_id = "0b8e2f4c-6a3d-4a8e-9c51-3f1d2e7a9b60"
    checked = 0
    for path, operations in schema["paths"].items():
        url = path.replace("{id}", some_id)
        for method in operations.keys() & {"get", "post", "put", "patch", "delete"}:
            response = getattr(client, method)(url, content_type="application/json")
            assert response.status_code == 401, (method, path, response.status_code)
            checked += 1
    assert checked >= 15


def test_each_listed_report_reads_as_the_report_itself(
    client: Client,
    analyst_a: User,
    peer_b: User,
    energy: Sector,
    finance: Sector,
    issue_token: IssueToken,
) -> None:
    """The list writes its rows directly; each must be what the report's own address
    answers (the serializer): source hidden or named, sectors in order, empty fields."""
    named = report_row(
        author=analyst_a,
        tlp=TLP.GREEN,
        title="Named source",
        attributed=True,
        sectors=[finance, energy],
        audience_everyone=True,
        confidence=80,
        summary="Two sectors, in the sectors' order.",
    )
    anonymous = report_row(
        author=analyst_a,
        tlp=TLP.AMBER,
        title="The ISAC as source",
        attributed=False,
        audience_everyone=True,
        public_release=False,
    )
    clear = report_row(
        author=analyst_a, tlp=TLP.CLEAR, title="Public", public_release=True, confidence=10
    )

    for reader in (peer_b, analyst_a):
        token = issue_token(reader)
        listed = api_get(client, "/api/v1/reports/", token).json()["results"]
        assert [row["id"] for row in listed] == [
            str(report.uuid) for report in (clear, anonymous, named)
        ]
        for row in listed:
            assert row == api_get(client, f"/api/v1/reports/{row['id']}/", token).json()
    as_peer = {
        row["title"]: row
        for row in api_get(client, "/api/v1/reports/", issue_token(peer_b)).json()["results"]
    }
    assert as_peer["The ISAC as source"]["source"] is None
    assert as_peer["Named source"]["source"] == named.organisation.name
    assert as_peer["Named source"]["sectors"] == [energy.slug, finance.slug]
