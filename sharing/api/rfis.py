"""The REST API for requests for information: list, ask, read with answers, answer, and
the ISAC's routing, merging and closing; an answer made into a draft report.

Rows come from sharing.policy over the API channel (a TLP:RED request stays on the portal's
pages, like a TLP:RED report); every change is a service call.
"""

import uuid
from collections.abc import Callable
from typing import Any, TypeVar

import django_filters
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Prefetch, QuerySet
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import mixins, parsers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import APIException, NotFound, PermissionDenied
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.models import Membership, Sector
from sharing import policy
from sharing.api import serializers
from sharing.api.views import (
    FORBIDDEN,
    INVALID,
    NOT_FOUND,
    THROTTLED,
    UNAUTHENTICATED,
    NewestFirst,
    detail,
    listing,
    viewer_of,
)
from sharing.audience import addressable_groups, addressable_organisations
from sharing.models import Rfi
from sharing.rfi import services

T = TypeVar("T")

REFUSED = OpenApiResponse(
    serializers.ValidationErrorSerializer,
    description="Well formed, but a sharing rule refuses it: the audience does not fit the "
    "label, a due date in the past, wording about prices or strategy not confirmed, a closed "
    "request, an answer that is a report already.",
)
WRITE_ERRORS = {
    400: INVALID,
    401: UNAUTHENTICATED,
    403: FORBIDDEN,
    404: NOT_FOUND,
    409: REFUSED,
    429: THROTTLED,
}


