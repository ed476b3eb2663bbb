"""MISP feeds: what a member's MISP instance pulls from a feed or trust group, read with the
MISP project's own library (PyMISP) and a consumer that fetches as MISP's feed fetcher does."""

import csv
import hashlib
import io
import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pymisp
import pytest
from django.test import Client
from django.urls import reverse
from pymisp import MISPEvent

from accounts.models import Membership, Organisation, Sector, TrustGroup, User
from accounts.services.organisations import organisation_create
from sharing import policy
from sharing.formats.misp import MISP_TYPES
from sharing.indicator_types import IndicatorType
from sharing.models import Feed, Report
from sharing.services import ReportContent, report_revise, report_withdraw
from sharing.tlp import TLP
from tests.fixtures.members import acting, signed_in
from tests.fixtures.personas import make_person
from tests.fixtures.reports import shared
from tests.fixtures.taxii import IssueToken
from tests.misp_consumer import MispFeedConsumer, body_of, unix

pytestmark = pytest.mark.django_db

# One value of every type the portal extracts, as an analyst would write them.
EVERY_TYPE = {
    IndicatorType.IPV4: "193.42.33.14",
    IndicatorType.IPV6: "2a03:2880:f12f:83:face:b00c:0:25de",
    IndicatorType.CIDR: "103.97.176.0/22",
    IndicatorType.DOMAIN: "pay-invoice-portal.top",
    IndicatorType.URL: "https://pay-invoice-portal.top/auth/view.php?ref=q4",
    IndicatorType.EMAIL: "billing@invoice-cloud-portal.net",
    IndicatorType.MD5: "44d88612fea8a8f36de82e1278abb02f",
    IndicatorType.SHA1: "2689eb83927eb35316470eccb02e6ce51244f004",
    IndicatorType.SHA256: "1f263ff8b9d0e5310ae28fd7c1ac09aad6521e6399748cd9a0c74ea66b4e953f",
    IndicatorType.SHA512: (
        "eca0944df0328fbdd8e652815b7e0918a8ae36d9c64f17b36aa3cd9bf91946ca"
        "184ebb204e28906f07c68e17d8dff19bf2b127dfe62c7fbf76e942bff408615d"
    ),
    IndicatorType.CVE: "CVE-2024-3400",
    IndicatorType.ASN: "AS44477",
    IndicatorType.ATTACK_TECHNIQUE: "T1566.002",
    IndicatorType.CRYPTO_WALLET: "bc1q2h0fhw06q02zdxw4f72km70r8asx8tmqha9p87",
    IndicatorType.REGISTRY_KEY: (
        "HKEY_CURRENT_USER\\Software\\Microsoft\\Windows\\CurrentVersion\\Run"
    ),
    IndicatorType.MUTEX: "Local\\AKR-2026-mtx",
    IndicatorType.FILE_NAME: "sync.js",
    IndicatorType.USER_AGENT: "python-requests/2.31.0",
    IndicatorType.JA3: "72d9285ef73cfdb8382c09f141f05a0f",
    IndicatorType.JA4: "t13d1516h2_8daaf6152771_e5627efa2ab1",
}
ETHEREUM = "0x52908400098527886E0F7030069857D2E4169EE7"
BODY = f"""Loader campaign against the billing segment.

The lure came from {EVERY_TYPE[IndicatorType.EMAIL]} and linked to
{EVERY_TYPE[IndicatorType.URL]} on {EVERY_TYPE[IndicatorType.DOMAIN]}.
The payload beaconed to {EVERY_TYPE[IndicatorType.IPV4]} and {EVERY_TYPE[IndicatorType.IPV6]};
the operators rent {EVERY_TYPE[IndicatorType.CIDR]} from {EVERY_TYPE[IndicatorType.ASN]}.
Hashes: MD5 {EVERY_TYPE[IndicatorType.MD5]}, SHA-1 {EVERY_TYPE[IndicatorType.SHA1]},
SHA-512 {EVERY_TYPE[IndicatorType.SHA512]}
It exploits {EVERY_TYPE[IndicatorType.CVE]},
after phishing {EVERY_TYPE[IndicatorType.ATTACK_TECHNIQUE]}.
Dropped file: sync.js - {EVERY_TYPE[IndicatorType.SHA256]}
Persistence: HKCU\\Software\\Microsoft\\Windows\\CurrentVersion\\Run
Mutex: "Local\\\\AKR-2026-mtx".
It sends the user agent "python-requests/2.31.0".
Client fingerprint (JA3) {EVERY_TYPE[IndicatorType.JA3]} and JA4 {EVERY_TYPE[IndicatorType.JA4]}.
Ransom wallets: {EVERY_TYPE[IndicatorType.CRYPTO_WALLET]} and {ETHEREUM}
"""

