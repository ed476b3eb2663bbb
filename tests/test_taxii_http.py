"""The TAXII 2.1 server over plain HTTP: error cases, access policy and paging."""

import base64
import json
from datetime import timedelta
from typing import Any

import pytest
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext, override_settings
from django.utils import timezone

from accounts.api.authentication import PerTokenRateThrottle
from accounts.models import User
from accounts.services.groups import group_create
from sharing.models import StixObject, Submission
from sharing.taxii.protocol import TAXII_MEDIA_TYPE, format_timestamp
from sharing.taxii.selectors import INBOX_ID, SHARED_WITH_ME_ID
from sharing.tlp import TLP
from tests.fixtures.taxii import AddIndicator, IssueToken, MakeReport

ROOT = "/taxii2/portal/"
SHARED = f"{ROOT}collections/{SHARED_WITH_ME_ID}/"
INBOX = f"{ROOT}collections/{INBOX_ID}/"


def get(client: Client, url: str, token: str | None, **params: Any) -> Any:
    headers: dict[str, Any] = {"HTTP_ACCEPT": TAXII_MEDIA_TYPE}
    if token:
        headers["HTTP_AUTHORIZATION"] = f"Bearer {token}"
    return client.get(url, params, **headers)


def post_envelope(client: Client, token: str, body: bytes, **extra: Any) -> Any:
    headers: dict[str, Any] = {
        "HTTP_ACCEPT": TAXII_MEDIA_TYPE,
        "HTTP_AUTHORIZATION": f"Bearer {token}",
    }
    headers.update(extra)
    content_type = headers.pop("content_type", TAXII_MEDIA_TYPE)
    return client.post(f"{INBOX}objects/", body, content_type=content_type, **headers)


def ids_of(response: Any) -> list[str]:
    return [obj["id"] for obj in response.json().get("objects", [])]


def test_discovery_without_a_token_is_a_taxii_401(client: Client, db: None) -> None:
    response = get(client, "/taxii2/", None)

    assert response.status_code == 401
    assert response["Content-Type"] == TAXII_MEDIA_TYPE
    assert response.json()["http_status"] == "401"
    assert "Basic" in response["WWW-Authenticate"]


def test_client_speaking_only_basic_authenticates_with_the_token_as_password(
    client: Client, analyst_a: User, issue_token: IssueToken
) -> None:
    token = issue_token(analyst_a)
    basic = base64.b64encode(f"soc-tool:{token}".encode()).decode()

    response = client.get(
        "/taxii2/", HTTP_ACCEPT=TAXII_MEDIA_TYPE, HTTP_AUTHORIZATION=f"Basic {basic}"
    )

    assert response.status_code == 200
    assert response.json()["api_roots"] == ["http://testserver/taxii2/portal/"]


def test_wrong_token_is_refused(client: Client, db: None) -> None:
    response = get(client, "/taxii2/", "isac_abcd1234_not-the-secret")

    assert response.status_code == 401
    assert response.json()["title"] == "Authentication failed"


def test_accept_the_server_cannot_serve_is_a_406(
    client: Client, analyst_a: User, issue_token: IssueToken
) -> None:
    token = issue_token(analyst_a)

    response = client.get(
        "/taxii2/", HTTP_ACCEPT="application/json", HTTP_AUTHORIZATION=f"Bearer {token}"
    )

    assert response.status_code == 406
    assert response["Content-Type"] == TAXII_MEDIA_TYPE


def test_api_root_lists_version_and_size_limit(
    client: Client, analyst_a: User, issue_token: IssueToken
) -> None:
    response = get(client, ROOT, issue_token(analyst_a))

    assert response.status_code == 200
    assert response.json()["versions"] == [TAXII_MEDIA_TYPE]
    assert response.json()["max_content_length"] > 0


