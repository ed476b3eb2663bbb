"""The public TLP:CLEAR feed, read by someone with no account: a firewall pulling the
blocklist, a feed reader, a TAXII client. Only reports released by their authors, TLP:CLEAR,
published, from organisations in good standing ever reach it, and only while the ISAC has
it on."""

import csv
import io
import re
import time
import xml.etree.ElementTree as ET
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client, override_settings
from django.urls import reverse
from stix2validator import ValidationOptions, validate_instance, validate_parsed_json
from taxii2client.v21 import Server, as_pages

from accounts.models import AgreementAcceptance, AuditEvent, Membership, Organisation, User
from accounts.services.agreements import agreement_acceptance_revoke
from sharing import policy
from sharing.models import PublicFeed, Report, ReportRevision, StixObject, Submission
from sharing.public import urls as public_urls
from sharing.public.services import public_feed_set
from sharing.public.taxii import PUBLIC_COLLECTION_ID
from sharing.services import ReportContent, report_revise, report_withdraw
from sharing.taxii.protocol import TAXII_MEDIA_TYPE
from sharing.tlp import TLP
from tests.fixtures.cache import REDIS_AWAY
from tests.fixtures.members import acting, signed_in
from tests.fixtures.personas import PASSWORD, make_member, make_person
from tests.fixtures.reports import report_row, shared

ATOM = "{http://www.w3.org/2005/Atom}"
STRICT = ValidationOptions(version="2.1", strict=True)

RELEASED_TITLE = "Edge VPN gateways exploited: patch and hunt"
RELEASED_SUMMARY = "Unauthenticated attackers chain two flaws on internet-facing VPN gateways."
RELEASED_BODY = "Apply the fixed release today.\n\nThe gateways then talked to the hosts below."
RELEASED_INDICATORS = {
    ("ipv4", "45.61.136.14"),
    ("ipv4", "103.108.229.22"),
    ("domain", "updates-gw-cdn.com"),
}


@pytest.fixture(autouse=True)
def _generous_rate_limit(settings: Any) -> None:
    """Many requests from one test address; the limit itself is tested on its own."""
    settings.PUBLIC_FEED_RATE_LIMIT = "100000/min"


def feed_on(isac_admin: User) -> None:
    public_feed_set(enabled=True, by=acting(isac_admin))


def release(author: User, tlp: TLP = TLP.CLEAR, public: bool = True, **fields: Any) -> Report:
    return shared(author, tlp, public_release=public, **fields)


def atom_entries(client: Client) -> dict[str, ET.Element]:
    response = client.get("/public/feed.atom")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/atom+xml")
    root = ET.fromstring(response.content)
    entries = root.findall(f"{ATOM}entry")
    return {entry.findtext(f"{ATOM}title") or "": entry for entry in entries}


def blocklist(client: Client, query: str = "") -> list[str]:
    response = client.get(f"/public/indicators.txt{query}")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    return response.text.splitlines()


def wait_for_worker(report_ids: list[int], timeout: float = 60.0) -> None:
    done = {Submission.Status.NEEDS_REVIEW, Submission.Status.PUBLISHED}
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        statuses = set(
            Submission.objects.filter(report_id__in=report_ids).values_list("status", flat=True)
        )
        assert Submission.Status.FAILED not in statuses
        if statuses and statuses <= done:
            return
        time.sleep(0.2)
    raise AssertionError("the worker never finished the submissions")


def assert_valid_stix(objects: list[dict[str, Any]]) -> None:
    assert objects
    for obj in objects:
        result = validate_instance(obj, STRICT)
        assert result.is_valid, [str(e) for e in result.errors + result.warnings]


