"""TAXII 2.1 endpoints (OASIS TAXII 2.1, sections 4 and 5).

Plain Django views rather than REST framework ones: TAXII fixes its own media type, error
bodies and paging. Each view is a few lines: the wire rules live in `protocol`, the reads in
`selectors` (over the access policy) and the changes in `services`.
"""

import dataclasses
import functools
import json
import uuid
from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt
from rest_framework import exceptions

from accounts.api.authentication import PerTokenRateThrottle, presented_token
from accounts.models import ApiToken, Membership
from accounts.services.tokens import TokenRefused, token_authenticate
from sharing import policy
from sharing.models import StixObject
from sharing.normalize.parsers.jsontext import unstorable_text
from sharing.taxii import selectors, services
from sharing.taxii.protocol import (
    TAXII_MEDIA_TYPE,
    TaxiiError,
    accepts_taxii,
    encode_cursor,
    error_response,
    format_timestamp,
    is_taxii_content_type,
    parse_object_query,
    set_date_added_headers,
    taxii_response,
)
from sharing.taxii.selectors import STIX_MEDIA_TYPE, Page, TaxiiCollection

TaxiiView = Callable[..., HttpResponse]


def _authenticate(request: HttpRequest) -> ApiToken:
    try:
        plaintext = presented_token(request)
    except exceptions.AuthenticationFailed as refused:
        raise TaxiiError(401, "Authentication failed", str(refused.detail)) from None
    if plaintext is None:
        raise TaxiiError(
            401,
            "Authentication required",
            "Send an API token as 'Authorization: Bearer <token>' or as the Basic password.",
        )
    try:
        return token_authenticate(plaintext=plaintext, ip_address=request.META.get("REMOTE_ADDR"))
    except TokenRefused as refused:
        raise TaxiiError(401, "Authentication failed", str(refused)) from None


class TaxiiThrottled(TaxiiError):
    def __init__(self, wait: float) -> None:
        super().__init__(429, "Too many requests", f"Retry in {int(wait) + 1} seconds.")
        self.wait = wait


def _throttle(request: HttpRequest, token: ApiToken) -> None:
    """The REST API's per-token rate limit applies to TAXII polling too."""
    throttle = PerTokenRateThrottle()
    shim: Any = SimpleNamespace(auth=token, user=token.membership.user, META=request.META)
    if not throttle.allow_request(shim, None):  # type: ignore[arg-type]
        raise TaxiiThrottled(throttle.wait() or 1.0)


def taxii_wire(*methods: str) -> Callable[[TaxiiView], Callable[..., HttpResponse]]:
    """Method and Accept checks, and TAXII error bodies, for one endpoint: what the
    members' server and the public collection (sharing.public.taxii) share.

    Machine calls carry no cookies (a token, or nothing on the public collection), so CSRF
    protection does not apply.
    """

    def decorate(view: TaxiiView) -> Callable[..., HttpResponse]:
        @csrf_exempt
        @functools.wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            try:
                if request.method not in methods:
                    raise TaxiiError(405, "Method not allowed", f"Allowed: {', '.join(methods)}")
                if not accepts_taxii(request.headers.get("Accept", "")):
                    raise TaxiiError(
                        406, "Not acceptable", f"This server answers {TAXII_MEDIA_TYPE} only."
                    )
                try:
                    return view(request, *args, **kwargs)
                except (ValidationError, PermissionDenied) as refusal:
                    # A service's refusal, in the words it gave, as a TAXII error body.
                    raise refused_as_taxii_error(refusal) from None
            except TaxiiError as error:
                response = error_response(error)
                if error.http_status == 401:
                    response["WWW-Authenticate"] = 'Basic realm="taxii", Bearer realm="taxii"'
                elif error.http_status == 405:
                    response["Allow"] = ", ".join(methods)
                elif isinstance(error, TaxiiThrottled):
                    response["Retry-After"] = str(int(error.wait) + 1)
                return response

        return wrapper

    return decorate


