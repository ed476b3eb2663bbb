"""Requests for information over HTTP: the pages and the API, as the asker, a recipient,
ISAC staff and the outsider who must learn nothing."""

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import Organisation, User
from sharing.fanout.services import subscription_create
from sharing.models import Feed, Report, Rfi, RfiAnswer, Subscription
from sharing.rfi.services import rfi_answer
from sharing.tlp import TLP
from tests.fixtures.members import acting, signed_in
from tests.fixtures.rfi import ask
from tests.fixtures.taxii import IssueToken

pytestmark = pytest.mark.django_db

SCRIPT = '<script>alert("x")</script>'


def api_post(client: Client, url: str, token: str, body: dict[str, Any] | None = None) -> Any:
    return client.post(
        url, body or {}, content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {token}"
    )


def api_get(client: Client, url: str, token: str) -> Any:
    return client.get(url, HTTP_AUTHORIZATION=f"Bearer {token}")


def test_member_asks_on_the_page_and_a_recipient_answers(
    analyst_a: User, peer_b: User, outsider_c: User, org_b: Organisation
) -> None:
    asker = signed_in(analyst_a)
    response = asker.post(
        reverse("rfi-new"),
        {
            "title": "Seen logins from 185.220.101[.]4?",
            "body_markdown": f"Details {SCRIPT}",
            "tlp": TLP.AMBER,
            "audience_organisations": [org_b.pk],
            "indicators_text": "185.220.101[.]4",
        },
    )
    assert response.status_code == 302
    rfi = Rfi.objects.get()
    assert response["Location"] == reverse("rfi-detail", args=[rfi.uuid])
    page = asker.get(response["Location"]).content.decode()
    assert "185.220.101.4" in page
    assert SCRIPT not in page  # Markdown is sanitised

    recipient = signed_in(peer_b)
    listing = recipient.get(reverse("rfi-list") + "?status=open").content.decode()
    assert rfi.title in listing
    response = recipient.post(
        reverse("rfi-answer", args=[rfi.uuid]), {"body": "Yes: blocked at the gateway."}
    )
    assert response.status_code == 302
    rfi.refresh_from_db()
    assert rfi.status == Rfi.Status.ANSWERED
    page = asker.get(reverse("rfi-detail", args=[rfi.uuid])).content.decode()
    assert "Yes: blocked at the gateway." in page
    assert "Peer B" in page

    outsider = signed_in(outsider_c)
    assert outsider.get(reverse("rfi-detail", args=[rfi.uuid])).status_code == 404
    assert (
        outsider.post(reverse("rfi-answer", args=[rfi.uuid]), {"body": "me too"}).status_code == 404
    )
    listing = outsider.get(reverse("rfi-list")).content.decode()
    assert rfi.title not in listing
    assert RfiAnswer.objects.count() == 1


def test_missing_label_is_refused_with_what_was_typed_kept(analyst_a: User) -> None:
    response = signed_in(analyst_a).post(
        reverse("rfi-new"), {"title": "Who patched product X?", "audience_everyone": "on"}
    )
    assert response.status_code == 400
    assert "Who patched product X?" in response.content.decode()
    assert not Rfi.objects.exists()


def test_anonymous_asker_is_shown_as_the_isac_to_recipients(
    analyst_a: User, peer_b: User, isac_curator: User
) -> None:
    rfi = ask(analyst_a, anonymous=True)
    rfi_answer(rfi=rfi, by=acting(peer_b), body="Seen it", anonymous=True)
    page = signed_in(peer_b).get(reverse("rfi-detail", args=[rfi.uuid])).content.decode()
    assert "Member A" not in page
    assert "the ISAC" in page
    staff = signed_in(isac_curator).get(reverse("rfi-detail", args=[rfi.uuid])).content.decode()
    assert "Member A" in staff
    assert "Peer B" in staff
    asker_page = signed_in(analyst_a).get(reverse("rfi-detail", args=[rfi.uuid])).content.decode()
    assert "Peer B" not in asker_page
    assert "An anonymous member" in asker_page