# --- End to end ------------------------------------------------------------------------------


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_anonymous_reader_gets_only_the_released_clear_report_in_every_public_format(
    celery_worker: object,
    live_server: Any,
    isac_admin: User,
    analyst_a: User,
    peer_b: User,
    agreement: Any,
    energy: Any,
) -> None:
    # given the ISAC admin turned the public feed on in the ISAC admin pages
    admin_page = signed_in(isac_admin)
    assert admin_page.post("/isac/public-feed/", {"enabled": "on"}).status_code == 302
    assert AuditEvent.objects.filter(action="public_feed.enable").exists()

    # and member A's analyst shared a TLP:CLEAR report through the browser form, choosing
    # public release and not naming the organisation
    author = signed_in(analyst_a)
    response = author.post(
        "/reports/new/",
        {
            "title": RELEASED_TITLE,
            "summary": RELEASED_SUMMARY,
            "body_markdown": RELEASED_BODY,
            "tlp": "clear",
            "public_release": "on",
            "report_type": "advisory",
            "confidence": "85",
            "indicators_text": "45.61.136.14\n103.108.229.22\nupdates-gw-cdn[.]com",
            "preview": "1",
        },
    )
    assert response.status_code == 302, response.content[:500]
    released = Report.objects.get(title=RELEASED_TITLE)
    assert author.post(response["Location"]).status_code == 302

    # and other reports that must never reach the public
    amber = shared(
        analyst_a,
        TLP.AMBER,
        title="Amber loader campaign",
        audience_everyone=True,
        indicators_text="185.174.101.13",
    )
    kept_in = release(
        analyst_a, public=False, title="Clear but kept in", indicators_text="80.66.88.207"
    )
    withdrawn = release(analyst_a, title="Withdrawn scanner", indicators_text="141.212.122.80")
    lapsed_org = make_member("Lapsed D", "d.test", [energy], agreement)
    lapsed = make_person("analyst@d.test", lapsed_org, Membership.Role.ANALYST)
    lapsed_report = release(lapsed, title="From a lapsed member", indicators_text="91.219.236.18")
    wait_for_worker([released.pk, amber.pk, kept_in.pk, withdrawn.pk, lapsed_report.pk])
    report_withdraw(report=withdrawn, by=acting(analyst_a), reason="A research scanner.")
    agreement_acceptance_revoke(
        acceptance=AgreementAcceptance.objects.get(organisation=lapsed_org),
        by=acting(isac_admin),
        reason="Membership fees unpaid.",
    )
    released.refresh_from_db()
    assert released.status == Report.Status.PUBLISHED
    assert released.public_release
    hidden_titles = {amber.title, kept_in.title, withdrawn.title, lapsed_report.title}
    hidden_values = {"185.174.101.13", "80.66.88.207", "141.212.122.80", "91.219.236.18"}
    anonymous = Client()

    # when an anonymous reader reads the Atom feed, then it has the released report alone,
    # with the summary and the ISAC (not member A) as its author
    entries = atom_entries(anonymous)
    assert set(entries) == {RELEASED_TITLE}
    entry = entries[RELEASED_TITLE]
    assert RELEASED_SUMMARY in (entry.findtext(f"{ATOM}summary") or "")
    assert entry.findtext(f"{ATOM}author/{ATOM}name") == "Test ISAC"
    links = {link.get("rel"): link.get("href", "") for link in entry.findall(f"{ATOM}link")}
    assert links["alternate"].endswith(f"/public/reports/{released.uuid}/")
    assert links["related"].endswith(f"/public/reports/{released.uuid}/stix/")
    rss = anonymous.get("/public/feed.rss")
    assert rss.status_code == 200
    rss_titles = [i.findtext("title") for i in ET.fromstring(rss.content).iter("item")]
    assert rss_titles == [RELEASED_TITLE]

    # and the blocklist has exactly the submitted values, refanged, one a line
    assert sorted(blocklist(anonymous)) == sorted(v for _, v in RELEASED_INDICATORS)
    assert blocklist(anonymous, "?type=ipv4") == ["103.108.229.22", "45.61.136.14"]
    rows = list(csv.DictReader(io.StringIO(anonymous.get("/public/indicators.csv").text)))
    assert {(r["type"], r["value"]) for r in rows} == RELEASED_INDICATORS
    assert {r["report_id"] for r in rows} == {str(released.uuid)}
    assert all(r["first_seen"] and r["report_url"].endswith(f"/{released.uuid}/") for r in rows)

    # and the report's public page shows its text and indicators, not who shared it
    page = anonymous.get(links["alternate"].split("testserver")[-1])
    assert page.status_code == 200
    for text in (RELEASED_TITLE, RELEASED_SUMMARY, "Apply the fixed release today."):
        assert text in page.text
    assert all(value in page.text for _, value in RELEASED_INDICATORS)
    assert "Member A" not in page.text
    assert "analyst@a.test" not in page.text

    # and a TAXII client with no credentials reads the same report's STIX objects
    server = Server(f"{live_server.url}/public/taxii2/")
    assert server.title == "ISAC public TAXII 2.1 server"
    (collection,) = server.default.collections
    assert collection.id == str(PUBLIC_COLLECTION_ID)
    assert collection.can_read
    assert not collection.can_write
    pages = list(as_pages(collection.get_objects, per_request=3))
    served = [obj for page in pages for obj in page.get("objects", [])]
    assert_valid_stix(served)
    (report_object,) = [o for o in served if o["type"] == "report"]
    assert report_object["name"] == RELEASED_TITLE
    assert report_object["id"] == f"report--{released.uuid}"
    identities = [o for o in served if o["type"] == "identity"]
    assert [i["name"] for i in identities] == ["Test ISAC"]
    assert {o["value"] for o in served if o["type"] in ("ipv4-addr", "domain-name")} == {
        v for _, v in RELEASED_INDICATORS
    }
    manifest = [r for p in as_pages(collection.get_manifest, per_request=3) for r in p["objects"]]
    assert [r["id"] for r in manifest] == [o["id"] for o in served]
    assert collection.get_object(report_object["id"])["objects"][0]["name"] == RELEASED_TITLE

    # and the report's public STIX bundle passes the validator in strict mode
    bundle = anonymous.get(f"/public/reports/{released.uuid}/stix/").json()
    assert validate_parsed_json(bundle, STRICT).is_valid
    assert {o["id"] for o in bundle["objects"]} <= {o["id"] for o in served}

    # and nothing of the other reports is anywhere
    everything = (
        b"".join(
            anonymous.get(path).content
            for path in (
                "/public/",
                "/public/feed.atom",
                "/public/feed.rss",
                "/public/indicators.csv",
            )
        )
        + str(served).encode()
    )
    for secret in hidden_titles | hidden_values | {"Lapsed D"}:
        assert secret.encode() not in everything
    for hidden in (amber, kept_in, withdrawn, lapsed_report):
        assert anonymous.get(f"/public/reports/{hidden.uuid}/").status_code == 404
        assert anonymous.get(f"/public/reports/{hidden.uuid}/stix/").status_code == 404


