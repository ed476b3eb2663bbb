"""The sharing REST API: reports, submissions, indicators and trust groups.

Every queryset comes from the access policy (or the groups' selectors) for the membership
the token acts for; a row the caller may not see is a 404, whatever the method.
"""

from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import QuerySet
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import mixins, pagination, parsers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, PermissionDenied, ValidationError
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.models import ApiToken, Membership
from accounts.models.groups import TrustGroup
from accounts.selectors.groups import groups_of, visible_groups
from accounts.web import acting_membership
from sharing import policy
from sharing.api import filters, serializers
from sharing.api.uploads import (
    RawUpload,
    RawUploadParser,
    SubmissionJSONParser,
    UploadTooLarge,
)
from sharing.fanout.selectors import subscriptions_managed_by
from sharing.feeds.selectors import feeds_for
from sharing.formats.stix import report_bundle
from sharing.lifecycle.selectors import rules_in_force
from sharing.lifecycle.services import indicator_expire
from sharing.models import (
    Delivery,
    Feed,
    Report,
    ReportIndicator,
    Sighting,
    Submission,
    Subscription,
)
from sharing.normalize.services import submission_create
from sharing.selectors import indicator_lookup, sector_slugs_of
from sharing.services import sighting_create

_ERROR = serializers.ErrorSerializer
UNAUTHENTICATED = OpenApiResponse(_ERROR, description="No valid API token.")
FORBIDDEN = OpenApiResponse(_ERROR, description="The token may not do this (e.g. read-only).")
NOT_FOUND = OpenApiResponse(
    _ERROR, description="No such object for this caller, or a cursor the server did not issue."
)
TOO_LARGE = OpenApiResponse(_ERROR, description="The body is larger than the upload limit.")
THROTTLED = OpenApiResponse(_ERROR, description="The token's rate limit is used up.")
INVALID = OpenApiResponse(
    serializers.ValidationErrorSerializer, description="The request's fields are invalid."
)
READ_ERRORS = {400: INVALID, 401: UNAUTHENTICATED, 403: FORBIDDEN, 404: NOT_FOUND, 429: THROTTLED}


def listing(summary: str, serializer: type[Any]) -> Any:
    return extend_schema(summary=summary, responses={200: serializer(many=True), **READ_ERRORS})


def detail(summary: str, serializer: type[Any]) -> Any:
    return extend_schema(summary=summary, responses={200: serializer, **READ_ERRORS})


def viewer_of(request: Request) -> Membership | None:
    """The membership the token (or the signed-in person's switcher) acts for."""
    return acting_membership(request._request)


class NewestFirst(pagination.CursorPagination):
    ordering: Any = "-created_at"
    page_size_query_param = "page_size"
    max_page_size = 500


class PublishedFirst(NewestFirst):
    ordering = ("-published_at", "-created_at")


class LastSeenFirst(NewestFirst):
    ordering = ("-last_seen", "-first_seen")


@extend_schema_view(
    list=listing("Reports the caller may read", serializers.ReportSerializer),
    retrieve=detail("One report", serializers.ReportSerializer),
)
class ReportViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet[Report]
):
    """Published reports the TLP access policy lets the caller's organisation receive."""

    serializer_class = serializers.ReportSerializer
    filterset_class = filters.ReportFilter
    pagination_class = PublishedFirst
    lookup_field = "uuid"
    lookup_url_kwarg = "id"

    def get_queryset(self) -> QuerySet[Report]:
        # Machine clients get what TAXII may carry: published reports, never TLP:RED, which
        # stays on the portal's pages for the people it names.
        return (
            policy.forwardable(viewer_of(self.request), policy.Channel.API)
            .select_related("organisation")
            .prefetch_related("sectors")
        )

    def get_serializer_context(self) -> dict[str, Any]:
        return {**super().get_serializer_context(), "viewer": viewer_of(self.request)}

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        # The rows are written directly (serializers.report_rows, the serializer's output),
        # from only the columns they show: not the stored search text or indicator list.
        reports = (
            self.filter_queryset(self.get_queryset())
            .prefetch_related(None)
            .values_list("pk", *serializers.REPORT_ROW_FIELDS, named=True)
        )
        page = self.paginate_queryset(reports)
        assert page is not None  # the viewset always paginates
        rows = serializers.report_rows(
            page,
            viewer=viewer_of(request),
            sectors=sector_slugs_of([report.pk for report in page]),
        )
        return self.get_paginated_response(rows)

    @extend_schema(
        summary="The report's current STIX 2.1 bundle (as TAXII and webhooks carry it)",
        responses={200: OpenApiTypes.OBJECT, **READ_ERRORS},
    )
    @action(detail=True, methods=["get"])
    def stix(self, request: Request, id: str | None = None) -> Response:
        return Response(report_bundle(self.get_object()))


