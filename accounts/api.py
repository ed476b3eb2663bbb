"""REST endpoints about the caller; the sharing API lives in sharing/api/."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import ApiToken


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
        membership = request._request.membership  # type: ignore[attr-defined]
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
