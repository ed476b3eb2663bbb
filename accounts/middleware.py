"""Attach the membership the signed-in person is acting for to each request."""

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from accounts.selectors import current_membership


class CurrentMembershipMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.membership = current_membership(request)  # type: ignore[attr-defined]
        return self.get_response(request)
