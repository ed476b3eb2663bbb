"""Error answers that keep their form whatever broke: the portal's own pages for people,
JSON for the REST API and TAXII error messages for TAXII clients.

They are rendered without the request context (no signed-in person, no database query),
so they still work when PostgreSQL or Redis is down. A database that does not answer is a
503 with Retry-After (maintenance or an outage; the request can be repeated), not a 500.
"""

import logging
import sys

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template import loader

logger = logging.getLogger(__name__)

TAXII_MEDIA_TYPE = "application/taxii+json;version=2.1"
RETRY_AFTER_SECONDS = 30

_TITLES = {
    400: "Bad request",
    403: "Forbidden",
    404: "Not found",
    413: "Request too large",
    500: "Server error",
    503: "Service unavailable",
}


def _too_large_text() -> str:
    limit = settings.NORMALIZE_MAX_UPLOAD_BYTES
    return (
        f"The request is larger than the portal accepts ({limit} bytes, "
        f"{limit / 1048576:.0f} MB). Send a smaller one, or upload large files as a submission."
    )


_DESCRIPTIONS = {
    400: "The request could not be understood.",
    403: "You may not do this.",
    404: "There is nothing here.",
    500: "Something went wrong on our side. It has been logged; please try again.",
    503: (
        "The portal is briefly unavailable (maintenance, or a service it depends on is down). "
        f"Nothing you sent was lost. Please try again in {RETRY_AFTER_SECONDS} seconds."
    ),
}


def error_answer(request: HttpRequest, status: int, description: str = "") -> HttpResponse:
    """The error in the form the caller reads: TAXII, REST API JSON, or a portal page."""
    description = description or (_too_large_text() if status == 413 else _DESCRIPTIONS[status])
    title = _TITLES[status]
    path = request.path_info
    response: HttpResponse
    if path.startswith("/taxii2/"):
        response = JsonResponse(
            {"title": title, "description": description, "http_status": str(status)},
            status=status,
            content_type=TAXII_MEDIA_TYPE,
        )
    elif path.startswith("/api/"):
        response = JsonResponse({"detail": description, "code": _code(status)}, status=status)
    else:
        page = loader.get_template("errors/error.html").render(
            {"status": status, "title": title, "description": description}
        )
        response = HttpResponse(page, status=status)
    if status == 503:
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


def _code(status: int) -> str:
    return _TITLES[status].lower().replace(" ", "_")


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """400, or 413 when the body is larger than the portal reads."""
    if isinstance(exception, RequestDataTooBig):
        return error_answer(request, 413)
    return error_answer(request, 400)


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return error_answer(request, 403)


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return error_answer(request, 404)


def server_error(request: HttpRequest) -> HttpResponse:
    """500, or 503 when the database does not answer. Django calls this while handling the
    exception, so the exception is still the current one."""
    exception = sys.exc_info()[1]
    if isinstance(exception, OperationalError | InterfaceError):
        return error_answer(request, 503)
    return error_answer(request, 500)