# --- Changes reach the feed -----------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_a_revision_updates_the_feed_and_a_withdrawal_removes_the_report(
    isac_admin: User, analyst_a: User
) -> None:
    feed_on(isac_admin)
    report = release(analyst_a, title="Loader hosts", indicators_text="194.26.29.113")
    anonymous = Client()
    first = anonymous.get("/public/feed.atom")
    assert set(atom_entries(anonymous)) == {"Loader hosts"}
    assert blocklist(anonymous) == ["194.26.29.113"]

    # when the author revises the title and the indicators
    report_revise(
        report=report,
        by=acting(analyst_a),
        content=ReportContent(
            title="Loader hosts (updated)",
            summary=report.summary,
            body_markdown=report.body_markdown,
            tlp=TLP.CLEAR,
            public_release=True,
            indicators_text="194.26.29.113\n146.70.124.51",
        ),
    )

    # then the feed shows the new version, under a new ETag
    second = anonymous.get("/public/feed.atom")
    assert second["ETag"] != first["ETag"]
    assert set(atom_entries(anonymous)) == {"Loader hosts (updated)"}
    assert blocklist(anonymous) == ["146.70.124.51", "194.26.29.113"]
    objects = collection_objects(anonymous)
    assert "Loader hosts (updated)" in {o.get("name") for o in objects}

    # when the author withdraws it, then it leaves every public format at once
    report_withdraw(report=report, by=acting(analyst_a), reason="Sinkholed; no longer hostile.")
    assert atom_entries(anonymous) == {}
    assert blocklist(anonymous) == []
    assert collection_objects(anonymous) == []
    assert anonymous.get(f"/public/reports/{report.uuid}/").status_code == 404


def collection_objects(client: Client, query: str = "") -> list[dict[str, Any]]:
    path = f"/public/taxii2/clear/collections/{PUBLIC_COLLECTION_ID}/objects/{query}"
    response = client.get(path, HTTP_ACCEPT=TAXII_MEDIA_TYPE)
    assert response.status_code == 200, response.content[:300]
    objects: list[dict[str, Any]] = response.json().get("objects", [])
    return objects


