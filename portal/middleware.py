"""Responses that carry shared material are never stored by a browser or a proxy."""

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.utils.cache import patch_vary_headers

# Answers here depend on the token in `Authorization`, so a cache must key on it.
TOKEN_PATHS = ("/api/", "/taxii2/")


class PrivateResponsesMiddleware:
    """`Cache-Control: private, no-store` on every page and API answer (a view that chose
    its own Cache-Control keeps it), and `Vary: Authorization` on the API and TAXII.

    Shared reports must not survive in a shared proxy's cache, nor in the browser cache of
    a machine someone else uses next. Static files are served before this middleware runs
    (WhiteNoise) and keep their long cache lifetimes.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if not response.has_header("Cache-Control"):
            response["Cache-Control"] = "private, no-store"
        if request.path.startswith(TOKEN_PATHS):
            patch_vary_headers(response, ("Authorization",))
        return response
