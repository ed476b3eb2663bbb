"""Automation publishes without a person when the member allows it: a token chosen to
publish (audited, off by default), the organisation admins' default audience, the upload's
own TLP; sensitive wording or personal data sends it to review, and the status says why."""

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import ApiToken, AuditEvent, Organisation, Sector, User
from accounts.services.tokens import token_issue
from sharing.models import Delivery, Feed, Notification, Report, Submission
from sharing.services import review_requirement_set
from sharing.taxii.protocol import TAXII_MEDIA_TYPE
from sharing.taxii.selectors import INBOX_ID
from sharing.tlp import TLP
from tests.fixtures.members import acting, signed_in
from tests.fixtures.normalize import sample_bytes

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("documentation_ranges_allowed")]

Capture = Callable[..., Any]


@pytest.fixture
def energy_by_default(admin_a: User, energy: Sector) -> None:
    """A's admin chooses the energy sector as the audience of published uploads."""
    response = signed_in(admin_a).post(
        reverse("publishing-defaults"), {"audience_sectors": [energy.pk]}
    )
    assert response.status_code == 302


def publishing_token(user: User) -> str:
    """Issued on the token page, as a person would, with the capability ticked."""
    response = signed_in(user).post(
        reverse("api-tokens"),
        {"name": "SOAR", "expires_in_days": "90", "may_publish": "on"},
    )
    assert response.status_code == 200
    token = ApiToken.objects.get(name="SOAR")
    assert token.may_publish
    _, plaintext = token_issue(
        membership=token.membership, name="SOAR (test copy)", by=acting(user), may_publish=True
    )
    return plaintext


def api_upload(token: str, kind: str, content: str, capture: Capture) -> Submission:
    with capture(execute=True):
        response = Client().post(
            reverse("api-submission-list"),
            {"kind": kind, "content": content, "filename": f"upload.{kind}"},
            content_type="application/json",
            HTTP_AUTHORIZATION=f"Bearer {token}",
        )
    assert response.status_code == 202, response.content
    return Submission.objects.get(uuid=response.json()["id"])


def status_of(submission: Submission, token: str) -> dict[str, Any]:
    return dict(
        Client()
        .get(
            reverse("api-submission-detail", args=[submission.uuid]),
            HTTP_AUTHORIZATION=f"Bearer {token}",
        )
        .json()
    )


def test_tokens_do_not_publish_unless_chosen_at_issue_and_the_choice_is_audited(
    analyst_a: User,
) -> None:
    plain, _ = token_issue(membership=acting(analyst_a), name="SIEM", by=acting(analyst_a))
    publishing_token(analyst_a)

    assert not plain.may_publish
    issued = AuditEvent.objects.filter(action="api_token.issue").order_by("id")
    assert [(event.after or {})["may_publish"] for event in issued] == [False, True, True]
    with pytest.raises(Exception, match="read-only token cannot publish"):
        token_issue(
            membership=acting(analyst_a),
            name="x",
            by=acting(analyst_a),
            read_only=True,
            may_publish=True,
        )


def test_a_marked_upload_is_published_with_the_defaults_and_reaches_members(
    analyst_a: User,
    peer_b: User,
    energy: Sector,
    energy_by_default: None,
    everything_feed: Feed,
    django_capture_on_commit_callbacks: Capture,
) -> None:
    from sharing.fanout.services import subscription_create

    subscription_create(feed=everything_feed, by=acting(peer_b), channel="portal")
    token = publishing_token(analyst_a)

    submission = api_upload(
        token, "stix", sample_bytes("bundle-tlp2.json").decode(), django_capture_on_commit_callbacks
    )

    status = status_of(submission, token)
    assert status["status"] == "published", status
    assert status["next_step"] == "Published."
    report = Report.objects.get(uuid=status["report"])
    assert report.status == Report.Status.PUBLISHED
    assert report.tlp == TLP.AMBER  # the upload's own marking
    assert list(report.audience_sectors.all()) == [energy]
    assert not report.attributed  # the agreement shows members anonymously
    assert Delivery.objects.filter(report=report, event="published").exists()
    assert Notification.objects.filter(membership=acting(peer_b), report=report).exists()
    _, as_b = token_issue(membership=acting(peer_b), name="B's SIEM", by=None)
    listed = (
        Client()
        .get(
            reverse("api-indicator-list"),
            {"report": str(report.uuid)},
            HTTP_AUTHORIZATION=f"Bearer {as_b}",
        )
        .json()["results"]
    )
    assert {row["value"] for row in listed} == {"192.0.2.44"}
    assert AuditEvent.objects.filter(action="report.publish_upload").exists()