@pytest.mark.django_db(transaction=True)
def test_a_version_kept_off_the_feed_stays_off_when_a_later_one_is_released(
    isac_admin: User, analyst_a: User
) -> None:
    # given a CLEAR report first shared for members only
    feed_on(isac_admin)
    report = release(analyst_a, public=False, title="Members-only first text")
    assert collection_objects(Client()) == []

    # when the author releases a new version to the public
    report_revise(
        report=report,
        by=acting(analyst_a),
        content=ReportContent(
            title="Released text", tlp=TLP.CLEAR, public_release=True, summary="For anyone."
        ),
        note="Released for anyone",
    )

    # then the release is recorded, and the public gets only the released version's objects
    event = AuditEvent.objects.get(action="report.public_release", object_id=str(report.uuid))
    assert event.before == {"public_release": False}
    assert event.after == {"public_release": True, "version": 2}
    assert ReportRevision.objects.get(report=report, number=1).public_release is False
    every_version = collection_objects(Client(), "?match[version]=all")
    names = {o.get("name") for o in every_version if o["type"] == "report"}
    assert names == {"Released text"}
    assert StixObject.objects.filter(report=report, data__name="Members-only first text").exists()


# --- The author's choice --------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("tlp", [TLP.GREEN, TLP.AMBER, TLP.AMBER_STRICT])
def test_public_release_of_a_narrower_report_is_refused_with_a_clear_reason(
    analyst_a: User, tlp: TLP
) -> None:
    with pytest.raises(ValidationError) as refused:
        release(analyst_a, tlp=tlp, title="Not for the public")
    assert "Only a TLP:CLEAR report can be released" in " ".join(refused.value.messages)
    assert not Report.objects.filter(
        title="Not for the public", status=Report.Status.PUBLISHED
    ).exists()


@pytest.mark.django_db
def test_the_form_offers_the_choice_and_the_report_page_and_api_show_it(
    isac_admin: User, analyst_a: User, peer_b: User, issue_token: Any
) -> None:
    author = signed_in(analyst_a)
    assert "Release on the ISAC&#x27;s public feed" in author.get("/reports/new/").text
    report = release(analyst_a, title="Shown as released")
    kept = release(analyst_a, public=False, title="Kept for members")
    page = signed_in(peer_b).get(f"/reports/{report.uuid}/")
    assert "Released by its author" in page.text
    # A member's tooling reads the same choice over the REST API.
    token = issue_token(peer_b, read_only=True)
    for shown, released in ((report, True), (kept, False)):
        api = Client().get(f"/api/v1/reports/{shown.uuid}/", HTTP_AUTHORIZATION=f"Bearer {token}")
        assert api.status_code == 200
        assert (api.json()["title"], api.json()["public_release"]) == (shown.title, released)
    assert reverse("public:report", args=[report.uuid]) not in page.text  # the feed is off
    feed_on(isac_admin)
    page = signed_in(peer_b).get(f"/reports/{report.uuid}/")
    assert reverse("public:report", args=[report.uuid]) in page.text
    edit = author.get(f"/reports/{report.uuid}/edit/")
    (checkbox,) = re.findall(r'<input type="checkbox" name="public_release"[^>]*>', edit.text)
    assert checkbox.endswith(" checked>")


@pytest.mark.django_db
def test_the_isacs_own_clear_report_can_be_released_by_a_curator(
    isac_admin: User, isac_curator: User
) -> None:
    feed_on(isac_admin)
    report = release(isac_curator, title="ISAC advisory", attributed=True)
    assert report.status == Report.Status.PUBLISHED
    assert set(atom_entries(Client())) == {"ISAC advisory"}


@pytest.mark.django_db
def test_an_attributed_report_names_its_member_and_an_unattributed_one_the_isac(
    isac_admin: User, analyst_a: User
) -> None:
    feed_on(isac_admin)
    named = release(analyst_a, title="Named", attributed=True)
    anonymous_one = release(analyst_a, title="Not named", attributed=False)
    entries = atom_entries(Client())
    assert entries["Named"].findtext(f"{ATOM}author/{ATOM}name") == "Member A"
    assert entries["Not named"].findtext(f"{ATOM}author/{ATOM}name") == "Test ISAC"
    assert "Member A" in Client().get(f"/public/reports/{named.uuid}/").text
    assert "Member A" not in Client().get(f"/public/reports/{anonymous_one.uuid}/").text


