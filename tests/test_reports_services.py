"""Posting, curating, revising and withdrawing reports through the services."""

from collections.abc import Callable
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import override_settings

from accounts.models import AgreementVersion, AuditEvent, Organisation, User
from sharing import policy
from sharing.models import CurationEvent, Report
from sharing.services import (
    ReportContent,
    comment_create,
    report_answer,
    report_approve,
    report_question,
    report_reject,
    report_revise,
    report_submit,
    report_update_draft,
    report_withdraw,
    review_requirement_set,
    sighting_create,
)
from sharing.tlp import TLP
from tests.fixtures.members import acting
from tests.fixtures.reports import draft, shared

pytestmark = pytest.mark.django_db


def test_a_draft_keeps_what_was_typed_even_without_a_tlp(analyst_a: User) -> None:
    report = draft(analyst_a, "", title="Half-written <b>note</b>")

    report.refresh_from_db()
    assert report.status == Report.Status.DRAFT
    assert report.title == "Half-written <b>note</b>"
    assert report.tlp == ""


def test_a_report_without_a_tlp_is_not_shared(analyst_a: User) -> None:
    report = draft(analyst_a, "", audience_everyone=True)

    with pytest.raises(ValidationError, match="Choose a TLP label"):
        report_submit(report=report, by=acting(analyst_a))
    report.refresh_from_db()
    assert report.status == Report.Status.DRAFT


def test_a_red_report_without_named_people_is_refused_with_the_reason(analyst_a: User) -> None:
    report = draft(analyst_a, TLP.RED)

    with pytest.raises(ValidationError, match="at least one named person"):
        report_submit(report=report, by=acting(analyst_a))


def test_an_audience_wider_than_red_allows_is_refused(
    analyst_a: User, peer_b: User, org_c: Organisation
) -> None:
    report = draft(analyst_a, TLP.RED, audience_people=[peer_b], audience_organisations=[org_c])

    with pytest.raises(ValidationError, match="named people only"):
        report_submit(report=report, by=acting(analyst_a))


def test_an_amber_report_needs_an_audience(analyst_a: User) -> None:
    report = draft(analyst_a, TLP.AMBER)

    with pytest.raises(ValidationError, match="Choose who receives"):
        report_submit(report=report, by=acting(analyst_a))


def test_confirming_the_preview_publishes_version_one(analyst_a: User, peer_b: User) -> None:
    report = shared(analyst_a, TLP.GREEN)

    assert report.status == Report.Status.PUBLISHED
    assert report.published_at is not None
    assert list(report.revisions.values_list("number", flat=True)) == [1]
    assert policy.can_view(acting(peer_b), report)
    assert AuditEvent.objects.filter(action="report.publish", object_id=str(report.uuid)).exists()


def test_sensitive_wording_must_be_confirmed_before_sharing(analyst_a: User) -> None:
    report = draft(
        analyst_a,
        TLP.GREEN,
        audience_everyone=True,
        body_markdown="The attackers targeted our bid for the grid tender.",
    )

    with pytest.raises(ValidationError, match="prices, costs, bids"):
        report_submit(report=report, by=acting(analyst_a))
    confirmed = report_submit(report=report, by=acting(analyst_a), sensitive_confirmed=True)

    assert confirmed.status == Report.Status.PUBLISHED


def test_a_colleague_cannot_submit_someone_elses_draft(analyst_a: User, admin_a: User) -> None:
    report = draft(analyst_a, TLP.GREEN, audience_everyone=True)

    with pytest.raises(PermissionDenied):
        report_submit(report=report, by=acting(admin_a))


def test_attribution_follows_the_agreement_default(
    analyst_a: User, agreement: AgreementVersion
) -> None:
    anonymous_by_default = draft(analyst_a, TLP.GREEN)
    agreement.may_show_source_name = True
    agreement.save()
    named_by_default = draft(analyst_a, TLP.GREEN)
    chosen = draft(analyst_a, TLP.GREEN, attributed=False)

    assert anonymous_by_default.attributed is False
    assert named_by_default.attributed is True
    assert chosen.attributed is False


def test_unattributed_report_hides_the_source_from_peers_but_not_from_curators(
    analyst_a: User, peer_b: User, isac_curator: User
) -> None:
    report = shared(analyst_a, TLP.GREEN, attributed=False)

    assert not policy.can_see_source(acting(peer_b), report)
    assert policy.can_see_source(acting(isac_curator), report)
    assert policy.can_see_source(acting(analyst_a), report)


