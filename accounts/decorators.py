"""Who may open the accounts pages. Anyone else gets 404: existence is information.

Each decorator asks accounts.policy, the same predicates the services check, and narrows the
request to `AuthenticatedRequest` for the view.
"""

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse

from accounts import policy
from accounts.http import PortalRequest
from accounts.models import Membership

View = Callable[..., HttpResponse]


def _gate(check: Callable[[Membership | None], bool], view: View) -> View:
    @login_required
    @wraps(view)
    def wrapped(request: PortalRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not check(getattr(request, "membership", None)):
            raise Http404
        return view(request, *args, **kwargs)

    return wrapped


def member_required(view: View) -> View:
    """The person is signed in and acts for an organisation."""
    return _gate(lambda membership: membership is not None, view)


def isac_admin_required(view: View) -> View:
    """The person acts for the ISAC as an ISAC admin."""
    return _gate(policy.is_isac_admin, view)


def org_admin_required(view: View) -> View:
    """The person acts for a member organisation as its admin."""
    return _gate(policy.is_member_org_admin, view)


def admin_required(view: View) -> View:
    """The person is an admin of the organisation they act for, or an ISAC admin."""
    return _gate(policy.is_org_admin, view)


def client_ip(request: HttpRequest) -> str | None:
    return request.META.get("REMOTE_ADDR")