def test_member_sees_shared_collection_and_writable_inbox(
    client: Client, analyst_a: User, issue_token: IssueToken
) -> None:
    response = get(client, f"{ROOT}collections/", issue_token(analyst_a))

    collections = {c["id"]: c for c in response.json()["collections"]}
    assert collections[str(SHARED_WITH_ME_ID)]["can_write"] is False
    assert collections[str(INBOX_ID)]["can_write"] is True


def test_unknown_collection_is_404(
    client: Client, analyst_a: User, issue_token: IssueToken
) -> None:
    response = get(client, f"{ROOT}collections/not-a-collection/objects/", issue_token(analyst_a))

    assert response.status_code == 404
    assert response.json()["http_status"] == "404"


def test_outsider_cannot_see_amber_report_via_taxii(
    client: Client,
    analyst_a: User,
    peer_b: User,
    outsider_c: User,
    published_report: MakeReport,
    add_indicator: AddIndicator,
    issue_token: IssueToken,
) -> None:
    # given an AMBER report addressed to the energy sector, which C is not in
    report = published_report(
        author=analyst_a,
        tlp=TLP.AMBER,
        everyone=False,
    )
    report.audience_sectors.set(report.organisation.sectors.all())
    obj = add_indicator(report)

    # when B (same sector) and C (other sector) poll
    as_b = issue_token(peer_b)
    as_c = issue_token(outsider_c)

    # then only B receives it, and C gets 404 for it by id
    assert ids_of(get(client, f"{SHARED}objects/", as_b)) == [obj.stix_id]
    assert ids_of(get(client, f"{SHARED}objects/", as_c)) == []
    assert get(client, f"{SHARED}objects/{obj.stix_id}/", as_c).status_code == 404
    assert get(client, f"{SHARED}objects/{obj.stix_id}/versions/", as_c).status_code == 404


def test_red_report_never_appears_over_taxii_even_for_its_named_reader(
    client: Client,
    analyst_a: User,
    peer_b: User,
    published_report: MakeReport,
    add_indicator: AddIndicator,
    issue_token: IssueToken,
) -> None:
    report = published_report(
        author=analyst_a,
        tlp=TLP.RED,
        everyone=False,
        people=(peer_b,),
    )
    obj = add_indicator(report)
    token = issue_token(peer_b)

    assert ids_of(get(client, f"{SHARED}objects/", token)) == []
    assert get(client, f"{SHARED}objects/{obj.stix_id}/", token).status_code == 404
    assert get(client, f"{SHARED}manifest/", token).json() == {"more": False}
    assert ids_of(get(client, f"{INBOX}objects/", issue_token(analyst_a))) == []


def test_paging_neither_skips_nor_repeats_objects_sharing_a_date_added(
    client: Client,
    analyst_a: User,
    peer_b: User,
    published_report: MakeReport,
    add_indicator: AddIndicator,
    issue_token: IssueToken,
) -> None:
    # given 25 objects, most added in the same microsecond
    report = published_report(author=analyst_a)
    same_moment = timezone.now() - timedelta(hours=1)
    expected = [
        add_indicator(report, value=f"d{i}.example", date_added=same_moment).stix_id
        for i in range(22)
    ] + [add_indicator(report, value=f"late{i}.example").stix_id for i in range(3)]
    token = issue_token(peer_b)

    # when a client walks the pages of 7
    seen: list[str] = []
    params: dict[str, Any] = {"limit": "7"}
    pages = 0
    while True:
        response = get(client, f"{SHARED}objects/", token, **params)
        assert response.status_code == 200
        assert response["X-TAXII-Date-Added-First"]
        assert response["X-TAXII-Date-Added-Last"]
        body = response.json()
        seen += [obj["id"] for obj in body["objects"]]
        pages += 1
        if not body["more"]:
            break
        params = {"limit": "7", "next": body["next"]}

    # then every object came exactly once, in the order they were added
    assert pages == 4
    assert seen == expected


def test_server_caps_the_page_size(
    client: Client, analyst_a: User, issue_token: IssueToken
) -> None:
    response = get(client, f"{SHARED}objects/", issue_token(analyst_a), limit="100000")

    assert response.status_code == 200