def test_answer_becomes_a_draft_report_from_the_page(
    analyst_a: User, peer_b: User, org_b: Organisation
) -> None:
    rfi = ask(analyst_a, TLP.AMBER, audience_organisations=[org_b])
    answer = rfi_answer(rfi=rfi, by=acting(peer_b), body="We saw it too.")
    url = reverse("rfi-answer-report", args=[rfi.uuid, answer.uuid])
    assert signed_in(analyst_a).post(url).status_code == 302  # refused, back to the page
    assert not Report.objects.exists()
    response = signed_in(peer_b).post(url)
    report = Report.objects.get()
    assert response["Location"] == reverse("report-edit", args=[report.uuid])
    page = signed_in(peer_b).get(reverse("rfi-detail", args=[rfi.uuid])).content.decode()
    assert reverse("report-detail", args=[report.uuid]) in page


def test_staff_route_and_close_from_the_page(
    analyst_a: User, outsider_c: User, org_b: Organisation, org_c: Organisation, isac_curator: User
) -> None:
    rfi = ask(analyst_a, TLP.GREEN, audience_organisations=[org_b])
    staff = signed_in(isac_curator)
    assert "ISAC actions" in staff.get(reverse("rfi-detail", args=[rfi.uuid])).content.decode()
    assert "ISAC actions" not in (
        signed_in(analyst_a).get(reverse("rfi-detail", args=[rfi.uuid])).content.decode()
    )
    staff.post(
        reverse("rfi-route", args=[rfi.uuid]),
        {"audience_organisations": [org_b.pk, org_c.pk], "reason": "C runs it too"},
    )
    assert signed_in(outsider_c).get(reverse("rfi-detail", args=[rfi.uuid])).status_code == 200
    staff.post(reverse("rfi-close", args=[rfi.uuid]), {"summary": "Answered by two members."})
    rfi.refresh_from_db()
    assert rfi.status == Rfi.Status.CLOSED
    assert rfi.closing_summary == "Answered by two members."


def test_list_page_costs_the_same_with_more_requests(
    analyst_a: User, peer_b: User, django_assert_max_num_queries: Any
) -> None:
    client = signed_in(peer_b)
    for _ in range(3):
        rfi_answer(rfi=ask(analyst_a), by=acting(peer_b), body="yes")
    client.get(reverse("rfi-list"))
    with django_assert_max_num_queries(20) as few:
        client.get(reverse("rfi-list"))
    for _ in range(12):
        rfi_answer(rfi=ask(analyst_a, anonymous=True), by=acting(peer_b), body="yes")
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(reverse("rfi-list"))


# --- the API ----------------------------------------------------------------------------


def test_api_ask_answer_close(
    client: Client,
    analyst_a: User,
    peer_b: User,
    outsider_c: User,
    org_b: Organisation,
    issue_token: IssueToken,
) -> None:
    asker, recipient = issue_token(analyst_a), issue_token(peer_b)
    outsider = issue_token(outsider_c)
    response = api_post(
        client,
        "/api/v1/rfis/",
        asker,
        {
            "title": "Anyone seeing evil-sender[.]top?",
            "tlp": "amber",
            "audience_organisations": [str(org_b.uuid)],
            "indicators_text": "evil-sender[.]top",
            "anonymous": True,
        },
    )
    assert response.status_code == 201, response.content
    created = response.json()
    assert created["status"] == "open"
    assert {"type": "domain", "value": "evil-sender.top"} in created["indicators"]
    url = f"/api/v1/rfis/{created['id']}/"

    seen = api_get(client, url, recipient).json()
    assert seen["asked_by"] is None  # anonymous: the ISAC is shown
    assert api_get(client, url, outsider).status_code == 404
    assert api_get(client, "/api/v1/rfis/", outsider).json()["results"] == []
    assert api_post(client, url + "answers/", outsider, {"body_markdown": "x"}).status_code == 404

    response = api_post(client, url + "answers/", recipient, {"body_markdown": "Blocked."})
    assert response.status_code == 201
    answered = api_get(client, url, asker).json()
    assert answered["status"] == "answered"
    assert [(a["body_markdown"], a["organisation"]) for a in answered["answers"]] == [
        ("Blocked.", "Peer B")
    ]
    assert api_get(client, url, asker).json()["asked_by"] == "Member A"

    assert api_post(client, url + "close/", recipient, {"summary": "x"}).status_code == 403
    closed = api_post(client, url + "close/", asker, {"summary": "Done, thanks."}).json()
    assert closed["status"] == "closed"
    assert closed["closing_summary"] == "Done, thanks."