DESCRIBE_TYPES = json.loads(
    (Path(pymisp.__file__).parent / "data" / "describeTypes.json").read_text()
)["result"]


def feed_url(feed: Feed) -> str:
    return reverse("misp:feed-manifest", args=[feed.uuid]).removesuffix("manifest.json")


def group_url(group: TrustGroup) -> str:
    return reverse("misp:group-manifest", args=[group.uuid]).removesuffix("manifest.json")


def get(client: Client, url: str, token: str | None, **headers: str) -> Any:
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    return client.get(url, headers=headers)


@pytest.fixture
def share_now(django_capture_on_commit_callbacks: Callable[..., Any]) -> Callable[..., Report]:
    """Share a report and run its normalisation (in-process) before returning it."""

    def share(author: User, tlp: TLP, **fields: Any) -> Report:
        with django_capture_on_commit_callbacks(execute=True):
            report = shared(author, tlp, **fields)
        report.refresh_from_db()
        return report

    return share


@pytest.fixture
def unsigned_e(energy: Sector) -> User:
    """An analyst of an active member that has not accepted the agreement (not in good
    standing): may read TLP:CLEAR on the site, pulls nothing into MISP."""
    org = organisation_create(
        name="Unsigned E", by=None, sectors=[energy], status=Organisation.Status.ACTIVE
    )
    return make_person("analyst@e.test", org, Membership.Role.ANALYST)


# --- The mapping ---------------------------------------------------------------------------


def test_every_portal_indicator_type_has_a_misp_type_and_category_misp_accepts() -> None:
    assert set(MISP_TYPES) == set(IndicatorType)
    for kind, mapped in MISP_TYPES.items():
        assert mapped.type in DESCRIBE_TYPES["types"], kind
        assert mapped.type in DESCRIBE_TYPES["category_type_mappings"][mapped.category], kind


# --- What a member's MISP reads ------------------------------------------------------------


def test_a_members_misp_loads_every_indicator_type_with_misp_types_tags_and_ids_flags(
    share_now: Callable[..., Report],
    analyst_a: User,
    peer_b: User,
    isac_org: Organisation,
    everything_feed: Feed,
    client: Client,
    issue_token: IssueToken,
) -> None:
    # given: an AMBER+STRICT report naming a value of every type, not attributed to member A
    report = share_now(
        analyst_a, TLP.AMBER_STRICT, title="Loader campaign", body_markdown=BODY, attributed=False
    )
    token = issue_token(peer_b, read_only=True)

    # when: member B's MISP reads the manifest and the event
    manifest = json.loads(body_of(get(client, feed_url(everything_feed) + "manifest.json", token)))
    response = get(client, feed_url(everything_feed) + f"{report.uuid}.json", token)
    event = MISPEvent()
    event.load(response.content.decode())

    # then: the manifest names the ISAC as source, the TLP 2.0 tag and the event's version
    entry = manifest[str(report.uuid)]
    assert entry["Orgc"] == {"name": isac_org.name, "uuid": str(isac_org.uuid)}
    assert [tag["name"] for tag in entry["Tag"]] == ["tlp:amber+strict"]
    assert entry["info"] == "Loader campaign"
    assert entry["timestamp"] == unix(event.timestamp)
    assert {"date", "analysis", "threat_level_id"} <= set(entry)

    # and: the event as MISP loads it: same source and tag, every value with its MISP type
    assert event.uuid == str(report.uuid)
    assert event.Orgc.name == isac_org.name
    assert [tag.name for tag in event.tags] == ["tlp:amber+strict"]
    # (a JA3 fingerprint is an MD5 too: the same value may come with two types)
    by_value = {(attribute.type, attribute.value): attribute for attribute in event.attributes}
    for kind, value in EVERY_TYPE.items():
        if kind == IndicatorType.JA4:
            continue  # an object, below
        attribute = by_value[MISP_TYPES[kind].type, value]
        assert attribute.category == MISP_TYPES[kind].category, kind
        assert attribute.to_ids is MISP_TYPES[kind].to_ids, kind
        assert not attribute.deleted
    assert by_value["ip-dst", EVERY_TYPE[IndicatorType.IPV4]].to_ids is True
    assert by_value["vulnerability", EVERY_TYPE[IndicatorType.CVE]].to_ids is False

    # and: MISP's object templates where MISP models the value as one
    objects = {obj.name: obj for obj in event.objects}
    ja4 = {a.object_relation: a.value for a in objects["ja4-plus"].attributes}
    assert ja4 == {"ja4-fingerprint": EVERY_TYPE[IndicatorType.JA4], "ja4-type": "ja4"}
    coin = {a.object_relation: a.value for a in objects["coin-address"].attributes}
    assert coin == {"address-crypto": ETHEREUM, "symbol": "ETH"}
    # and: the report's text as the event report
    assert "Loader campaign against the billing segment" in event.event_reports[0].content


