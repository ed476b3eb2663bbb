"""What page views take from a request: the membership it acts for, and services' refusals
in words.

`CurrentMembershipMiddleware` sets `request.membership` (the membership chosen in the header
switcher, or None). Page views are typed with accounts.http's requests and read it directly;
the REST API's views, whose request wraps Django's, read it through `acting_membership`.
A page calls a service through `run_service` (the refusal becomes a form error or a message)
or `attempt` (the page shows the refusal itself).
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, TypeVar, cast

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.forms import BaseForm
from django.http import Http404, HttpRequest

from accounts.models import Membership

T = TypeVar("T")


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


@dataclass(frozen=True)
class Outcome(Generic[T]):
    """What a service called from a page came to: its result, or its refusal in words.
    True when the service succeeded."""

    result: T | None = None
    error: str | None = None
    # The refusal's sentences one by one, for pages that list them beside the form.
    errors: tuple[str, ...] = ()

    def __bool__(self) -> bool:
        return self.error is None

    @property
    def value(self) -> T:
        """The service's result; only read it after checking the outcome is a success."""
        if self.error is not None:
            raise ValueError(f"the service refused: {self.error}")
        return cast(T, self.result)


def refusal_messages(error: ValidationError | PermissionDenied) -> tuple[str, ...]:
    if isinstance(error, ValidationError):
        return tuple(str(message) for message in error.messages)
    return (str(error),)


def attempt(action: Callable[[], T]) -> Outcome[T]:
    """Call a service and keep its refusal as words, touching neither the form nor messages:
    for pages that show the refusal themselves (the report form lists it above the fields,
    an autosave answers JSON)."""
    try:
        return Outcome(result=action())
    except (ValidationError, PermissionDenied) as error:
        return Outcome(error=error_text(error), errors=refusal_messages(error))


def run_service(
    request: HttpRequest,
    action: Callable[[], T],
    success: str | Callable[[T], str] | None = None,
    *,
    form: BaseForm | None = None,
    field: str | None = None,
) -> Outcome[T]:
    """Call a service for a page.

    A refusal (ValidationError or PermissionDenied) goes on `form` (on `field`, or above
    the fields) when the page shows the form again, else into an error message for the next
    page. On success the `success` message is shown; it may be a function of the result.
    """
    try:
        result = action()
    except (ValidationError, PermissionDenied) as error:
        if form is not None:
            form.add_error(field, error if isinstance(error, ValidationError) else str(error))
        else:
            messages.error(request, error_text(error))
        return Outcome(error=error_text(error), errors=refusal_messages(error))
    if success is not None:
        messages.success(request, success(result) if callable(success) else success)
    return Outcome(result=result)