def test_api_refuses_red_and_never_lists_it(
    client: Client, analyst_a: User, peer_b: User, issue_token: IssueToken
) -> None:
    token = issue_token(peer_b)
    red = ask(analyst_a, TLP.RED, audience_people=[peer_b])
    assert api_get(client, f"/api/v1/rfis/{red.uuid}/", token).status_code == 404
    assert api_get(client, "/api/v1/rfis/", token).json()["results"] == []
    response = api_post(
        client, "/api/v1/rfis/", token, {"title": "x", "tlp": "red", "audience_everyone": True}
    )
    assert response.status_code == 400


def test_api_answer_to_report_and_group_not_addressable(
    client: Client,
    analyst_a: User,
    peer_b: User,
    org_b: Organisation,
    issue_token: IssueToken,
) -> None:
    rfi = ask(analyst_a, TLP.GREEN, audience_organisations=[org_b])
    answer = rfi_answer(rfi=rfi, by=acting(peer_b), body="We saw it.")
    path = f"/api/v1/rfis/{rfi.uuid}/answers/{answer.uuid}/report/"
    assert api_post(client, path, issue_token(analyst_a)).status_code == 403
    token = issue_token(peer_b)
    response = api_post(client, path, token)
    assert response.status_code == 201
    report = Report.objects.get(uuid=response.json()["report"])
    assert report.status == Report.Status.DRAFT
    assert api_post(client, path, token).status_code == 409
    # A group the caller may not address answers like one that does not exist.
    response = api_post(
        client,
        "/api/v1/rfis/",
        token,
        {"title": "x", "tlp": "green", "audience_groups": [str(rfi.uuid)]},
    )
    assert response.status_code == 404
    # Well formed but refused by a sharing rule: an AMBER question needs an audience.
    response = api_post(client, "/api/v1/rfis/", token, {"title": "x", "tlp": "amber"})
    assert response.status_code == 409
    assert "Choose who receives" in response.json()["non_field_errors"][0]


def test_inbox_lists_the_question_for_a_subscriber_and_nothing_for_the_outsider(
    analyst_a: User, peer_b: User, outsider_c: User, org_b: Organisation, builtin_feeds: None
) -> None:
    everything = Feed.objects.get(kind=Feed.Kind.EVERYTHING)
    for person in (peer_b, outsider_c):
        subscription_create(
            feed=everything, by=acting(person), channel=Subscription.ChannelKind.PORTAL
        )
    rfi = ask(analyst_a, TLP.AMBER, audience_organisations=[org_b])
    inbox = signed_in(peer_b).get(reverse("fanout:notifications")).content.decode()
    assert rfi.title in inbox
    assert reverse("rfi-detail", args=[rfi.uuid]) in inbox
    outsider_inbox = signed_in(outsider_c).get(reverse("fanout:notifications")).content.decode()
    assert rfi.title not in outsider_inbox


def test_api_list_costs_the_same_with_more_requests(
    client: Client,
    analyst_a: User,
    peer_b: User,
    issue_token: IssueToken,
    django_assert_max_num_queries: Any,
) -> None:
    token = issue_token(peer_b)
    for _ in range(2):
        rfi_answer(rfi=ask(analyst_a), by=acting(peer_b), body="yes")
    api_get(client, "/api/v1/rfis/", token)
    with django_assert_max_num_queries(30) as few:
        api_get(client, "/api/v1/rfis/", token)
    for _ in range(8):
        rfi_answer(rfi=ask(analyst_a), by=acting(peer_b), body="yes")
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert len(api_get(client, "/api/v1/rfis/", token).json()["results"]) == 10


def test_the_asker_and_the_isac_see_who_a_question_went_to(
    analyst_a: User, peer_b: User, isac_curator: User, org_b: Organisation, org_c: Organisation
) -> None:
    rfi = ask(analyst_a, TLP.AMBER, audience_organisations=[org_b, org_c])
    url = reverse("rfi-detail", args=[rfi.uuid])
    for person in (analyst_a, isac_curator):
        assert "2 organisations" in signed_in(person).get(url).content.decode()
    assert "2 organisations" not in signed_in(peer_b).get(url).content.decode()