def taxii_endpoint(*methods: str) -> Callable[[TaxiiView], Callable[..., HttpResponse]]:
    """`taxii_wire` plus the API token: the view receives the token's membership."""

    def decorate(view: TaxiiView) -> Callable[..., HttpResponse]:
        @taxii_wire(*methods)
        @functools.wraps(view)
        def authenticated(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            token = _authenticate(request)
            _throttle(request, token)
            if token.read_only and request.method not in ("GET", "HEAD"):
                raise TaxiiError(403, "This API token is read-only")
            request.taxii_may_publish = token.may_publish  # type: ignore[attr-defined]
            return view(request, token.membership, *args, **kwargs)

        return authenticated

    return decorate


def refused_as_taxii_error(refusal: ValidationError | PermissionDenied) -> TaxiiError:
    if isinstance(refusal, PermissionDenied):
        return TaxiiError(403, str(refusal) or "Not allowed")
    return TaxiiError(422, "The request was refused", " ".join(refusal.messages))


def _collection(viewer: Membership, collection_id: str) -> TaxiiCollection:
    collection = selectors.collection_for(viewer, collection_id)
    if collection is None:
        raise TaxiiError(404, "No such collection", collection_id)
    return collection


def _readable(viewer: Membership, collection_id: str) -> TaxiiCollection:
    collection = _collection(viewer, collection_id)
    if not collection.can_read:
        raise TaxiiError(403, "This collection cannot be read")
    return collection


def _page_response(body: str, page: Page) -> HttpResponse:
    response = HttpResponse(body, content_type=TAXII_MEDIA_TYPE)
    if page.rows:
        set_date_added_headers(response, page.rows[0].date_added, page.rows[-1].date_added)
    return response


def _paging_fields(page: Page) -> str:
    text = f'"more":{"true" if page.more else "false"}'
    if page.next is not None:
        text += f',"next":{json.dumps(encode_cursor(page.next))}'
    return text


# --- Server and API root ------------------------------------------------------------------


def discovery_response(
    request: HttpRequest, *, title: str, description: str, root: str
) -> HttpResponse:
    """The discovery resource naming one API root (`root`: its URL name)."""
    root_url = request.build_absolute_uri(reverse(root))
    return taxii_response(
        {"title": title, "description": description, "default": root_url, "api_roots": [root_url]}
    )


def api_root_response(*, title: str, description: str) -> HttpResponse:
    return taxii_response(
        {
            "title": title,
            "description": description,
            "versions": [TAXII_MEDIA_TYPE],
            "max_content_length": settings.TAXII_MAX_CONTENT_LENGTH,
        }
    )


@taxii_endpoint("GET")
def discovery(request: HttpRequest, viewer: Membership) -> HttpResponse:
    return discovery_response(
        request,
        title="ISAC portal TAXII 2.1 server",
        description=(
            "Threat intelligence shared by the ISAC's members, filtered by the portal's "
            "TLP access policy for the organisation the API token acts for."
        ),
        root="taxii:api-root",
    )


@taxii_endpoint("GET")
def api_root(request: HttpRequest, viewer: Membership) -> HttpResponse:
    return api_root_response(
        title="ISAC portal",
        description="Collections of STIX 2.1 objects from the portal's published reports.",
    )


@taxii_endpoint("GET")
def collections(request: HttpRequest, viewer: Membership) -> HttpResponse:
    found = selectors.collections_for(viewer)
    return taxii_response({"collections": [c.resource() for c in found]} if found else {})


@taxii_endpoint("GET")
def collection(request: HttpRequest, viewer: Membership, collection_id: str) -> HttpResponse:
    return taxii_response(_collection(viewer, collection_id).resource())


# --- Objects --------------------------------------------------------------------------------


@taxii_endpoint("GET", "POST")
def objects(request: HttpRequest, viewer: Membership, collection_id: str) -> HttpResponse:
    if request.method == "POST":
        return _add_objects(request, viewer, _collection(viewer, collection_id))
    return objects_response(request, _readable(viewer, collection_id).objects())


# Answers over a collection's objects, whoever may read them (members here, anyone on the
# public collection): the caller passes the objects the policy lets its reader have.


def objects_response(request: HttpRequest, objects: QuerySet[StixObject]) -> HttpResponse:
    page = selectors.object_page(objects, parse_object_query(request.GET))
    objects_text = ",".join(row.json for row in page.rows)
    body = "{" + _paging_fields(page) + (f',"objects":[{objects_text}]' if page.rows else "") + "}"
    return _page_response(body, page)


def object_response(
    request: HttpRequest, objects: QuerySet[StixObject], object_id: str
) -> HttpResponse:
    query = dataclasses.replace(parse_object_query(request.GET), ids=(object_id,))
    page = selectors.object_page(objects, query)
    if not page.rows and query.after is None:
        raise TaxiiError(404, "No such object", object_id)
    objects_text = ",".join(row.json for row in page.rows)
    body = "{" + _paging_fields(page) + (f',"objects":[{objects_text}]' if page.rows else "") + "}"
    return _page_response(body, page)


def object_versions_response(
    request: HttpRequest, objects: QuerySet[StixObject], object_id: str
) -> HttpResponse:
    query = dataclasses.replace(
        parse_object_query(request.GET, default_versions="all"), ids=(object_id,)
    )
    page = selectors.object_page(objects, query, with_json=False)
    if not page.rows and query.after is None:
        raise TaxiiError(404, "No such object", object_id)
    versions = [format_timestamp(row.modified) for row in page.rows]
    body = "{" + _paging_fields(page) + f',"versions":{json.dumps(versions)}' + "}"
    return _page_response(body, page)


def manifest_response(request: HttpRequest, objects: QuerySet[StixObject]) -> HttpResponse:
    page = selectors.object_page(objects, parse_object_query(request.GET), with_json=False)
    records = [
        {
            "id": row.stix_id,
            "date_added": format_timestamp(row.date_added),
            "version": format_timestamp(row.modified),
            "media_type": STIX_MEDIA_TYPE,
        }
        for row in page.rows
    ]
    body = "{" + _paging_fields(page) + (f',"objects":{json.dumps(records)}' if records else "")
    return _page_response(body + "}", page)


def _read_envelope(request: HttpRequest) -> bytes:
    if not is_taxii_content_type(request.content_type or ""):
        raise TaxiiError(415, "Unsupported media type", f"Send {TAXII_MEDIA_TYPE}.")
    limit = settings.TAXII_MAX_CONTENT_LENGTH
    too_large = TaxiiError(413, "Request too large", f"The limit is {limit} bytes.")
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        declared = 0
    if declared > limit:
        raise too_large
    # read() rather than .body: the limit here is TAXII's, not the form upload limit.
    raw = request.read(limit + 1)
    if len(raw) > limit:
        raise too_large
    return raw


def _envelope_objects(raw: bytes) -> list[dict[str, Any]]:
    depth = settings.NORMALIZE_MAX_JSON_DEPTH
    try:
        envelope = json.loads(raw)
    except RecursionError:
        raise TaxiiError(
            400, "The body is nested too deeply", f"The limit is {depth} levels."
        ) from None
    except ValueError:
        raise TaxiiError(400, "The body is not JSON") from None
    for field, problem in unstorable_text(envelope, max_depth=depth):
        raise TaxiiError(422, "The envelope cannot be stored", f"{field}: {problem}.")
    objects = envelope.get("objects") if isinstance(envelope, dict) else None
    if not isinstance(objects, list) or not objects:
        raise TaxiiError(422, "The envelope has no objects", "Send {'objects': [...]}.")
    for obj in objects:
        if not (isinstance(obj, dict) and isinstance(obj.get("id"), str) and obj.get("type")):
            raise TaxiiError(422, "Every object needs a type and an id")
    return objects


def _add_objects(
    request: HttpRequest, viewer: Membership, collection: TaxiiCollection
) -> HttpResponse:
    if not collection.can_write:
        raise TaxiiError(403, "This collection cannot be written to")
    objects = _envelope_objects(_read_envelope(request))
    submission = services.taxii_objects_add(
        viewer=viewer,
        objects=objects,
        content_type=request.content_type or "",
        publish_directly=getattr(request, "taxii_may_publish", False),
    )
    return taxii_response(selectors.status_resource(submission), status=202)


@taxii_endpoint("GET", "DELETE")
def object_detail(
    request: HttpRequest, viewer: Membership, collection_id: str, object_id: str
) -> HttpResponse:
    collection = _readable(viewer, collection_id)
    if request.method == "DELETE":
        if not collection.can_write:
            raise TaxiiError(403, "Objects cannot be deleted from this collection")
        query = parse_object_query(request.GET, default_versions="all")
        deleted = services.taxii_object_delete(viewer=viewer, stix_id=object_id, query=query)
        if not deleted:
            raise TaxiiError(404, "No such object", object_id)
        return HttpResponse(b"", content_type=TAXII_MEDIA_TYPE)
    return object_response(request, collection.objects(), object_id)


@taxii_endpoint("GET")
def object_versions(
    request: HttpRequest, viewer: Membership, collection_id: str, object_id: str
) -> HttpResponse:
    return object_versions_response(request, _readable(viewer, collection_id).objects(), object_id)


@taxii_endpoint("GET")
def manifest(request: HttpRequest, viewer: Membership, collection_id: str) -> HttpResponse:
    return manifest_response(request, _readable(viewer, collection_id).objects())


@taxii_endpoint("GET")
def status(request: HttpRequest, viewer: Membership, status_id: str) -> HttpResponse:
    submission = (
        policy.visible_submissions(viewer).filter(uuid=status_id, kind="taxii").first()
        if _is_uuid(status_id)
        else None
    )
    if submission is None:
        raise TaxiiError(404, "No such status", status_id)
    return taxii_response(selectors.status_resource(submission))


def _is_uuid(text: str) -> bool:
    try:
        uuid.UUID(text)
    except ValueError:
        return False
    return True
