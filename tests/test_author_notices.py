"""Authors hear what happened to what they submitted: a curator's question or rejection, an
upload that failed. In the portal (with the curator's words) and by e-mail (without them)."""

from collections.abc import Callable
from typing import Any

import pytest
from django.core import mail
from django.urls import reverse

from accounts.models import Organisation, User
from sharing.models import Notification, Report, Submission
from sharing.services import report_question, report_reject, review_requirement_set
from sharing.tlp import TLP
from tests.fixtures.members import acting, signed_in
from tests.fixtures.normalize import Submit, sample_bytes
from tests.fixtures.reports import shared

pytestmark = pytest.mark.django_db


@pytest.fixture
def under_review(analyst_a: User, org_a: Organisation, isac_admin: User) -> Report:
    review_requirement_set(organisation=org_a, required=True, by=acting(isac_admin))
    report = shared(analyst_a, TLP.AMBER, title="Turbine controller probing")
    assert report.status == Report.Status.PENDING_REVIEW
    return report


def test_author_hears_a_curators_question_and_rejection(
    under_review: Report,
    analyst_a: User,
    peer_b: User,
    isac_curator: User,
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    curator = acting(isac_curator)

    with django_capture_on_commit_callbacks(execute=True):
        report_question(report=under_review, by=curator, question="Which firmware version?")
    with django_capture_on_commit_callbacks(execute=True):
        report_reject(report=under_review, by=curator, reason="Names the victim's plant.")

    notices = Notification.objects.filter(membership=acting(analyst_a)).order_by("created_at")
    assert [(n.event, n.message) for n in notices] == [
        ("question", "Which firmware version?"),
        ("rejected", "Names the victim's plant."),
    ]
    page = signed_in(analyst_a).get(reverse("fanout:notifications")).text
    assert "Which firmware version?" in page
    assert "Names the victim&#x27;s plant." in page
    assert (
        "Which firmware version?" not in signed_in(peer_b).get(reverse("fanout:notifications")).text
    )
    assert [m.to for m in mail.outbox] == [[analyst_a.email], [analyst_a.email]]
    assert "question" in mail.outbox[0].subject
    assert "rejected" in mail.outbox[1].subject
    assert str(under_review.uuid) in mail.outbox[1].body
    # The curator's words and an AMBER title stay in the portal.
    assert "firmware" not in mail.outbox[0].body
    assert "Turbine" not in mail.outbox[1].body


def test_uploader_hears_that_an_upload_failed_and_why(
    submit: Submit, analyst_a: User, org_a: Organisation, peer_b: User
) -> None:
    submission = submit(
        organisation=org_a,
        submitted_by=analyst_a,
        kind="stix",
        raw=sample_bytes("bad/truncated.json"),
        filename="edr-export.json",
    )

    assert submission.status == Submission.Status.FAILED
    notice = Notification.objects.get(membership=acting(analyst_a))
    assert notice.event == "upload_failed"
    assert notice.submission == submission
    assert "truncated" in notice.message
    page = signed_in(analyst_a).get(reverse("fanout:notifications")).text
    assert "edr-export.json" in page
    assert "truncated" in page
    assert not Notification.objects.filter(membership=acting(peer_b)).exists()
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == [analyst_a.email]
    assert "edr-export.json" in mail.outbox[0].body