def test_an_upload_without_a_tlp_marking_is_refused_with_a_clear_error(
    analyst_a: User, energy_by_default: None, django_capture_on_commit_callbacks: Capture
) -> None:
    token = publishing_token(analyst_a)

    submission = api_upload(
        token, "csv", sample_bytes("indicators.csv").decode(), django_capture_on_commit_callbacks
    )

    status = status_of(submission, token)
    assert status["status"] == "failed"
    assert "carries no TLP marking" in status["error"]
    assert "tlp column in the CSV" in status["error"]
    assert not Report.objects.exists()
    marked = "type,value,tlp\nipv4,45.9.148.203,green\n"
    published = api_upload(token, "csv", marked, django_capture_on_commit_callbacks)
    assert status_of(published, token)["status"] == "published"


def test_personal_data_or_sensitive_wording_sends_it_to_review_and_says_why(
    analyst_a: User, energy_by_default: None, django_capture_on_commit_callbacks: Capture
) -> None:
    token = publishing_token(analyst_a)

    personal = api_upload(
        token,
        "text",
        sample_bytes("phishing-campaign.txt").decode(),
        django_capture_on_commit_callbacks,
    )
    pricing = api_upload(
        token,
        "text",
        "TLP:GREEN\nLoader C2 at 45.9.148.203. Our bid price for the grid contract was lower.",
        django_capture_on_commit_callbacks,
    )

    for submission, why in ((personal, "personal data"), (pricing, "Our bid")):
        status = status_of(submission, token)
        assert status["status"] == "needs_review"
        assert why in status["held_reason"]
        assert status["next_step"].startswith("Waiting for your review in the portal")
        assert why in status["next_step"]
        report = Report.objects.get(uuid=status["report"])
        assert report.status == Report.Status.DRAFT
        notice = Notification.objects.get(submission=submission)
        assert notice.event == "upload_ready"
        assert why in notice.message


def test_without_a_default_audience_the_upload_waits_for_a_person(
    analyst_a: User, django_capture_on_commit_callbacks: Capture
) -> None:
    token = publishing_token(analyst_a)

    submission = api_upload(
        token, "stix", sample_bytes("bundle-tlp2.json").decode(), django_capture_on_commit_callbacks
    )

    status = status_of(submission, token)
    assert status["status"] == "needs_review"
    assert "default audience" in status["next_step"]


def test_taxii_inbox_status_says_what_really_happens_next(
    analyst_a: User,
    org_a: Organisation,
    isac_admin: User,
    energy_by_default: None,
    issue_token: Callable[..., str],
    django_capture_on_commit_callbacks: Capture,
) -> None:
    envelope = sample_bytes("taxii-envelope.json")

    def post(token: str) -> dict[str, Any]:
        with django_capture_on_commit_callbacks(execute=True):
            response = Client().post(
                f"/taxii2/portal/collections/{INBOX_ID}/objects/",
                data=envelope,
                content_type=TAXII_MEDIA_TYPE,
                HTTP_ACCEPT=TAXII_MEDIA_TYPE,
                HTTP_AUTHORIZATION=f"Bearer {token}",
            )
        assert response.status_code == 202, response.content
        status = Client().get(
            f"/taxii2/portal/status/{response.json()['id']}/",
            HTTP_ACCEPT=TAXII_MEDIA_TYPE,
            HTTP_AUTHORIZATION=f"Bearer {token}",
        )
        return dict(status.json())

    publishing = publishing_token(analyst_a)
    messages = {s["message"] for s in post(publishing)["successes"]}
    assert messages == {"Published."}
    drafted = {s["message"] for s in post(issue_token(analyst_a))["successes"]}
    assert len(drafted) == 1
    assert drafted.pop().startswith("Waiting for your review in the portal")
    review_requirement_set(organisation=org_a, required=True, by=acting(isac_admin))
    assert {s["message"] for s in post(publishing)["successes"]} == {"Waiting for ISAC review."}
