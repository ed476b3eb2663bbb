"""Requests for information through their services: asking, answering, routing, merging,
closing and turning an answer into a report; who is told, and what is refused."""

from datetime import timedelta
from typing import Any

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from accounts.models import AuditEvent, Organisation, Sector, User
from sharing import policy
from sharing.fanout.services import subscription_create
from sharing.models import Feed, Notification, Report, Rfi, Subscription
from sharing.rfi.services import (
    RfiQuestion,
    rfi_answer,
    rfi_answer_to_report,
    rfi_ask,
    rfi_close,
    rfi_merge,
    rfi_route,
)
from sharing.services import report_problems
from sharing.tlp import TLP
from tests.fixtures.members import acting
from tests.fixtures.rfi import ask

pytestmark = pytest.mark.django_db


def test_question_is_scrubbed_and_its_indicators_extracted(analyst_a: User) -> None:
    rfi = ask(
        analyst_a,
        body_markdown="Our colleague jane.doe@a.test got it from hxxp://invoice-portal[.]xyz/pay",
        indicators_text="185.220.101[.]4\nevil-sender[.]top",
    )
    assert "jane.doe@a.test" not in rfi.body_markdown
    values = {(i["type"], i["value"]) for i in rfi.indicators}
    assert {
        ("ipv4", "185.220.101.4"),
        ("domain", "evil-sender.top"),
        ("url", "http://invoice-portal.xyz/pay"),
    } <= values
    assert not any("jane.doe" in value for _, value in values)
    assert rfi.status == Rfi.Status.OPEN


def test_audience_must_fit_the_label(analyst_a: User, org_b: Organisation) -> None:
    with pytest.raises(ValidationError, match="named people only"):
        rfi_ask(
            by=acting(analyst_a),
            question=RfiQuestion(title="Q", tlp=TLP.RED, audience_organisations=[org_b]),
        )
    with pytest.raises(ValidationError, match="Choose who receives"):
        rfi_ask(by=acting(analyst_a), question=RfiQuestion(title="Q", tlp=TLP.AMBER))
    with pytest.raises(ValidationError, match="no default"):
        rfi_ask(by=acting(analyst_a), question=RfiQuestion(title="Q", audience_everyone=True))
    assert not Rfi.objects.exists()


def test_due_date_in_the_past_and_sensitive_wording_are_refused(analyst_a: User) -> None:
    yesterday = timezone.localdate() - timedelta(days=1)
    with pytest.raises(ValidationError, match="past"):
        ask(analyst_a, due_on=yesterday)
    with pytest.raises(ValidationError, match="prices"):
        ask(analyst_a, body_markdown="What did you pay per licence? Our bid price was 40k.")
    rfi = rfi_ask(
        by=acting(analyst_a),
        question=RfiQuestion(
            title="Q", tlp=TLP.CLEAR, body_markdown="What did you pay? Our bid price was 40k."
        ),
        sensitive_confirmed=True,
    )
    assert rfi.pk


def test_organisation_not_in_good_standing_cannot_ask(suspended_d: User) -> None:
    with pytest.raises(PermissionDenied):
        ask(suspended_d)


def test_answer_marks_answered_and_tells_the_asker(
    analyst_a: User,
    peer_b: User,
    outsider_c: User,
    org_b: Organisation,
    django_capture_on_commit_callbacks: Any,
) -> None:
    rfi = ask(analyst_a, TLP.AMBER, audience_organisations=[org_b])
    with pytest.raises(PermissionDenied):
        rfi_answer(rfi=rfi, by=acting(outsider_c), body="I cannot even see it")
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        answer = rfi_answer(rfi=rfi, by=acting(peer_b), body="Yes, blocked it last week.")
    rfi.refresh_from_db()
    assert rfi.status == Rfi.Status.ANSWERED
    told = Notification.objects.get(rfi=rfi, event=Notification.Event.RFI_ANSWERED)
    assert told.membership == acting(analyst_a)
    # AMBER: the e-mail is a notice with a link, never the question itself.
    assert [m.to for m in mail.outbox] == [[analyst_a.email]]
    assert rfi.title not in mail.outbox[0].body
    assert str(rfi.uuid) in mail.outbox[0].body
    assert AuditEvent.objects.filter(action="rfi.answer", object_id=str(rfi.uuid)).exists()
    assert answer.organisation_id == org_b.pk


