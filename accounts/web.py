"""What page views take from a request: the membership it acts for, and refusals in words.

`CurrentMembershipMiddleware` sets `request.membership` (the membership chosen in the header
switcher, or None); views read it through these rather than each keeping a copy.
"""

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest

from accounts.models import Membership


def acting_membership(request: HttpRequest) -> Membership | None:
    """The membership the person acts for, None when they act for nobody."""
    membership: Membership | None = getattr(request, "membership", None)
    return membership


def acting_member(request: HttpRequest) -> Membership:
    """The membership the person acts for; someone acting for nobody sees nothing (404)."""
    membership = acting_membership(request)
    if membership is None:
        raise Http404
    return membership


def error_text(error: ValidationError | PermissionDenied) -> str:
    """A service's refusal as one sentence for a message on the page."""
    if isinstance(error, ValidationError):
        return " ".join(error.messages)
    return str(error)


def run_service(request: HttpRequest, action: Callable[[], Any], success: str) -> bool:
    """Call a service for a page: its refusal becomes an error message on the next page,
    its success the `success` message. True when it succeeded."""
    try:
        action()
    except (ValidationError, PermissionDenied) as error:
        messages.error(request, error_text(error))
        return False
    messages.success(request, success)
    return True
