"""Org admins and ISAC admins are reminded 30 and 7 days before an acceptance expires,
once each."""

from datetime import timedelta

from django.conf import settings
from django.core import mail
from django.utils import timezone

from accounts.models import AgreementAcceptance, AgreementReminder, Organisation, User
from accounts.tasks import agreement_reminders_sweep


def _expires_in(org: Organisation, days: float) -> None:
    AgreementAcceptance.objects.filter(organisation=org).update(
        expires_at=timezone.now() + timedelta(days=days)
    )


def test_thirty_days_before_expiry_the_org_admin_and_isac_admins_are_reminded(
    org_a: Organisation,
    admin_a: User,
    analyst_a: User,
    isac_admin: User,
    django_capture_on_commit_callbacks: object,
) -> None:
    _expires_in(org_a, 29.5)

    with django_capture_on_commit_callbacks(execute=True):  # type: ignore[operator]
        agreement_reminders_sweep()

    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert set(message.to) == {"admin@a.test", "admin@isac.test"}
    assert "analyst@a.test" not in message.to
    assert "Member A" in message.subject
    assert "/organisation/agreement/" in message.body


def test_a_reminder_is_never_sent_twice(
    org_a: Organisation, admin_a: User, django_capture_on_commit_callbacks: object
) -> None:
    _expires_in(org_a, 20)

    for _ in range(3):
        with django_capture_on_commit_callbacks(execute=True):  # type: ignore[operator]
            agreement_reminders_sweep()

    assert len(mail.outbox) == 1
    assert AgreementReminder.objects.get().sent_at is not None


def test_the_seven_day_reminder_follows_the_thirty_day_one(
    org_a: Organisation, admin_a: User, django_capture_on_commit_callbacks: object
) -> None:
    _expires_in(org_a, 25)
    with django_capture_on_commit_callbacks(execute=True):  # type: ignore[operator]
        agreement_reminders_sweep()
    _expires_in(org_a, 6)
    with django_capture_on_commit_callbacks(execute=True):  # type: ignore[operator]
        agreement_reminders_sweep()
        agreement_reminders_sweep()

    assert len(mail.outbox) == 2
    assert sorted(AgreementReminder.objects.values_list("days_before", flat=True)) == [7, 30]


def test_first_seen_with_a_week_left_only_the_seven_day_reminder_goes(
    org_a: Organisation, admin_a: User, django_capture_on_commit_callbacks: object
) -> None:
    _expires_in(org_a, 3)

    with django_capture_on_commit_callbacks(execute=True):  # type: ignore[operator]
        agreement_reminders_sweep()

    assert list(AgreementReminder.objects.values_list("days_before", flat=True)) == [7]
    assert len(mail.outbox) == 1


def test_no_reminder_far_from_expiry_or_after_it_or_when_revoked(
    org_a: Organisation,
    org_b: Organisation,
    org_c: Organisation,
    django_capture_on_commit_callbacks: object,
) -> None:
    _expires_in(org_a, 90)
    _expires_in(org_b, -1)
    _expires_in(org_c, 10)
    AgreementAcceptance.objects.filter(organisation=org_c).update(revoked_at=timezone.now())

    with django_capture_on_commit_callbacks(execute=True):  # type: ignore[operator]
        agreement_reminders_sweep()

    assert mail.outbox == []


def test_an_unsent_reminder_is_sent_by_the_next_sweep(
    org_a: Organisation, admin_a: User, django_capture_on_commit_callbacks: object
) -> None:
    _expires_in(org_a, 20)
    # The sweep wrote the row, then its e-mail task was lost.
    agreement_reminders_sweep()  # on-commit callbacks not run: nothing sent
    assert mail.outbox == []
    assert AgreementReminder.objects.get().sent_at is None

    with django_capture_on_commit_callbacks(execute=True):  # type: ignore[operator]
        agreement_reminders_sweep()

    assert len(mail.outbox) == 1


def test_reminders_are_scheduled_and_routed_to_the_email_queue() -> None:
    schedule = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert "accounts.tasks.agreement_reminders_sweep" in schedule
    from portal.celery import app

    route = app.amqp.router.route({}, "accounts.tasks.send_agreement_reminder_email")
    assert route["queue"].name == "email"
