"""Typed requests for page views, after the accounts middleware has run.

`CurrentMembershipMiddleware` sets `request.membership` on every request: the membership the
person acts for (chosen in the header switcher), or None. The page decorators in
accounts.decorators narrow it, so a view annotated with one of these types reads
`request.user` and `request.membership` without a cast and passes `by=request.membership`
to every service.
"""

from django.http import HttpRequest

from accounts.models import Membership, User


class PortalRequest(HttpRequest):
    """Any request: the person may be anonymous or act for nobody."""

    membership: Membership | None


class SignedInRequest(PortalRequest):
    """A signed-in person (`login_required`), who may act for no organisation."""

    user: User


class AuthenticatedRequest(SignedInRequest):
    """A signed-in person acting for an organisation (`member_required` and the admin page
    decorators)."""

    membership: Membership