@extend_schema_view(
    list=listing(
        "The organisation's submissions and their progress", serializers.SubmissionSerializer
    ),
    retrieve=detail(
        "One submission's status: queued, processing, needs_review, published or failed",
        serializers.SubmissionSerializer,
    ),
)
class SubmissionViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet[Submission]
):
    """Uploads for normalisation into STIX 2.1; the organisation's own only."""

    serializer_class = serializers.SubmissionSerializer
    parser_classes = [parsers.JSONParser]
    filterset_class = filters.SubmissionFilter
    pagination_class = NewestFirst
    lookup_field = "uuid"
    lookup_url_kwarg = "id"

    def get_queryset(self) -> QuerySet[Submission]:
        return policy.visible_submissions(viewer_of(self.request)).select_related("report")

    @extend_schema(
        summary="Submit text, a STIX bundle, a CSV or a MISP event for normalisation",
        description=(
            "Either JSON (`kind`, `content`, `filename`, `anonymous`), or the file itself as the "
            "body with any other media type and `kind`, `filename`, `anonymous` in the query "
            "string (`kind` defaults to free text); the raw form suits large files, which are "
            "read once, as sent. Bodies larger than NORMALIZE_MAX_UPLOAD_BYTES (50 MB by "
            "default) are refused with 413."
        ),
        request={
            "application/json": serializers.SubmissionCreateSerializer,
            "application/octet-stream": OpenApiTypes.BINARY,
        },
        parameters=[serializers.SubmissionUploadParamsSerializer],
        responses={
            202: serializers.SubmissionSerializer,
            400: INVALID,
            401: UNAUTHENTICATED,
            403: FORBIDDEN,
            413: TOO_LARGE,
            429: THROTTLED,
        },
    )
    def create(self, request: Request) -> Response:
        viewer = viewer_of(request)
        if viewer is None or not policy.can_post(viewer):
            raise PermissionDenied("Only organisations in good standing may submit.")
        posted: Any = request.data
        if not posted and not (request.content_type or "").startswith("application/json"):
            # An empty raw body (the parsers are not asked about it): stored, then failed by
            # normalisation with its reason, like any other unusable upload.
            posted = RawUpload(bytearray())
        if isinstance(posted, RawUpload):
            params = serializers.SubmissionUploadParamsSerializer(data=request.query_params)
            params.is_valid(raise_exception=True)
            data = params.validated_data
            data.setdefault("kind", Submission.Kind.TEXT)
            raw: bytes | bytearray = posted.raw
            content_type = request.content_type or "application/octet-stream"
        else:
            incoming = serializers.SubmissionCreateSerializer(data=posted)
            incoming.is_valid(raise_exception=True)
            data = incoming.validated_data
            raw = data["content"].encode()
            content_type = "text/plain; charset=utf-8"
        try:
            submission = submission_create(
                organisation=viewer.organisation,
                submitted_by=viewer.user,
                kind=data["kind"],
                raw=raw,
                filename=data["filename"],
                content_type=content_type,
                anonymous=data["anonymous"],
                publish_directly=isinstance(request.auth, ApiToken) and request.auth.may_publish,
            )
        except DjangoValidationError as invalid:
            if invalid.code == "too_large":
                raise UploadTooLarge(settings.NORMALIZE_MAX_UPLOAD_BYTES) from None
            raise ValidationError({"content": invalid.messages}) from None
        body = serializers.SubmissionSerializer(submission).data
        return Response(body, status=status.HTTP_202_ACCEPTED)

    def get_parsers(self) -> list[Any]:
        if self.request is not None and self.request.method == "POST":
            return [SubmissionJSONParser(), RawUploadParser()]
        return super().get_parsers()