def test_forged_next_cursor_is_a_400(
    client: Client, analyst_a: User, issue_token: IssueToken
) -> None:
    response = get(client, f"{SHARED}objects/", issue_token(analyst_a), next="MjAyNnwx.forged")

    assert response.status_code == 400
    assert response["Content-Type"] == TAXII_MEDIA_TYPE


def test_version_filters_choose_first_last_all_or_a_timestamp(
    client: Client,
    analyst_a: User,
    peer_b: User,
    published_report: MakeReport,
    add_indicator: AddIndicator,
    issue_token: IssueToken,
) -> None:
    report = published_report(author=analyst_a)
    t0 = timezone.now() - timedelta(days=3)
    versions = [t0, t0 + timedelta(days=1), t0 + timedelta(days=2)]
    first = add_indicator(report, modified=versions[0])
    for modified in versions[1:]:
        add_indicator(report, stix_id=first.stix_id, modified=modified)
    token = issue_token(peer_b)
    url = f"{SHARED}objects/{first.stix_id}/"

    def modified_of(**params: Any) -> list[str]:
        return [o["modified"] for o in get(client, url, token, **params).json()["objects"]]

    stamps = [format_timestamp(v) for v in versions]
    assert modified_of() == [stamps[2]]
    assert modified_of(**{"match[version]": "first"}) == [stamps[0]]
    assert modified_of(**{"match[version]": "all"}) == stamps
    assert modified_of(**{"match[version]": stamps[1]}) == [stamps[1]]
    assert modified_of(**{"match[version]": "first,last"}) == [stamps[0], stamps[2]]
    versions_body = get(client, f"{url}versions/", token).json()
    assert versions_body == {"more": False, "versions": stamps}


def test_added_after_type_and_spec_version_filters(
    client: Client,
    analyst_a: User,
    peer_b: User,
    published_report: MakeReport,
    add_indicator: AddIndicator,
    issue_token: IssueToken,
) -> None:
    report = published_report(author=analyst_a)
    old = add_indicator(report, date_added=timezone.now() - timedelta(days=2))
    new = add_indicator(report, date_added=timezone.now())
    token = issue_token(peer_b)
    cutoff = format_timestamp(timezone.now() - timedelta(days=1))

    assert ids_of(get(client, f"{SHARED}objects/", token, added_after=cutoff)) == [new.stix_id]
    assert ids_of(get(client, f"{SHARED}objects/", token, **{"match[type]": "malware"})) == []
    assert ids_of(get(client, f"{SHARED}objects/", token, **{"match[spec_version]": "2.1"})) == [
        old.stix_id,
        new.stix_id,
    ]
    by_id = get(client, f"{SHARED}objects/", token, **{"match[id]": old.stix_id})
    assert ids_of(by_id) == [old.stix_id]


def test_manifest_lists_versions_and_media_types(
    client: Client,
    analyst_a: User,
    peer_b: User,
    published_report: MakeReport,
    add_indicator: AddIndicator,
    issue_token: IssueToken,
) -> None:
    report = published_report(author=analyst_a)
    obj = add_indicator(report)

    response = get(client, f"{SHARED}manifest/", issue_token(peer_b))

    assert response.json()["objects"] == [
        {
            "id": obj.stix_id,
            "date_added": format_timestamp(obj.date_added),
            "version": format_timestamp(obj.modified),
            "media_type": "application/stix+json;version=2.1",
        }
    ]
    assert response["X-TAXII-Date-Added-First"] == format_timestamp(obj.date_added)