def test_only_isac_staff_answer_for_the_isac(
    analyst_a: User, peer_b: User, isac_curator: User
) -> None:
    rfi = ask(analyst_a)
    with pytest.raises(PermissionDenied):
        rfi_answer(rfi=rfi, by=acting(peer_b), body="x", for_isac=True)
    answer = rfi_answer(rfi=rfi, by=acting(isac_curator), body="We track this.", for_isac=True)
    answer.rfi = rfi
    assert answer.for_isac
    assert not policy.can_see_answerer(acting(peer_b), answer)
    assert policy.can_see_answerer(acting(isac_curator), answer)


def test_anonymous_asker_and_answerer_are_hidden_from_members_but_not_from_staff(
    analyst_a: User, admin_a: User, peer_b: User, admin_b: User, isac_curator: User
) -> None:
    rfi = ask(analyst_a, anonymous=True)
    assert not policy.can_see_asker(acting(peer_b), rfi)
    assert policy.can_see_asker(acting(isac_curator), rfi)
    assert policy.can_see_asker(acting(admin_a), rfi)
    answer = rfi_answer(rfi=rfi, by=acting(peer_b), body="Seen it.", anonymous=True)
    answer.rfi = rfi
    assert not policy.can_see_answerer(acting(analyst_a), answer)
    assert policy.can_see_answerer(acting(admin_b), answer)
    assert policy.can_see_answerer(acting(isac_curator), answer)
    # A named answer from the hidden asker's own organisation would name the asker.
    own = rfi_answer(rfi=rfi, by=acting(admin_a), body="Adding detail.")
    own.rfi = rfi
    assert not policy.can_see_answerer(acting(peer_b), own)


def test_audience_subscribers_are_told_if_they_may_read_it(
    analyst_a: User,
    peer_b: User,
    outsider_c: User,
    org_b: Organisation,
    energy: Sector,
    builtin_feeds: None,
    django_capture_on_commit_callbacks: Any,
) -> None:
    everything = Feed.objects.get(kind=Feed.Kind.EVERYTHING)
    subscription_create(feed=everything, by=acting(peer_b), channel=Subscription.ChannelKind.EMAIL)
    subscription_create(
        feed=everything, by=acting(outsider_c), channel=Subscription.ChannelKind.PORTAL
    )
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        rfi = ask(analyst_a, TLP.GREEN, audience_organisations=[org_b])
    told = set(Notification.objects.filter(rfi=rfi).values_list("membership__user", flat=True))
    assert told == {peer_b.pk}
    # GREEN may travel by e-mail with its content: the question is named.
    assert [m.to for m in mail.outbox] == [[peer_b.email]]
    assert rfi.title in mail.outbox[0].body


def test_red_question_is_never_e_mailed(
    analyst_a: User, peer_b: User, builtin_feeds: None, django_capture_on_commit_callbacks: Any
) -> None:
    everything = Feed.objects.get(kind=Feed.Kind.EVERYTHING)
    subscription_create(feed=everything, by=acting(peer_b), channel=Subscription.ChannelKind.EMAIL)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        rfi = ask(analyst_a, TLP.RED, audience_people=[peer_b])
    assert Notification.objects.filter(rfi=rfi, membership=acting(peer_b)).exists()
    assert mail.outbox == []