@extend_schema_view(
    list=listing(
        "Indicators in reports the caller may read, with each report's context",
        serializers.IndicatorSerializer,
    ),
)
class IndicatorViewSet(mixins.ListModelMixin, viewsets.GenericViewSet[ReportIndicator]):
    """One row per (indicator, report) the caller may read: first/last seen and confidence are
    the report's, never totals over reports the caller cannot see."""

    serializer_class = serializers.IndicatorSerializer
    parser_classes = [parsers.JSONParser]
    filterset_class = filters.IndicatorFilter
    pagination_class = LastSeenFirst

    def get_queryset(self) -> QuerySet[ReportIndicator]:
        viewer = viewer_of(self.request)
        links: Any = policy.visible_report_indicators(viewer, channel=policy.Channel.API)
        rows: QuerySet[ReportIndicator] = links.select_related("indicator", "report")
        return rows

    def get_serializer_context(self) -> dict[str, Any]:
        # One read of the decay rules and one "now" for the whole page.
        return {
            **super().get_serializer_context(),
            "rules": rules_in_force(),
            "now": timezone.now(),
        }

    def get_permissions(self) -> list[Any]:
        # A lookup only reads, even when a long list of values is POSTed.
        if self.action == "lookup":
            return [IsAuthenticated()]
        return list(super().get_permissions())

    @extend_schema(
        summary="Mark an indicator no longer valid, with a reason",
        description="The report's organisation and ISAC staff end it for everyone (it is "
        "revoked: a new STIX version, and block-list feeds drop it); any other reader's call "
        "is a flag, one per organisation, counted for the author and ISAC staff.",
        request=serializers.IndicatorExpireSerializer,
        responses={
            201: serializers.IndicatorExpirySerializer,
            400: INVALID,
            401: UNAUTHENTICATED,
            403: FORBIDDEN,
            404: NOT_FOUND,
            429: THROTTLED,
        },
    )
    @action(detail=False, methods=["post"], pagination_class=None, filterset_class=None)
    def expire(self, request: Request) -> Response:
        viewer = viewer_of(request)
        incoming = serializers.IndicatorExpireSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        data = incoming.validated_data
        link = (
            policy.visible_report_indicators(viewer, channel=policy.Channel.API)
            .filter(report__uuid=data["report"], indicator__stix_id=data["indicator"])
            .select_related("indicator", "report")
            .first()
        )
        if viewer is None or link is None:
            raise NotFound("No such indicator.")
        try:
            expiry = indicator_expire(link=link, reason=data["reason"], by=viewer)
        except DjangoPermissionDenied as refused:
            raise PermissionDenied(str(refused)) from None
        except DjangoValidationError as invalid:
            raise ValidationError({"non_field_errors": invalid.messages}) from None
        body = serializers.IndicatorExpirySerializer(expiry).data
        return Response(body, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Look values up: which are known, in how many readable reports, since when",
        request=serializers.IndicatorLookupSerializer,
        parameters=[
            OpenApiParameter("value", str, description="One value to look up (GET)."),
        ],
        responses={200: serializers.IndicatorFactsSerializer(many=True), **READ_ERRORS},
    )
    @action(detail=False, methods=["get", "post"], pagination_class=None, filterset_class=None)
    def lookup(self, request: Request) -> Response:
        if request.method == "GET":
            # Nothing asked, nothing answered: an empty list, like a POST of blank lines.
            values = [request.query_params.get("value", "")]
        else:
            incoming = serializers.IndicatorLookupSerializer(data=request.data)
            incoming.is_valid(raise_exception=True)
            values = incoming.validated_data["values"]
        answers = indicator_lookup(viewer_of(request), values)
        return Response(serializers.IndicatorFactsSerializer(answers, many=True).data)


@extend_schema_view(
    list=listing(
        "Trust groups the caller's organisation belongs to", serializers.TrustGroupSerializer
    ),
    retrieve=detail("A trust group the caller may see", serializers.TrustGroupSerializer),
)
class TrustGroupViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet[TrustGroup]
):
    serializer_class = serializers.TrustGroupSerializer
    pagination_class = NewestFirst
    lookup_field = "uuid"
    lookup_url_kwarg = "id"

    def get_queryset(self) -> QuerySet[TrustGroup]:
        viewer = viewer_of(self.request)
        if viewer is None:
            return TrustGroup.objects.none()
        if self.action == "list":
            return groups_of(viewer).select_related("sector")
        return visible_groups(viewer).select_related("sector")


