"""Request-wide reuse of the access policy's queries on read-only requests."""

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from portal.reuse import reused_within_request

READ_ONLY_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class PolicyReuseMiddleware:
    """A GET builds each policy query once and asks each yes/no once (sharing.policy).

    Only read-only methods: a request that changes something must see its own changes, so
    POST and the others ask the policy afresh every time.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.method not in READ_ONLY_METHODS:
            return self.get_response(request)
        with reused_within_request():
            return self.get_response(request)
