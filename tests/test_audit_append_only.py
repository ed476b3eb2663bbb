"""The audit log is append-only, down to the database."""

import pytest
from django.db import DatabaseError, transaction

from accounts.models import AuditEvent, Organisation, User
from tests.fixtures.members import acting

pytestmark = pytest.mark.services


def test_audit_rows_cannot_be_edited_or_deleted(isac_admin: User, org_a: Organisation) -> None:
    event = AuditEvent.objects.filter(organisation=org_a).first()
    assert event is not None

    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).update(action="nothing.happened")
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).update(after={"forged": True})
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).delete()

    event.refresh_from_db()
    assert event.action != "nothing.happened"


def test_deleting_a_person_keeps_their_audit_trail(isac_admin: User, org_a: Organisation) -> None:
    from accounts.services.people import user_create, user_set_password

    person = user_create(
        email="gone@a.test", full_name="Gone", password=None, by=acting(isac_admin)
    )
    user_set_password(user=person, password="a-long-password-for-gone")
    acted = AuditEvent.objects.get(action="user.set_password")
    assert acted.actor == person

    person.delete()

    acted.refresh_from_db()
    assert acted.actor is None, "the reference is cleared, the record stays"
    assert AuditEvent.objects.filter(object_id=str(person.uuid)).count() == 2