def test_objects_page_query_count_does_not_grow_with_objects(
    client: Client,
    analyst_a: User,
    peer_b: User,
    published_report: MakeReport,
    add_indicator: AddIndicator,
    issue_token: IssueToken,
) -> None:
    report = published_report(author=analyst_a)
    add_indicator(report, value="first.example")
    token = issue_token(peer_b)
    get(client, f"{SHARED}objects/", token)  # the token's first use is recorded (a write)
    with CaptureQueriesContext(connection) as one_object:
        get(client, f"{SHARED}objects/", token)
    for i in range(30):
        add_indicator(report, value=f"n{i}.example")

    with CaptureQueriesContext(connection) as many_objects:
        response = get(client, f"{SHARED}objects/", token)

    assert len(response.json()["objects"]) == 31
    assert len(many_objects) == len(one_object) <= 16


# --- Adding objects ---------------------------------------------------------------------------

ENVELOPE = json.dumps(
    {"objects": [{"type": "indicator", "id": "indicator--0d7a7a36-5a3b-4d9e-9a8e-7c0b4b1a2f11"}]}
).encode()


def test_post_with_the_wrong_content_type_is_a_415(
    client: Client, analyst_a: User, issue_token: IssueToken
) -> None:
    response = post_envelope(
        client, issue_token(analyst_a), ENVELOPE, content_type="application/json"
    )

    assert response.status_code == 415
    assert response.json()["http_status"] == "415"


@override_settings(TAXII_MAX_CONTENT_LENGTH=1024)
def test_post_over_the_size_limit_is_a_413(
    client: Client, analyst_a: User, issue_token: IssueToken
) -> None:
    big = json.dumps({"objects": [{"type": "note", "id": "note--x", "content": "x" * 2000}]})

    response = post_envelope(client, issue_token(analyst_a), big.encode())

    assert response.status_code == 413
    assert not Submission.objects.exists()


def test_post_that_is_not_an_envelope_is_refused(
    client: Client, analyst_a: User, issue_token: IssueToken
) -> None:
    token = issue_token(analyst_a)

    assert post_envelope(client, token, b"not json").status_code == 400
    assert post_envelope(client, token, b'{"objects": []}').status_code == 422


def test_read_only_token_cannot_post(
    client: Client, analyst_a: User, issue_token: IssueToken
) -> None:
    response = post_envelope(client, issue_token(analyst_a, read_only=True), ENVELOPE)

    assert response.status_code == 403
    assert not Submission.objects.exists()


def test_posting_to_the_shared_collection_is_refused(
    client: Client, analyst_a: User, issue_token: IssueToken
) -> None:
    response = client.post(
        f"{SHARED}objects/",
        ENVELOPE,
        content_type=TAXII_MEDIA_TYPE,
        HTTP_ACCEPT=TAXII_MEDIA_TYPE,
        HTTP_AUTHORIZATION=f"Bearer {issue_token(analyst_a)}",
    )

    assert response.status_code == 403


def test_post_creates_a_taxii_submission_of_the_objects_pending_normalisation(
    client: Client, analyst_a: User, issue_token: IssueToken
) -> None:
    response = post_envelope(client, issue_token(analyst_a), ENVELOPE)

    assert response.status_code == 202
    status = response.json()
    assert status["status"] == "pending"
    assert status["pending_count"] == 1
    submission = Submission.objects.get(uuid=status["id"])
    assert submission.kind == "taxii"
    assert json.loads(bytes(submission.raw))["objects"] == json.loads(ENVELOPE)["objects"]
    assert submission.organisation == analyst_a.memberships.get().organisation


def test_another_organisations_status_is_404(
    client: Client, analyst_a: User, peer_b: User, issue_token: IssueToken
) -> None:
    status_id = post_envelope(client, issue_token(analyst_a), ENVELOPE).json()["id"]

    assert get(client, f"{ROOT}status/{status_id}/", issue_token(peer_b)).status_code == 404
    assert get(client, f"{ROOT}status/{status_id}", issue_token(analyst_a)).status_code == 200


