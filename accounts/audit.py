"""Writing the append-only audit log; every service that changes members calls audit_record."""

from typing import Any

from django.db import models

from accounts.models import AuditEvent, Membership, Organisation, User


def audit_record(
    *,
    action: str,
    obj: models.Model,
    by: Membership | None = None,
    actor: User | None = None,
    organisation: Organisation | None = None,
    actor_organisation: Organisation | None = None,
    ip_address: str | None = None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> AuditEvent:
    """Record a change. `by` is the acting membership (its person and organisation are
    recorded); `actor` alone names a person acting for no organisation, such as someone
    accepting an invitation or setting up their own second factor."""
    if by is not None:
        actor = by.user
        actor_organisation = actor_organisation or by.organisation
    object_id = getattr(obj, "uuid", None) or obj.pk
    return AuditEvent.objects.create(
        action=action,
        object_type=obj._meta.label_lower,
        object_id=str(object_id),
        object_repr=str(obj)[:300],
        actor=actor,
        actor_organisation=actor_organisation,
        organisation=organisation,
        ip_address=ip_address,
        before=before,
        after=after,
    )