# --- The ISAC's switch ----------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_every_public_url_answers_404_while_the_feed_is_off(
    isac_admin: User, analyst_a: User
) -> None:
    report = release(analyst_a, title="Released, feed off")
    anonymous = Client()
    collection = f"/public/taxii2/clear/collections/{PUBLIC_COLLECTION_ID}"
    paths = [
        "/public/",
        "/public/feed.atom",
        "/public/feed.rss",
        "/public/indicators.txt",
        "/public/indicators.csv",
        f"/public/reports/{report.uuid}/",
        f"/public/reports/{report.uuid}/stix/",
    ]
    taxii_paths = [
        "/public/taxii2/",
        "/public/taxii2/clear/",
        "/public/taxii2/clear/collections/",
        f"{collection}/",
        f"{collection}/objects/",
        f"{collection}/manifest/",
        f"{collection}/objects/report--{report.uuid}/",
        f"{collection}/objects/report--{report.uuid}/versions/",
    ]
    assert len(paths) + len(taxii_paths) == len(public_urls.urlpatterns)

    def answers() -> list[int]:
        return [anonymous.get(p).status_code for p in paths] + [
            anonymous.get(p, HTTP_ACCEPT=TAXII_MEDIA_TYPE).status_code for p in taxii_paths
        ]

    assert set(answers()) == {404}
    feed_on(isac_admin)
    assert set(answers()) == {200}
    public_feed_set(enabled=False, by=acting(isac_admin))
    assert set(answers()) == {404}
    switches = AuditEvent.objects.filter(action__startswith="public_feed.").order_by("pk")
    assert [e.action for e in switches] == ["public_feed.enable", "public_feed.disable"]


@pytest.mark.django_db
def test_only_an_isac_admin_turns_the_feed_on(
    isac_admin: User, isac_curator: User, admin_a: User, outsider_c: User
) -> None:
    for person in (isac_curator, admin_a, outsider_c):
        client = signed_in(person)
        assert client.get("/isac/public-feed/").status_code == 404
        assert client.post("/isac/public-feed/", {"enabled": "on"}).status_code == 404
        with pytest.raises(PermissionDenied):
            public_feed_set(enabled=True, by=acting(person))
    assert not policy.public_feed_enabled()
    assert Client().get("/isac/public-feed/").status_code == 302  # to sign in

    admin = signed_in(isac_admin)
    assert "The feed is off" in admin.get("/isac/public-feed/").text
    admin.post("/isac/public-feed/", {"enabled": "on"})
    assert PublicFeed.objects.get().enabled
    assert "The feed is on" in admin.get("/isac/public-feed/").text
    event = AuditEvent.objects.get(action="public_feed.enable")
    assert event.actor == isac_admin
    assert (event.before, event.after) == ({"enabled": False}, {"enabled": True})


@pytest.mark.django_db
def test_a_report_leaves_the_feed_when_its_organisation_loses_good_standing(
    isac_admin: User, analyst_a: User, org_a: Organisation
) -> None:
    feed_on(isac_admin)
    release(analyst_a, title="From member A")
    assert set(atom_entries(Client())) == {"From member A"}
    agreement_acceptance_revoke(
        acceptance=AgreementAcceptance.objects.get(organisation=org_a),
        by=acting(isac_admin),
        reason="Agreement breached.",
    )
    assert atom_entries(Client()) == {}


# --- Caching and the rate limit -------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_pollers_get_caching_headers_and_304_until_the_feed_changes(
    isac_admin: User, analyst_a: User
) -> None:
    feed_on(isac_admin)
    release(analyst_a, title="First", indicators_text="45.61.136.14")
    poller = Client()
    first = poller.get("/public/indicators.txt")
    assert first["Cache-Control"] == "public, max-age=300"
    assert first["ETag"]
    assert first["Last-Modified"]

    again = poller.get("/public/indicators.txt", HTTP_IF_NONE_MATCH=first["ETag"])
    assert again.status_code == 304
    assert again.content == b""

    release(analyst_a, title="Second", indicators_text="103.108.229.22")
    changed = poller.get("/public/indicators.txt", HTTP_IF_NONE_MATCH=first["ETag"])
    assert changed.status_code == 200
    assert changed.text.splitlines() == ["103.108.229.22", "45.61.136.14"]


@pytest.mark.django_db
def test_a_client_over_the_rate_limit_is_told_when_to_come_back(
    settings: Any, isac_admin: User
) -> None:
    settings.PUBLIC_FEED_RATE_LIMIT = "3/min"
    feed_on(isac_admin)
    greedy = Client(REMOTE_ADDR="192.0.2.77")
    answers = [greedy.get("/public/indicators.txt").status_code for _ in range(4)]
    assert answers == [200, 200, 200, 429]
    refused = greedy.get("/public/feed.atom")
    assert refused.status_code == 429
    assert int(refused["Retry-After"]) > 0
    taxii = greedy.get("/public/taxii2/", HTTP_ACCEPT=TAXII_MEDIA_TYPE)
    assert taxii.status_code == 429
    assert taxii.json()["http_status"] == "429"
    assert Client(REMOTE_ADDR="192.0.2.78").get("/public/indicators.txt").status_code == 200


