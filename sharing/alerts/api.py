"""The REST API for alerts, watch lists and acknowledgements.

Alerts are read through `policy.visible_alerts`, like the pages; acknowledgements through
the policy's predicates; the watch list is its organisation's admins' (accounts.policy).
Reports are looked up as the API reads them (`policy.forwardable` over the API channel).
"""

from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import QuerySet
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, parsers, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, PermissionDenied, ValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.policy import is_member_org_admin
from sharing import policy
from sharing.alerts import services
from sharing.alerts.selectors import watched_assets_of
from sharing.api.views import (
    FORBIDDEN,
    INVALID,
    NOT_FOUND,
    READ_ERRORS,
    THROTTLED,
    UNAUTHENTICATED,
    NewestFirst,
    detail,
    listing,
    viewer_of,
)
from sharing.models import Alert, AlertMatch, ReportAcknowledgement, WatchedAsset

WRITE_ERRORS = {
    400: INVALID,
    401: UNAUTHENTICATED,
    403: FORBIDDEN,
    404: NOT_FOUND,
    429: THROTTLED,
}


def _refusal(error: Exception) -> Exception:
    if isinstance(error, DjangoPermissionDenied):
        return PermissionDenied(str(error))
    assert isinstance(error, DjangoValidationError)
    return ValidationError({"non_field_errors": error.messages})


class AlertMatchSerializer(serializers.ModelSerializer[AlertMatch]):
    asset: Any = serializers.SlugRelatedField(
        slug_field="uuid", read_only=True, allow_null=True, help_text="The watch-list entry."
    )
    asset_value: Any = serializers.CharField(source="asset.value", read_only=True, default=None)

    class Meta:
        model = AlertMatch
        fields = ["kind", "matched", "asset", "asset_value", "reason"]


class AlertSerializer(serializers.ModelSerializer[Alert]):
    id = serializers.UUIDField(source="uuid", read_only=True)
    report: Any = serializers.SlugRelatedField(slug_field="uuid", read_only=True)
    report_title: Any = serializers.CharField(source="report.title", read_only=True)
    tlp: Any = serializers.CharField(source="report.tlp", read_only=True)
    matches = AlertMatchSerializer(many=True, read_only=True)

    class Meta:
        model = Alert
        fields = [
            "id",
            "report",
            "report_title",
            "report_version",
            "tlp",
            "state",
            "created_at",
            "handled_at",
            "matches",
        ]


class AlertStateSerializer(serializers.Serializer[Any]):
    state = serializers.ChoiceField(choices=Alert.State.choices)


class WatchedAssetSerializer(serializers.ModelSerializer[WatchedAsset]):
    id = serializers.UUIDField(source="uuid", read_only=True)

    class Meta:
        model = WatchedAsset
        fields = ["id", "kind", "value", "cpe", "note", "created_at"]
        read_only_fields = ["id", "created_at"]
        extra_kwargs = {"value": {"validators": []}, "cpe": {"required": False}}


class AcknowledgementCountsSerializer(serializers.Serializer[Any]):
    read = serializers.IntegerField()
    affected = serializers.IntegerField()
    not_affected = serializers.IntegerField()
    investigating = serializers.IntegerField()


class AcknowledgementSerializer(serializers.Serializer[Any]):
    """The caller's organisation's own answer, and counts over every organisation where the
    caller may see them (ISAC staff, the report's source); never who answered."""

    read_at = serializers.DateTimeField(allow_null=True)
    impact = serializers.CharField(allow_blank=True)
    counts = AcknowledgementCountsSerializer(allow_null=True)


class AcknowledgeSerializer(serializers.Serializer[Any]):
    impact = serializers.ChoiceField(
        choices=ReportAcknowledgement.Impact.choices, required=False, allow_blank=True
    )


@extend_schema_view(
    list=extend_schema(
        summary="Alerts about the caller's organisation",
        parameters=[OpenApiParameter("state", str, enum=list(Alert.State.values), required=False)],
        responses={200: AlertSerializer(many=True), **READ_ERRORS},
    ),
    retrieve=detail("One alert, with why it matched", AlertSerializer),
)
class AlertViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet[Alert]
):
    """Published reports that touch the caller's organisation, and why."""

    serializer_class = AlertSerializer
    pagination_class = NewestFirst
    parser_classes = [parsers.JSONParser]
    lookup_field = "uuid"
    lookup_url_kwarg = "id"

    def get_queryset(self) -> QuerySet[Alert]:
        # Like every API answer: nothing derived from a TLP:RED report.
        alerts = policy.restrict(
            viewer_of(self.request),
            policy.visible_alerts(viewer_of(self.request)),
            channel=policy.Channel.API,
        )
        state = self.request.query_params.get("state")
        if state:
            if state not in Alert.State.values:
                raise ValidationError({"state": [f"Choose one of {', '.join(Alert.State)}."]})
            alerts = alerts.filter(state=state)
        return alerts.select_related("report").prefetch_related("matches__asset")

    @extend_schema(
        summary="Acknowledge, dismiss or reopen an alert",
        request=AlertStateSerializer,
        responses={200: AlertSerializer, **WRITE_ERRORS},
    )
    @action(detail=True, methods=["post"])
    def state(self, request: Request, id: str) -> Response:
        alert = self.get_object()
        incoming = AlertStateSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        viewer = viewer_of(request)
        if viewer is None:
            raise NotFound("No such alert.")
        try:
            services.alert_set_state(alert=alert, state=incoming.validated_data["state"], by=viewer)
        except (DjangoPermissionDenied, DjangoValidationError) as error:
            raise _refusal(error) from None
        return Response(AlertSerializer(self.get_queryset().get(pk=alert.pk)).data)


