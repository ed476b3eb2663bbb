"""The public TAXII 2.1 collection: the members' TAXII server's own endpoints and wire rules
(sharing.taxii.views), over the public reads of the policy instead of a member's.

One API root with one read-only collection; nobody authenticates, so nothing can be added
or deleted here.
"""

import uuid

from django.http import HttpRequest, HttpResponse

from sharing import policy
from sharing.public.http import public_endpoint
from sharing.taxii.protocol import TaxiiError, taxii_response
from sharing.taxii.selectors import TaxiiCollection
from sharing.taxii.views import (
    api_root_response,
    discovery_response,
    manifest_response,
    object_response,
    object_versions_response,
    objects_response,
    taxii_wire,
)

# Fixed, like the members' "shared with my organisation" collection (same namespace).
_NAMESPACE = uuid.UUID("6f1d6c38-3a39-4d4e-9a43-5b1e3f0f4a21")
PUBLIC_COLLECTION_ID = uuid.uuid5(_NAMESPACE, "public-clear")

PUBLIC_COLLECTION = TaxiiCollection(
    id=PUBLIC_COLLECTION_ID,
    title="Public TLP:CLEAR reports",
    description=(
        "STIX 2.1 objects of the TLP:CLEAR reports the ISAC's members released for anyone: "
        "indicators, observables, the report objects and their source (the ISAC, unless the "
        "member chose to be named). Withdrawn reports leave the collection."
    ),
    can_read=True,
    can_write=False,
    objects=policy.public_stix_objects,
)


def _collection(collection_id: str) -> TaxiiCollection:
    if collection_id != str(PUBLIC_COLLECTION_ID):
        raise TaxiiError(404, "No such collection", collection_id)
    return PUBLIC_COLLECTION


@taxii_wire("GET", "HEAD")
@public_endpoint(taxii=True)
def discovery(request: HttpRequest) -> HttpResponse:
    return discovery_response(
        request,
        title="ISAC public TAXII 2.1 server",
        description=(
            "TLP:CLEAR threat intelligence the ISAC's members released for anyone. "
            "No account or token is needed."
        ),
        root="public:taxii-api-root",
    )


@taxii_wire("GET", "HEAD")
@public_endpoint(taxii=True)
def api_root(request: HttpRequest) -> HttpResponse:
    return api_root_response(
        title="ISAC public feed",
        description="One read-only collection of released TLP:CLEAR reports.",
    )


@taxii_wire("GET", "HEAD")
@public_endpoint(taxii=True)
def collections(request: HttpRequest) -> HttpResponse:
    return taxii_response({"collections": [PUBLIC_COLLECTION.resource()]})


@taxii_wire("GET", "HEAD")
@public_endpoint(taxii=True)
def collection(request: HttpRequest, collection_id: str) -> HttpResponse:
    return taxii_response(_collection(collection_id).resource())


@taxii_wire("GET", "HEAD")
@public_endpoint(taxii=True)
def objects(request: HttpRequest, collection_id: str) -> HttpResponse:
    return objects_response(request, _collection(collection_id).objects())


@taxii_wire("GET", "HEAD")
@public_endpoint(taxii=True)
def object_detail(request: HttpRequest, collection_id: str, object_id: str) -> HttpResponse:
    return object_response(request, _collection(collection_id).objects(), object_id)


@taxii_wire("GET", "HEAD")
@public_endpoint(taxii=True)
def object_versions(request: HttpRequest, collection_id: str, object_id: str) -> HttpResponse:
    return object_versions_response(request, _collection(collection_id).objects(), object_id)


@taxii_wire("GET", "HEAD")
@public_endpoint(taxii=True)
def manifest(request: HttpRequest, collection_id: str) -> HttpResponse:
    return manifest_response(request, _collection(collection_id).objects())