def test_routing_widens_only_with_a_reason_and_tells_the_new_audience(
    analyst_a: User,
    peer_b: User,
    outsider_c: User,
    org_b: Organisation,
    org_c: Organisation,
    isac_curator: User,
    builtin_feeds: None,
) -> None:
    everything = Feed.objects.get(kind=Feed.Kind.EVERYTHING)
    subscription_create(
        feed=everything, by=acting(outsider_c), channel=Subscription.ChannelKind.PORTAL
    )
    rfi = ask(analyst_a, TLP.AMBER, audience_organisations=[org_b])
    assert not policy.can_view_rfi(acting(outsider_c), rfi)
    with pytest.raises(PermissionDenied):
        rfi_route(rfi=rfi, by=acting(analyst_a), everyone=True, reason="wider")
    with pytest.raises(ValidationError, match="say why"):
        rfi_route(rfi=rfi, by=acting(isac_curator), everyone=False, organisations=[org_b, org_c])
    with pytest.raises(ValidationError, match="Named people"):
        rfi_route(rfi=rfi, by=acting(isac_curator), everyone=False, people=[peer_b])
    rfi_route(
        rfi=rfi,
        by=acting(isac_curator),
        everyone=False,
        organisations=[org_b, org_c],
        reason="C runs the same mail gateway",
    )
    rfi.refresh_from_db()
    assert rfi.tlp == TLP.AMBER
    assert policy.can_view_rfi(acting(outsider_c), rfi)
    assert Notification.objects.filter(rfi=rfi, membership=acting(outsider_c)).count() == 1
    event = AuditEvent.objects.get(action="rfi.route")
    assert event.after is not None
    assert event.after["reason"] == "C runs the same mail gateway"


def test_merge_closes_the_duplicate_and_close_needs_a_summary(
    analyst_a: User, peer_b: User, isac_curator: User
) -> None:
    first, duplicate = ask(analyst_a), ask(peer_b, title="Same sender again?")
    with pytest.raises(PermissionDenied):
        rfi_merge(rfi=duplicate, into=first, by=acting(peer_b))
    rfi_merge(rfi=duplicate, into=first, by=acting(isac_curator))
    duplicate.refresh_from_db()
    assert duplicate.status == Rfi.Status.CLOSED
    assert duplicate.merged_into == first
    with pytest.raises(ValidationError):
        rfi_merge(rfi=first, into=first, by=acting(isac_curator))
    assert Notification.objects.filter(
        rfi=duplicate, event=Notification.Event.RFI_CLOSED, membership=acting(peer_b)
    ).exists()
    with pytest.raises(PermissionDenied):
        rfi_close(rfi=first, by=acting(peer_b), summary="not mine to close")
    with pytest.raises(ValidationError):
        rfi_close(rfi=first, by=acting(analyst_a), summary="  ")
    rfi_close(rfi=first, by=acting(analyst_a), summary="Three members saw it; blocked.")
    first.refresh_from_db()
    assert first.status == Rfi.Status.CLOSED
    with pytest.raises(PermissionDenied):
        rfi_answer(rfi=first, by=acting(peer_b), body="too late")


def test_answer_becomes_a_draft_report_linked_both_ways(
    analyst_a: User, peer_b: User, org_b: Organisation, org_a: Organisation
) -> None:
    rfi = ask(
        analyst_a,
        TLP.AMBER,
        audience_organisations=[org_b],
        indicators_text="evil-sender[.]top",
    )
    answer = rfi_answer(rfi=rfi, by=acting(peer_b), body="We saw it on 2 Dec; blocked.")
    with pytest.raises(PermissionDenied):
        rfi_answer_to_report(answer=answer, by=acting(analyst_a))
    report = rfi_answer_to_report(answer=answer, by=acting(peer_b))
    answer.refresh_from_db()
    assert answer.report == report
    assert report.rfi_answer == answer
    assert report.status == Report.Status.DRAFT
    assert report.author == peer_b
    assert report.organisation == org_b
    assert report.tlp == TLP.AMBER
    assert report.report_type == Report.Type.RFI
    assert "evil-sender.top" in report.indicators_text
    # The asker's organisation gets the answer back although it asked only B.
    assert set(report.audience_organisations.all()) == {org_b, org_a}
    with pytest.raises(ValidationError, match="already"):
        rfi_answer_to_report(answer=answer, by=acting(peer_b))
    # Never shared wider than the question's label.
    Report.objects.filter(pk=report.pk).update(tlp=TLP.GREEN)
    report.refresh_from_db()
    assert any("request for information" in p for p in report_problems(report))
