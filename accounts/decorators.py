"""Who may open the member-management pages. Anyone else gets 404: existence is information."""

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse

from accounts.models import Membership

View = Callable[..., HttpResponse]


def isac_admin_required(view: View) -> View:
    """The person acts for the ISAC as an ISAC admin."""

    @login_required
    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        membership: Membership | None = getattr(request, "membership", None)
        if membership is None or not membership.is_isac_admin:
            raise Http404
        return view(request, *args, **kwargs)

    return wrapped


def org_admin_required(view: View) -> View:
    """The person acts for a member organisation as its admin."""

    @login_required
    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        membership: Membership | None = getattr(request, "membership", None)
        if membership is None or membership.role != Membership.Role.ORG_ADMIN:
            raise Http404
        return view(request, *args, **kwargs)

    return wrapped


def client_ip(request: HttpRequest) -> str | None:
    return request.META.get("REMOTE_ADDR")