class Refused(APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = "A sharing rule refuses this request."


class RfiFilter(django_filters.FilterSet):  # type: ignore[misc]  # django-filter is untyped
    class Meta:
        model = Rfi
        fields = ["status", "tlp"]


def _call(service: Callable[[], T]) -> T:
    """A service's refusal in the API's terms: 403 when the caller may not do it, 409 when a
    sharing rule refuses a well-formed request (400 is for requests the schema rejects)."""
    try:
        return service()
    except DjangoPermissionDenied as refused:
        raise PermissionDenied(str(refused)) from None
    except DjangoValidationError as invalid:
        raise Refused({"non_field_errors": invalid.messages}) from None


def _audience(viewer: Membership, data: dict[str, Any]) -> dict[str, Any]:
    """The audience's objects; an identifier the caller may not address is answered 404 like
    one that does not exist (as a sighting's unknown report is)."""
    slugs = set(data["audience_sectors"])
    sectors = list(Sector.objects.filter(slug__in=slugs))
    orgs = list(addressable_organisations().filter(uuid__in=set(data["audience_organisations"])))
    groups = list(addressable_groups(viewer).filter(uuid__in=set(data["audience_groups"])))
    problems: dict[str, list[str]] = {}
    if len(sectors) != len(slugs):
        problems["audience_sectors"] = ["No such sector."]
    if len(orgs) != len(set(data["audience_organisations"])):
        problems["audience_organisations"] = ["One of the organisations is not a member."]
    if len(groups) != len(set(data["audience_groups"])):
        problems["audience_groups"] = ["One of the trust groups is not one you can address."]
    if problems:
        raise NotFound(" ".join(p for messages in problems.values() for p in messages))
    return {
        "everyone": data["audience_everyone"],
        "sectors": sectors,
        "organisations": orgs,
        "groups": groups,
    }


@extend_schema_view(
    list=listing(
        "Requests for information the caller may read (never TLP:RED)", serializers.RfiSerializer
    ),
    retrieve=detail("One request for information with its answers", serializers.RfiSerializer),
)
class RfiViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet[Rfi]):
    """Questions members ask the membership, and their answers."""

    serializer_class = serializers.RfiSerializer
    parser_classes = [parsers.JSONParser]
    filterset_class = RfiFilter
    pagination_class = NewestFirst
    lookup_field = "uuid"
    lookup_url_kwarg = "id"

    def get_queryset(self) -> QuerySet[Rfi]:
        viewer = viewer_of(self.request)
        rfis = policy.visible_rfis(viewer, channel=policy.Channel.API)
        answers = policy.visible_rfi_answers(viewer, channel=policy.Channel.API)
        return rfis.select_related("organisation").prefetch_related(
            Prefetch("answers", queryset=answers.select_related("organisation", "report"))
        )

    def get_serializer_context(self) -> dict[str, Any]:
        return {**super().get_serializer_context(), "viewer": viewer_of(self.request)}

    def _viewer(self) -> Membership:
        viewer = viewer_of(self.request)
        if viewer is None:
            raise NotFound()
        return viewer

    def _shown(self, rfi: Rfi, code: int = status.HTTP_200_OK) -> Response:
        rfi = self.get_queryset().get(pk=rfi.pk)
        return Response(self.get_serializer(rfi).data, status=code)

    @extend_schema(
        summary="Ask a question of an audience, under a TLP label (not RED)",
        request=serializers.RfiCreateSerializer,
        responses={201: serializers.RfiSerializer, **WRITE_ERRORS},
    )
    def create(self, request: Request) -> Response:
        viewer = self._viewer()
        incoming = serializers.RfiCreateSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        data = incoming.validated_data
        audience = _audience(viewer, data)
        question = services.RfiQuestion(
            title=data["title"],
            body_markdown=data["body_markdown"],
            tlp=data["tlp"],
            anonymous=data["anonymous"],
            indicators_text=data["indicators_text"],
            due_on=data["due_on"],
            audience_everyone=audience["everyone"],
            audience_sectors=audience["sectors"],
            audience_organisations=audience["organisations"],
            audience_groups=audience["groups"],
        )
        rfi = _call(
            lambda: services.rfi_ask(
                by=viewer, question=question, sensitive_confirmed=data["sensitive_confirmed"]
            )
        )
        return self._shown(rfi, status.HTTP_201_CREATED)

    @extend_schema(
        summary="Answer a request the caller may read",
        request=serializers.RfiAnswerCreateSerializer,
        responses={201: serializers.RfiSerializer, **WRITE_ERRORS},
    )
    @action(detail=True, methods=["post"])
    def answers(self, request: Request, id: str | None = None) -> Response:
        rfi, viewer = self.get_object(), self._viewer()
        incoming = serializers.RfiAnswerCreateSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        data = incoming.validated_data
        _call(
            lambda: services.rfi_answer(
                rfi=rfi,
                by=viewer,
                body=data["body_markdown"],
                anonymous=data["anonymous"],
                for_isac=data["for_isac"],
                sensitive_confirmed=data["sensitive_confirmed"],
            )
        )
        return self._shown(rfi, status.HTTP_201_CREATED)

    @extend_schema(
        summary="Close with a summary (ISAC staff, or the asker)",
        request=serializers.RfiCloseSerializer,
        responses={200: serializers.RfiSerializer, **WRITE_ERRORS},
    )
    @action(detail=True, methods=["post"])
    def close(self, request: Request, id: str | None = None) -> Response:
        rfi, viewer = self.get_object(), self._viewer()
        incoming = serializers.RfiCloseSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        summary = incoming.validated_data["summary"]
        _call(lambda: services.rfi_close(rfi=rfi, by=viewer, summary=summary))
        return self._shown(rfi)

    @extend_schema(
        summary="Route to another audience under the same label (ISAC staff)",
        request=serializers.RfiRouteSerializer,
        responses={200: serializers.RfiSerializer, **WRITE_ERRORS},
    )
    @action(detail=True, methods=["post"])
    def route(self, request: Request, id: str | None = None) -> Response:
        rfi, viewer = self.get_object(), self._viewer()
        incoming = serializers.RfiRouteSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        data = incoming.validated_data
        audience = _audience(viewer, data)
        _call(lambda: services.rfi_route(rfi=rfi, by=viewer, reason=data["reason"], **audience))
        return self._shown(rfi)

    @extend_schema(
        summary="Close as a duplicate of another request (ISAC staff)",
        request=serializers.RfiMergeSerializer,
        responses={200: serializers.RfiSerializer, **WRITE_ERRORS},
    )
    @action(detail=True, methods=["post"])
    def merge(self, request: Request, id: str | None = None) -> Response:
        rfi, viewer = self.get_object(), self._viewer()
        incoming = serializers.RfiMergeSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        data = incoming.validated_data
        into = self.get_queryset().filter(uuid=data["into"]).first()
        if into is None:
            raise NotFound("No such request to merge into.")
        _call(lambda: services.rfi_merge(rfi=rfi, into=into, by=viewer, summary=data["summary"]))
        return self._shown(rfi)

    @extend_schema(
        summary="Make a draft report of one's own answer",
        request=None,
        parameters=[
            OpenApiParameter(
                "answer_id", OpenApiTypes.UUID, OpenApiParameter.PATH, description="The answer."
            )
        ],
        responses={
            201: serializers.RfiReportSerializer,
            **WRITE_ERRORS,
        },
    )
    @action(detail=True, methods=["post"], url_path=r"answers/(?P<answer_id>[^/.]+)/report")
    def answer_report(self, request: Request, answer_id: str, id: str | None = None) -> Response:
        rfi, viewer = self.get_object(), self._viewer()
        answers = policy.visible_rfi_answers(viewer, channel=policy.Channel.API)
        answer = answers.filter(rfi=rfi, uuid=_uuid_or_404(answer_id)).first()
        if answer is None:
            raise NotFound("No such answer.")
        report = _call(lambda: services.rfi_answer_to_report(answer=answer, by=viewer))
        body = {"report": report.uuid, "edit_url": reverse("report-edit", args=[report.uuid])}
        return Response(serializers.RfiReportSerializer(body).data, status=status.HTTP_201_CREATED)


def _uuid_or_404(value: str) -> str:
    try:
        return str(uuid.UUID(value))
    except ValueError:
        raise NotFound("No such answer.") from None
