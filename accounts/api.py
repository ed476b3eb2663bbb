"""REST endpoints about the caller; the sharing API lives in sharing/api/."""

from typing import Any

from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import ApiToken


class MeView(APIView):
    """Who the caller is and which organisation it acts for: a first check when wiring a tool."""

    def get(self, request: Request) -> Response:
        membership = request._request.membership  # type: ignore[attr-defined]
        body: dict[str, Any] = {
            "email": request.user.email,  # type: ignore[union-attr]
            "full_name": request.user.full_name,  # type: ignore[union-attr]
            "organisation": None,
            "role": None,
            "token": None,
        }
        if membership is not None:
            body["organisation"] = {
                "id": str(membership.organisation.uuid),
                "name": membership.organisation.name,
            }
            body["role"] = membership.role
        if isinstance(request.auth, ApiToken):
            body["token"] = {
                "name": request.auth.name,
                "prefix": request.auth.prefix,
                "read_only": request.auth.read_only,
                "expires_at": request.auth.expires_at,
            }
        return Response(body)