def test_an_attributed_report_names_its_member_and_hashes_list_every_value(
    share_now: Callable[..., Report],
    analyst_a: User,
    peer_b: User,
    org_a: Organisation,
    everything_feed: Feed,
    client: Client,
    issue_token: IssueToken,
) -> None:
    report = share_now(
        analyst_a, TLP.CLEAR, indicators_text="193.42.33.14\nevil-updates.top", attributed=True
    )
    token = issue_token(peer_b)

    manifest = json.loads(body_of(get(client, feed_url(everything_feed) + "manifest.json", token)))
    hashes = body_of(get(client, feed_url(everything_feed) + "hashes.csv", token)).decode()

    assert manifest[str(report.uuid)]["Orgc"] == {"name": org_a.name, "uuid": str(org_a.uuid)}
    assert manifest[str(report.uuid)]["Tag"][0]["name"] == "tlp:clear"
    rows = set(map(tuple, csv.reader(io.StringIO(hashes))))
    for value in ("193.42.33.14", "evil-updates.top"):
        assert (hashlib.md5(value.encode()).hexdigest(), str(report.uuid)) in rows


def test_misp_refetches_exactly_the_revised_event_and_sees_a_withdrawal_as_deleted_attributes(
    share_now: Callable[..., Report],
    analyst_a: User,
    peer_b: User,
    everything_feed: Feed,
    client: Client,
    issue_token: IssueToken,
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    # given: two reports, pulled once by member B's MISP
    first = share_now(analyst_a, TLP.GREEN, title="First", indicators_text="first-c2.top")
    second = share_now(analyst_a, TLP.GREEN, title="Second", indicators_text="193.42.33.77")
    misp = MispFeedConsumer(client, feed_url(everything_feed), issue_token(peer_b))
    assert sorted(misp.pull()) == sorted([str(first.uuid), str(second.uuid)])
    # and: nothing changed, nothing fetched (the manifest answers 304)
    assert misp.pull() == []

    # when: the first is revised with a new indicator (MISP timestamps are whole seconds)
    time.sleep(1.1)
    with django_capture_on_commit_callbacks(execute=True):
        report_revise(
            report=first,
            by=acting(analyst_a),
            content=ReportContent(
                title="First, revised",
                tlp=TLP.GREEN,
                audience_everyone=True,
                indicators_text="first-c2.top\nsecond-c2.top",
            ),
        )

    # then: exactly the revised event is fetched again, with the new value
    assert misp.pull() == [str(first.uuid)]
    revised = misp.events[str(first.uuid)]
    assert revised.info == "First, revised"
    assert {a.value for a in revised.attributes if not a.deleted} == {
        "first-c2.top",
        "second-c2.top",
    }

    # when: a second revision takes the first value out (a false positive)
    time.sleep(1.1)
    with django_capture_on_commit_callbacks(execute=True):
        report_revise(
            report=first,
            by=acting(analyst_a),
            content=ReportContent(
                title="First, revised",
                tlp=TLP.GREEN,
                audience_everyone=True,
                indicators_text="second-c2.top",
            ),
        )

    # then: MISP fetches it again and the dropped value's attribute is deleted, not missing
    assert misp.pull() == [str(first.uuid)]
    state = {a.value: a.deleted for a in misp.events[str(first.uuid)].attributes}
    assert state == {"first-c2.top": True, "second-c2.top": False}
    assert hashlib.md5(b"first-c2.top").hexdigest() not in {md5 for md5, _ in misp.hashes}

    # when: the second is withdrawn
    time.sleep(1.1)
    report_withdraw(report=second, by=acting(analyst_a), reason="A sinkhole, not the actor.")

    # then: MISP fetches it again: still listed, every attribute deleted, its hash gone
    assert misp.pull() == [str(second.uuid)]
    withdrawn = misp.events[str(second.uuid)]
    assert withdrawn.info.startswith("[Withdrawn]")
    assert withdrawn.attributes
    assert all(attribute.deleted for attribute in withdrawn.attributes)
    assert str(second.uuid) in misp.manifest
    assert str(second.uuid) not in {event_uuid for _, event_uuid in misp.hashes}
    assert misp.pull() == []


def test_a_poll_of_an_unchanged_feed_costs_a_304(
    share_now: Callable[..., Report],
    analyst_a: User,
    peer_b: User,
    everything_feed: Feed,
    client: Client,
    issue_token: IssueToken,
) -> None:
    report = share_now(analyst_a, TLP.GREEN, indicators_text="cheap-poll.top")
    token = issue_token(peer_b)
    url = feed_url(everything_feed)

    first = get(client, url + "manifest.json", token)
    event = get(client, url + f"{report.uuid}.json", token)

    assert first.status_code == 200
    assert first["Cache-Control"] == "private, no-store"
    assert "Authorization" in first["Vary"]
    for response, name in ((first, "manifest.json"), (event, f"{report.uuid}.json")):
        etag, modified = response["ETag"], response["Last-Modified"]
        assert get(client, url + name, token, **{"If-None-Match": etag}).status_code == 304
        assert get(client, url + name, token, **{"If-Modified-Since": modified}).status_code == 304
    # and: the cached manifest is the same document as the one first written
    assert body_of(get(client, url + "manifest.json", token)) == body_of(first)


def test_a_trust_groups_feed_holds_what_was_addressed_to_the_group(
    share_now: Callable[..., Report],
    analyst_a: User,
    peer_b: User,
    outsider_c: User,
    circle: TrustGroup,
    client: Client,
    issue_token: IssueToken,
) -> None:
    report = share_now(
        analyst_a, TLP.AMBER, indicators_text="circle-c2.top", audience_groups=[circle]
    )
    elsewhere = share_now(analyst_a, TLP.GREEN, indicators_text="everyone-c2.top")

    misp = MispFeedConsumer(client, group_url(circle), issue_token(peer_b))
    assert misp.pull() == [str(report.uuid)]
    assert str(elsewhere.uuid) not in misp.manifest
    assert [a.value for a in misp.events[str(report.uuid)].attributes] == ["circle-c2.top"]
    # the outsider's token does not find the group at all
    outsider = issue_token(outsider_c)
    assert get(client, group_url(circle) + "manifest.json", outsider).status_code == 404


def test_the_feed_and_group_pages_show_the_misp_settings(
    peer_b: User, everything_feed: Feed, circle: TrustGroup
) -> None:
    feed_page = signed_in(peer_b).get(reverse("fanout:feed-detail", args=[everything_feed.uuid]))
    group_page = signed_in(peer_b).get(reverse("group-detail", args=[circle.uuid]))

    for page, url in ((feed_page, feed_url(everything_feed)), (group_page, group_url(circle))):
        text = page.content.decode()
        assert f"http://testserver{url}" in text
        assert "MISP Feed" in text
        assert "Authorization: Bearer &lt;API token&gt;" in text


def test_a_report_downloads_as_a_misp_event(
    share_now: Callable[..., Report], analyst_a: User, peer_b: User
) -> None:
    report = share_now(analyst_a, TLP.GREEN, indicators_text="download-c2.top")

    response = signed_in(peer_b).get(reverse("report-misp", args=[report.uuid]))

    event = MISPEvent()
    event.load(response.content.decode())
    assert [(a.type, a.value) for a in event.attributes] == [("domain", "download-c2.top")]


# --- What must not reach anyone else -------------------------------------------------------


def test_a_member_outside_the_audience_learns_nothing_of_the_event(
    share_now: Callable[..., Report],
    analyst_a: User,
    org_b: Organisation,
    outsider_c: User,
    everything_feed: Feed,
    client: Client,
    issue_token: IssueToken,
) -> None:
    report = share_now(
        analyst_a, TLP.AMBER, indicators_text="amber-only.top", audience_organisations=[org_b]
    )
    token = issue_token(outsider_c)
    url = feed_url(everything_feed)

    manifest = body_of(get(client, url + "manifest.json", token)).decode()
    hashes = body_of(get(client, url + "hashes.csv", token)).decode()
    event = get(client, url + f"{report.uuid}.json", token)

    assert str(report.uuid) not in manifest
    assert str(report.uuid) not in hashes
    assert hashlib.md5(b"amber-only.top").hexdigest() not in hashes
    # the same answer as for an event that does not exist
    assert event.status_code == 404
    assert "amber-only" not in event.content.decode()


def test_red_never_appears_in_a_misp_feed(
    share_now: Callable[..., Report],
    analyst_a: User,
    peer_b: User,
    everything_feed: Feed,
    client: Client,
    issue_token: IssueToken,
) -> None:
    report = share_now(analyst_a, TLP.RED, indicators_text="red-only.top", audience_people=[peer_b])
    token = issue_token(peer_b)
    url = feed_url(everything_feed)

    manifest = body_of(get(client, url + "manifest.json", token)).decode()
    hashes = body_of(get(client, url + "hashes.csv", token)).decode()

    assert signed_in(peer_b).get(reverse("report-detail", args=[report.uuid])).status_code == 200
    assert str(report.uuid) not in manifest
    assert "tlp:red" not in manifest
    assert hashlib.md5(b"red-only.top").hexdigest() not in hashes
    assert get(client, url + f"{report.uuid}.json", token).status_code == 404


@pytest.mark.parametrize(
    "authorization",
    [None, "Bearer not-a-token", "Basic !!!", "Token abc"],
    ids=["absent", "invalid", "malformed", "unknown-scheme"],
)
def test_a_feed_without_a_valid_token_is_refused(
    authorization: str | None,
    share_now: Callable[..., Report],
    analyst_a: User,
    everything_feed: Feed,
    client: Client,
) -> None:
    report = share_now(analyst_a, TLP.CLEAR, indicators_text="clear-c2.top")
    headers = {"Authorization": authorization} if authorization else {}

    for name in ("manifest.json", "hashes.csv", f"{report.uuid}.json"):
        response = client.get(feed_url(everything_feed) + name, headers=headers)
        assert response.status_code == 401
        assert "clear-c2" not in response.content.decode()
        assert response["WWW-Authenticate"].startswith("Bearer")


def test_an_organisation_not_in_good_standing_pulls_nothing(
    share_now: Callable[..., Report],
    analyst_a: User,
    unsigned_e: User,
    suspended_d: User,
    everything_feed: Feed,
    circle: TrustGroup,
    client: Client,
    issue_token: IssueToken,
) -> None:
    report = share_now(analyst_a, TLP.CLEAR, indicators_text="clear-for-all.top")
    url = feed_url(everything_feed)

    for person in (unsigned_e, suspended_d):
        # the token is refused at the door...
        token = issue_token(person)
        for name in ("manifest.json", "hashes.csv", f"{report.uuid}.json"):
            response = get(client, url + name, token)
            assert response.status_code == 401
            assert str(report.uuid) not in body_of(response).decode()
        # ...and the policy behind it yields nothing either, though the site shows CLEAR
        viewer = acting(person)
        assert policy.visible_to(viewer).filter(pk=report.pk).exists()
        assert not policy.kept_in_step(viewer, policy.Channel.MISP_FEED).exists()


def test_a_feed_refuses_writes(
    peer_b: User, everything_feed: Feed, issue_token: IssueToken
) -> None:
    response = Client().post(
        feed_url(everything_feed) + "manifest.json",
        HTTP_AUTHORIZATION=f"Bearer {issue_token(peer_b)}",
    )
    assert response.status_code == 405
    assert response["Allow"] == "GET, HEAD"
