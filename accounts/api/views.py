"""REST endpoints about the caller; the sharing API lives in sharing/api/."""

from typing import Any

import django_filters
from django.db.models import QuerySet
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.generics import ListAPIView
from rest_framework.pagination import CursorPagination
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import ApiToken, Organisation
from accounts.policy import is_isac_admin
from accounts.selectors.members import AgreementState, organisations_with_agreement_state
from accounts.web import acting_membership


class OrganisationRefSerializer(serializers.Serializer[object]):
    id = serializers.UUIDField()
    name = serializers.CharField()


class TokenInfoSerializer(serializers.Serializer[object]):
    name = serializers.CharField()
    prefix = serializers.CharField()
    read_only = serializers.BooleanField()  # type: ignore[assignment]  # a field, not the flag
    expires_at = serializers.DateTimeField(allow_null=True)


class MeSerializer(serializers.Serializer[object]):
    email = serializers.EmailField()
    full_name = serializers.CharField()
    organisation = OrganisationRefSerializer(allow_null=True)
    role = serializers.CharField(allow_null=True)
    token = TokenInfoSerializer(allow_null=True)


class MeView(APIView):
    """Who the caller is and which organisation it acts for: a first check when wiring a tool."""

    @extend_schema(responses=MeSerializer, summary="The authenticated person and organisation")
    def get(self, request: Request) -> Response:
        membership = acting_membership(request._request)
        token = request.auth if isinstance(request.auth, ApiToken) else None
        body = {
            "email": request.user.email,  # type: ignore[union-attr]
            "full_name": request.user.full_name,  # type: ignore[union-attr]
            "organisation": (
                {"id": membership.organisation.uuid, "name": membership.organisation.name}
                if membership is not None
                else None
            ),
            "role": membership.role if membership is not None else None,
            "token": token,
        }
        return Response(MeSerializer(body).data)


class OrganisationSerializer(serializers.Serializer[Organisation]):
    id = serializers.UUIDField(source="uuid")
    name = serializers.CharField()
    short_name = serializers.CharField()
    status = serializers.ChoiceField(choices=Organisation.Status.choices)
    country = serializers.CharField()
    is_isac = serializers.BooleanField()
    sectors = serializers.SerializerMethodField()
    domains = serializers.SerializerMethodField()
    agreement_state = serializers.ChoiceField(choices=AgreementState.choices)
    agreement_expires_at = serializers.DateTimeField(allow_null=True)

    def get_sectors(self, org: Organisation) -> list[str]:
        return [s.slug for s in org.sectors.all()]

    def get_domains(self, org: Organisation) -> list[str]:
        return [d.domain for d in org.domains.all()]


class OrganisationFilter(django_filters.FilterSet):  # type: ignore[misc]  # untyped library
    status = django_filters.ChoiceFilter(choices=Organisation.Status.choices)
    sector = django_filters.CharFilter(field_name="sectors__slug", label="Sector slug")
    agreement = django_filters.ChoiceFilter(
        field_name="agreement_state", choices=AgreementState.choices, label="Agreement state"
    )

    class Meta:
        model = Organisation
        fields = ["status", "sector", "agreement"]


class OrganisationCursor(CursorPagination):
    ordering = ("name", "id")


class OrganisationListView(ListAPIView[Organisation]):
    """Member organisations with their agreement state: all of them for ISAC admins, the
    caller's own organisation for everyone else."""

    serializer_class = OrganisationSerializer
    filterset_class = OrganisationFilter
    pagination_class = OrganisationCursor

    def get_queryset(self) -> QuerySet[Organisation]:
        if getattr(self, "swagger_fake_view", False):  # schema generation: no request
            return Organisation.objects.none()
        membership = acting_membership(self.request._request)
        organisations = organisations_with_agreement_state()
        if membership is None:
            return organisations.none()
        if is_isac_admin(membership):
            return organisations
        return organisations.filter(pk=membership.organisation_id)

    @extend_schema(
        summary="Member organisations and the state of their agreement",
        responses={
            200: OrganisationSerializer(many=True),
            404: OpenApiResponse(description="The paging cursor is not valid."),
        },
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)