@pytest.fixture
def review_for_a(analyst_a: User, isac_admin: User) -> None:
    review_requirement_set(
        organisation=acting(analyst_a).organisation, required=True, by=acting(isac_admin)
    )


@pytest.mark.usefixtures("review_for_a")
def test_a_member_under_review_waits_in_the_curation_queue(
    analyst_a: User, peer_b: User, isac_curator: User
) -> None:
    report = shared(analyst_a, TLP.GREEN)

    assert report.status == Report.Status.PENDING_REVIEW
    assert not policy.can_view(acting(peer_b), report)
    assert list(policy.curation_queue(acting(isac_curator))) == [report]


@override_settings(REPORT_REVIEW_REQUIRED=True)
def test_the_isac_setting_sends_every_report_to_review(analyst_a: User) -> None:
    assert shared(analyst_a, TLP.GREEN).status == Report.Status.PENDING_REVIEW


@pytest.mark.usefixtures("review_for_a")
def test_curator_asks_author_answers_and_curator_approves(
    analyst_a: User, peer_b: User, isac_curator: User
) -> None:
    report = shared(analyst_a, TLP.GREEN)
    curator = acting(isac_curator)

    report_question(report=report, by=curator, question="Which sites were hit?")
    report_answer(report=report, by=acting(analyst_a), answer="Two substations.")
    report = report_approve(report=report, by=curator)

    assert report.status == Report.Status.PUBLISHED
    assert list(report.curation_events.values_list("action", flat=True)) == [
        CurationEvent.Action.SUBMITTED,
        CurationEvent.Action.QUESTION,
        CurationEvent.Action.ANSWER,
        CurationEvent.Action.APPROVED,
    ]
    assert policy.can_view(acting(peer_b), report)


@pytest.mark.usefixtures("review_for_a")
def test_curator_rejects_only_with_a_reason_and_author_can_fix_it(
    analyst_a: User, isac_curator: User
) -> None:
    report = shared(analyst_a, TLP.GREEN)
    curator = acting(isac_curator)

    with pytest.raises(ValidationError, match="Say why"):
        report_reject(report=report, by=curator, reason="  ")
    report = report_reject(report=report, by=curator, reason="Contains a customer's name.")
    report_update_draft(
        report=report, by=acting(analyst_a), content=ReportContent(title="Fixed", tlp=TLP.GREEN)
    )

    assert report.status == Report.Status.REJECTED
    assert report.curation_events.last().message == "Contains a customer's name."  # type: ignore[union-attr]


@pytest.mark.usefixtures("review_for_a")
def test_curator_can_edit_a_report_waiting_for_review(analyst_a: User, isac_curator: User) -> None:
    report = shared(analyst_a, TLP.GREEN)

    report_update_draft(
        report=report,
        by=acting(isac_curator),
        content=ReportContent(title="Edited by ISAC", tlp=TLP.GREEN, audience_everyone=True),
    )

    report.refresh_from_db()
    assert report.title == "Edited by ISAC"
    assert report.curation_events.filter(action=CurationEvent.Action.EDITED).exists()


def test_an_analyst_cannot_approve_their_own_report(analyst_a: User, admin_a: User) -> None:
    report = shared(analyst_a, TLP.GREEN)

    with pytest.raises(PermissionDenied):
        report_approve(report=report, by=acting(admin_a))


def test_revising_a_published_report_keeps_every_version(analyst_a: User) -> None:
    report = shared(analyst_a, TLP.GREEN, body_markdown="First text")

    report = report_revise(
        report=report,
        by=acting(analyst_a),
        content=ReportContent(
            title=report.title, tlp=TLP.GREEN, audience_everyone=True, body_markdown="Second text"
        ),
        note="Added the second wave",
    )

    assert report.version == 2
    assert [(r.number, r.body_markdown) for r in report.revisions.order_by("number")] == [
        (1, "First text"),
        (2, "Second text"),
    ]


def test_a_revision_cannot_widen_the_audience_beyond_the_tlp(analyst_a: User, peer_b: User) -> None:
    report = shared(analyst_a, TLP.RED, audience_people=[peer_b])

    with pytest.raises(ValidationError, match="named people only"):
        report_revise(
            report=report,
            by=acting(analyst_a),
            content=ReportContent(title="x", tlp=TLP.RED, audience_everyone=True),
        )
    report.refresh_from_db()
    assert report.version == 1
    assert not report.audience_everyone


