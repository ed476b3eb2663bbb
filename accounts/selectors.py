"""Reads of people and memberships (visibility of shared material lives in sharing.policy)."""

from django.db.models import QuerySet
from django.http import HttpRequest

from accounts.models import Membership, User

SESSION_MEMBERSHIP_KEY = "membership_uuid"


def memberships_of(user: User) -> QuerySet[Membership]:
    return (
        Membership.objects.filter(user=user, is_active=True)
        .select_related("organisation")
        .order_by("organisation__name")
    )


def current_membership(request: HttpRequest) -> Membership | None:
    """The membership chosen in the header switcher, or the person's first one."""
    user = request.user
    if not user.is_authenticated:
        return None
    memberships = memberships_of(user)
    chosen = request.session.get(SESSION_MEMBERSHIP_KEY)
    if chosen:
        membership = memberships.filter(uuid=chosen).first()
        if membership is not None:
            return membership
    return memberships.first()