@pytest.mark.django_db
def test_an_unknown_indicator_type_is_refused_with_the_known_ones(isac_admin: User) -> None:
    feed_on(isac_admin)
    response = Client().get("/public/indicators.txt?type=ipv4,bogus")
    assert response.status_code == 400
    assert "Unknown indicator type: bogus" in response.text
    assert "domain" in response.text


# --- Nothing else --------------------------------------------------------------------------


def _filled(route: str, *, reports: list[Report]) -> list[str]:
    """Concrete paths for a public route, with each hidden report (or its STIX report id)
    wherever the route takes one."""
    route = route.replace("<str:collection_id>", str(PUBLIC_COLLECTION_ID))
    if "<uuid:report_uuid>" in route:
        return [route.replace("<uuid:report_uuid>", str(r.uuid)) for r in reports]
    if "<str:object_id>" in route:
        return [route.replace("<str:object_id>", f"report--{r.uuid}") for r in reports]
    return [route]


@pytest.mark.django_db
def test_no_public_url_answers_for_a_report_that_is_not_released(
    isac_admin: User, analyst_a: User, outsider_c: User
) -> None:
    # given every kind of report that must stay off the feed, with the feed on
    feed_on(isac_admin)
    marker = "ZQX-NOT-PUBLIC"
    hidden = [
        shared(analyst_a, TLP.AMBER, title=f"{marker} amber", audience_everyone=True),
        shared(analyst_a, TLP.GREEN, title=f"{marker} green", audience_everyone=True),
        release(analyst_a, public=False, title=f"{marker} clear kept in"),
    ]
    withdrawn = release(analyst_a, title=f"{marker} withdrawn")
    report_withdraw(report=withdrawn, by=acting(analyst_a), reason="Wrong.")
    hidden.append(withdrawn)

    # when anyone (another member signed in, or nobody) walks every public URL with them
    member = Client()
    assert member.login(username=outsider_c.email, password=PASSWORD)
    problems = []
    for client in (Client(), member):
        for pattern in public_urls.urlpatterns:
            route = str(pattern.pattern)
            for path in _filled(route, reports=hidden):
                response = client.get(f"/public/{path}", HTTP_ACCEPT=f"{TAXII_MEDIA_TYPE}, */*")
                if marker.encode() in response.content:
                    problems.append(f"{path} shows a report that is not released")
                names_a_report = "report_uuid" in route or "object_id" in route
                if names_a_report and response.status_code != 404:
                    problems.append(f"{path}: {response.status_code}, not 404")

    # then nothing of them comes back
    assert not problems, "\n".join(problems)


@pytest.mark.django_db
def test_public_lists_cost_the_same_queries_however_many_reports_they_carry(
    isac_admin: User, analyst_a: User, django_assert_max_num_queries: Any
) -> None:
    feed_on(isac_admin)
    paths = ["/public/", "/public/feed.atom", "/public/feed.rss", "/public/indicators.csv"]

    def queries_for(total: int) -> None:
        while Report.objects.filter(public_release=True).count() < total:
            report_row(
                author=analyst_a,
                tlp=TLP.CLEAR,
                title=f"Released {total}",
                public_release=True,
                attributed=total % 2 == 0,
            )
        for path in paths:
            with django_assert_max_num_queries(8):
                assert Client().get(path).status_code == 200

    queries_for(2)
    queries_for(30)


@pytest.mark.django_db
def test_the_feed_answers_the_same_from_the_cache_and_while_the_cache_is_away(
    client: Client, isac_admin: User, analyst_a: User
) -> None:
    feed_on(isac_admin)
    release(analyst_a, title=RELEASED_TITLE, summary=RELEASED_SUMMARY)
    drawn = client.get("/public/feed.atom")
    from_cache = client.get("/public/feed.atom")
    with override_settings(CACHES=REDIS_AWAY):
        without_cache = client.get("/public/feed.atom")

    assert drawn.status_code == from_cache.status_code == without_cache.status_code == 200
    assert RELEASED_TITLE in drawn.text
    assert from_cache.content == drawn.content
    assert without_cache.content == drawn.content