def test_a_withdrawn_report_stays_readable_for_the_record(analyst_a: User, peer_b: User) -> None:
    report = shared(analyst_a, TLP.GREEN)

    with pytest.raises(ValidationError):
        report_withdraw(report=report, by=acting(analyst_a), reason="")
    report = report_withdraw(report=report, by=acting(analyst_a), reason="False positive.")

    assert report.status == Report.Status.WITHDRAWN
    assert policy.can_view(acting(peer_b), report)
    assert report.withdrawn_reason == "False positive."


def test_a_peer_cannot_withdraw_someone_elses_report(analyst_a: User, peer_b: User) -> None:
    report = shared(analyst_a, TLP.GREEN)

    with pytest.raises(PermissionDenied):
        report_withdraw(report=report, by=acting(peer_b), reason="Mine now")


def test_outsider_cannot_comment_or_sight_what_they_cannot_see(
    amber_for_b: Report, outsider_c: User
) -> None:
    with pytest.raises(PermissionDenied):
        comment_create(report=amber_for_b, by=acting(outsider_c), body="hello")
    with pytest.raises(PermissionDenied):
        sighting_create(report=amber_for_b, by=acting(outsider_c))


def test_a_suspended_member_cannot_post(suspended_d: User) -> None:
    with pytest.raises(PermissionDenied):
        draft(suspended_d, TLP.GREEN)


def test_the_isac_admin_requires_review_for_one_organisation_from_the_command_line(
    analyst_a: User, isac_admin: User, org_a: Organisation
) -> None:
    from io import StringIO

    from django.core.management import call_command

    call_command("require_review", org_a.name, by=isac_admin.email, stdout=StringIO())

    assert shared(analyst_a, TLP.GREEN).status == Report.Status.PENDING_REVIEW
    assert AuditEvent.objects.filter(action="organisation.review_requirement").exists()


def test_recipients_are_told_when_a_report_is_published_revised_and_withdrawn(
    analyst_a: User,
    peer_b: User,
    outsider_c: User,
    everything_feed: object,
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    from sharing.fanout.services import subscription_create
    from sharing.models import Delivery, Feed, Subscription

    assert isinstance(everything_feed, Feed)
    for person in (peer_b, outsider_c):
        subscription_create(
            feed=everything_feed, by=acting(person), channel=Subscription.ChannelKind.PORTAL
        )

    report = draft(analyst_a, TLP.GREEN, audience_everyone=True, title="Told to everyone")
    # Recipients are told once the text is normalised (after commit, by the worker).
    with django_capture_on_commit_callbacks(execute=True):
        report = report_submit(report=report, by=acting(analyst_a))
    assert Delivery.objects.filter(report=report, event="published").exists()
    with django_capture_on_commit_callbacks(execute=True):
        report = report_revise(
            report=report,
            by=acting(analyst_a),
            content=ReportContent(title="Told to everyone", tlp=TLP.GREEN, audience_everyone=True),
        )
    Delivery.objects.filter(report=report).update(status=Delivery.Status.DELIVERED)
    report_withdraw(report=report, by=acting(analyst_a), reason="Wrong")

    events = set(Delivery.objects.filter(report=report).values_list("event", flat=True))
    assert events == {"published", "revised", "withdrawn"}


def test_a_curators_edit_is_what_the_published_indicators_say(
    analyst_a: User,
    org_a: Organisation,
    isac_admin: User,
    isac_curator: User,
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    from sharing.models import ReportIndicator
    from sharing.services import report_approve, report_update_draft, review_requirement_set

    review_requirement_set(organisation=org_a, required=True, by=acting(isac_admin))
    with django_capture_on_commit_callbacks(execute=True):
        report = shared(analyst_a, TLP.GREEN, indicators_text="45.9.148.203")
    curator = acting(isac_curator)
    content = ReportContent(
        title=report.title,
        summary=report.summary,
        body_markdown=report.body_markdown,
        tlp=TLP.GREEN,
        audience_everyone=True,
        indicators_text="45.9.148.203\n91.215.85.17",
    )

    report_update_draft(report=report, by=curator, content=content)
    with django_capture_on_commit_callbacks(execute=True):
        report_approve(report=report, by=curator)

    values = set(
        ReportIndicator.objects.filter(report=report).values_list("indicator__value", flat=True)
    )
    assert {"45.9.148.203", "91.215.85.17"} <= values