@extend_schema_view(
    list=listing("The organisation's watch list (its admins)", WatchedAssetSerializer),
    retrieve=detail("One watch-list entry", WatchedAssetSerializer),
    create=extend_schema(
        summary="Add a domain, IP range, ASN, brand name or product",
        request=WatchedAssetSerializer,
        responses={201: WatchedAssetSerializer, **WRITE_ERRORS},
    ),
    destroy=extend_schema(
        summary="Remove a watch-list entry", responses={204: None, **WRITE_ERRORS}
    ),
)
class WatchedAssetViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet[WatchedAsset],
):
    """What the caller's organisation registers as its own; its admins only."""

    serializer_class = WatchedAssetSerializer
    pagination_class = NewestFirst
    parser_classes = [parsers.JSONParser]
    lookup_field = "uuid"
    lookup_url_kwarg = "id"

    def get_queryset(self) -> QuerySet[WatchedAsset]:
        viewer = viewer_of(self.request)
        if viewer is None or not is_member_org_admin(viewer):
            return WatchedAsset.objects.none()
        return watched_assets_of(viewer.organisation)

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        viewer = viewer_of(request)
        if viewer is None or not is_member_org_admin(viewer):
            raise PermissionDenied("Only the organisation's admins keep its watch list.")
        incoming = WatchedAssetSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        data = incoming.validated_data
        try:
            asset = services.watched_asset_add(
                organisation=viewer.organisation,
                kind=data["kind"],
                value=data["value"],
                cpe=data.get("cpe", ""),
                note=data.get("note", ""),
                by=viewer,
            )
        except (DjangoPermissionDenied, DjangoValidationError) as error:
            raise _refusal(error) from None
        return Response(WatchedAssetSerializer(asset).data, status=status.HTTP_201_CREATED)

    def destroy(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        asset = self.get_object()
        viewer = viewer_of(request)
        assert viewer is not None  # get_queryset returned the row
        try:
            services.watched_asset_remove(asset=asset, by=viewer)
        except (DjangoPermissionDenied, DjangoValidationError) as error:
            raise _refusal(error) from None
        return Response(status=status.HTTP_204_NO_CONTENT)


class ReportAcknowledgementViewSet(viewsets.ViewSet):
    """A report's read receipt and impact answer, as /reports/{id}/acknowledgement/."""

    parser_classes = [parsers.JSONParser]

    def _report(self, request: Request, id: str) -> Any:
        viewer = viewer_of(request)
        report = policy.forwardable(viewer, policy.Channel.API).filter(uuid=id).first()
        if viewer is None or report is None:
            raise NotFound("No such report.")
        return viewer, report

    def _answer(self, viewer: Any, report: Any) -> dict[str, Any]:
        own = policy.own_acknowledgement(viewer, report)
        return {
            "read_at": own.read_at if own else None,
            "impact": own.impact if own else "",
            "counts": policy.acknowledgement_counts(viewer, report),
        }

    @extend_schema(
        summary="The organisation's acknowledgement of a report, and counts where allowed",
        responses={200: AcknowledgementSerializer, **READ_ERRORS},
    )
    def retrieve(self, request: Request, id: str) -> Response:
        viewer, report = self._report(request, id)
        return Response(AcknowledgementSerializer(self._answer(viewer, report)).data)

    @extend_schema(
        summary="Acknowledge a report: read, and affected / not affected / investigating",
        request=AcknowledgeSerializer,
        responses={200: AcknowledgementSerializer, **WRITE_ERRORS},
    )
    def create(self, request: Request, id: str) -> Response:
        viewer, report = self._report(request, id)
        incoming = AcknowledgeSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        impact = incoming.validated_data.get("impact") or None
        try:
            services.report_acknowledge(report=report, by=viewer, impact=impact)
        except (DjangoPermissionDenied, DjangoValidationError) as error:
            raise _refusal(error) from None
        return Response(AcknowledgementSerializer(self._answer(viewer, report)).data)