@extend_schema_view(
    list=listing("Sightings of reports the caller may read", serializers.SightingSerializer),
)
class SightingViewSet(mixins.ListModelMixin, viewsets.GenericViewSet[Sighting]):
    """ "We saw this too": sightings of reports the caller may read."""

    serializer_class = serializers.SightingSerializer
    parser_classes = [parsers.JSONParser]
    filterset_class = filters.SightingFilter
    pagination_class = NewestFirst

    def get_queryset(self) -> QuerySet[Sighting]:
        # Like every API answer: never anything derived from a TLP:RED report.
        viewer = viewer_of(self.request)
        return policy.visible_sightings(viewer, channel=policy.Channel.API).select_related(
            "report", "indicator", "organisation"
        )

    def get_serializer_context(self) -> dict[str, Any]:
        return {**super().get_serializer_context(), "viewer": viewer_of(self.request)}

    @extend_schema(
        summary="Report a sighting of a report, or of one of its indicators",
        request=serializers.SightingCreateSerializer,
        responses={
            201: serializers.SightingSerializer,
            400: INVALID,
            401: UNAUTHENTICATED,
            403: FORBIDDEN,
            404: NOT_FOUND,
            429: THROTTLED,
        },
    )
    def create(self, request: Request) -> Response:
        viewer = viewer_of(request)
        incoming = serializers.SightingCreateSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        data = incoming.validated_data
        report = policy.forwardable(viewer, policy.Channel.API).filter(uuid=data["report"]).first()
        if viewer is None or report is None:
            raise NotFound("No such report.")
        indicator = None
        if data.get("indicator"):
            link = (
                policy.visible_report_indicators(viewer, channel=policy.Channel.API)
                .filter(report=report, indicator__stix_id=data["indicator"])
                .select_related("indicator")
                .first()
            )
            indicator = link.indicator if link is not None else None
            if indicator is None:
                raise ValidationError({"indicator": ["That indicator is not part of this report."]})
        try:
            sighting = sighting_create(
                report=report,
                by=viewer,
                seen_on=data["seen_on"],
                note=data["note"],
                anonymous=data["anonymous"],
                indicator=indicator,
                kind=data["kind"],
            )
        except DjangoPermissionDenied as refused:
            raise PermissionDenied(str(refused)) from None
        except DjangoValidationError as invalid:
            raise ValidationError({"non_field_errors": invalid.messages}) from None
        body = serializers.SightingSerializer(sighting, context={"viewer": viewer}).data
        return Response(body, status=status.HTTP_201_CREATED)


class ByName(NewestFirst):
    ordering = ("name", "created_at")


@extend_schema_view(
    list=listing("Feeds the caller may subscribe to", serializers.FeedSerializer),
    retrieve=detail("One feed", serializers.FeedSerializer),
)
class FeedViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet[Feed]):
    """The ISAC's feeds and the caller's personal filters; each is also a TAXII collection."""

    serializer_class = serializers.FeedSerializer
    pagination_class = ByName
    lookup_field = "uuid"
    lookup_url_kwarg = "id"

    def get_queryset(self) -> QuerySet[Feed]:
        return (
            feeds_for(viewer_of(self.request))
            .select_related("trust_group")
            .prefetch_related("sectors")
        )


@extend_schema_view(
    list=listing(
        "The caller's subscriptions (and the organisation's, for its admins)",
        serializers.SubscriptionSerializer,
    ),
    retrieve=detail("One subscription", serializers.SubscriptionSerializer),
)
class SubscriptionViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet[Subscription]
):
    serializer_class = serializers.SubscriptionSerializer
    pagination_class = NewestFirst
    lookup_field = "uuid"
    lookup_url_kwarg = "id"

    def get_queryset(self) -> QuerySet[Subscription]:
        return subscriptions_managed_by(viewer_of(self.request))


@extend_schema_view(
    list=listing(
        "Deliveries of the caller's subscriptions, for reports the caller may read",
        serializers.DeliverySerializer,
    ),
    retrieve=detail("One delivery", serializers.DeliverySerializer),
)
class DeliveryViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet[Delivery]
):
    serializer_class = serializers.DeliverySerializer
    filterset_class = filters.DeliveryFilter
    pagination_class = NewestFirst
    lookup_field = "uuid"
    lookup_url_kwarg = "id"

    def get_queryset(self) -> QuerySet[Delivery]:
        viewer = viewer_of(self.request)
        return policy.visible_deliveries(viewer, channel=policy.Channel.API).select_related(
            "report", "subscription"
        )