def test_status_reports_failure_per_object_when_normalisation_failed(
    client: Client, analyst_a: User, issue_token: IssueToken
) -> None:
    token = issue_token(analyst_a)
    status_id = post_envelope(client, token, ENVELOPE).json()["id"]
    Submission.objects.filter(uuid=status_id).update(
        status=Submission.Status.FAILED, error="The envelope holds no valid STIX 2.1 object."
    )

    status = get(client, f"{ROOT}status/{status_id}/", token).json()

    assert status["status"] == "complete"
    assert status["failure_count"] == 1
    assert status["failures"][0]["message"] == "The envelope holds no valid STIX 2.1 object."


# --- Deleting -------------------------------------------------------------------------------


def test_member_cannot_delete_another_organisations_object(
    client: Client,
    analyst_a: User,
    peer_b: User,
    published_report: MakeReport,
    add_indicator: AddIndicator,
    issue_token: IssueToken,
) -> None:
    report = published_report(author=analyst_a)
    obj = add_indicator(report)

    response = client.delete(
        f"{INBOX}objects/{obj.stix_id}/",
        HTTP_ACCEPT=TAXII_MEDIA_TYPE,
        HTTP_AUTHORIZATION=f"Bearer {issue_token(peer_b)}",
    )
    from_shared = client.delete(
        f"{SHARED}objects/{obj.stix_id}/",
        HTTP_ACCEPT=TAXII_MEDIA_TYPE,
        HTTP_AUTHORIZATION=f"Bearer {issue_token(peer_b)}",
    )

    assert response.status_code == 404
    assert from_shared.status_code == 403
    assert StixObject.objects.filter(pk=obj.pk).exists()


def test_unsupported_method_is_a_taxii_405(
    client: Client, analyst_a: User, issue_token: IssueToken
) -> None:
    response = client.put(
        f"{ROOT}collections/",
        HTTP_ACCEPT=TAXII_MEDIA_TYPE,
        HTTP_AUTHORIZATION=f"Bearer {issue_token(analyst_a)}",
    )

    assert response.status_code == 405
    assert response["Content-Type"] == TAXII_MEDIA_TYPE


def test_trust_group_collection_carries_reports_addressed_to_the_group_for_members_only(
    client: Client,
    analyst_a: User,
    admin_a: User,
    peer_b: User,
    outsider_c: User,
    published_report: MakeReport,
    add_indicator: AddIndicator,
    issue_token: IssueToken,
) -> None:
    # given a group of A, and an AMBER report addressed to it
    group = group_create(name="Grid circle", by=admin_a.memberships.get())
    report = published_report(
        author=analyst_a,
        tlp=TLP.AMBER,
        everyone=False,
    )
    report.audience_groups.set([group])
    obj = add_indicator(report)
    published_report(organisation=report.organisation, author=analyst_a)  # not to the group
    url = f"{ROOT}collections/{group.uuid}/"

    # then A's members poll it in the group's collection; C does not even see the collection
    as_a = issue_token(analyst_a)
    listed = get(client, f"{ROOT}collections/", as_a).json()["collections"]
    assert str(group.uuid) in [c["id"] for c in listed]
    assert ids_of(get(client, f"{url}objects/", as_a)) == [obj.stix_id]
    as_c = issue_token(outsider_c)
    assert get(client, url, as_c).status_code == 404
    assert get(client, f"{url}objects/", as_c).status_code == 404


def test_a_busy_poller_is_throttled_per_token_with_a_taxii_429(
    client: Client,
    analyst_a: User,
    peer_b: User,
    issue_token: IssueToken,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    cache.clear()
    monkeypatch.setattr(PerTokenRateThrottle, "THROTTLE_RATES", {"per_token": "3/min"})
    busy, other = issue_token(analyst_a), issue_token(peer_b)

    answers = [get(client, f"{ROOT}collections/", busy).status_code for _ in range(4)]

    assert answers == [200, 200, 200, 429]
    limited = get(client, f"{ROOT}collections/", busy)
    assert limited.json()["http_status"] == "429"
    assert int(limited["Retry-After"]) > 0
    assert get(client, f"{ROOT}collections/", other).status_code == 200
    cache.clear()
