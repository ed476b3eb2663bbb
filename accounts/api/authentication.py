"""REST framework authentication by API token: `Authorization: Bearer <token>`, or HTTP
Basic with the token as the password, for TAXII clients that only speak Basic."""

import base64
import binascii
import logging
from typing import TYPE_CHECKING

from django.core.cache.backends.locmem import LocMemCache
from django.http import HttpRequest
from rest_framework import authentication, exceptions, permissions, throttling
from rest_framework.request import Request

from accounts.models import ApiToken, User
from accounts.services.tokens import TokenRefused, token_authenticate
from portal.enqueue import REDIS_UNAVAILABLE

logger = logging.getLogger(__name__)

if TYPE_CHECKING:
    # REST framework loads this module while rest_framework.views is being imported.
    from rest_framework.views import APIView


def presented_token(request: HttpRequest) -> str | None:
    header: str = request.META.get("HTTP_AUTHORIZATION", "")
    scheme, _, credentials = header.partition(" ")
    scheme = scheme.lower()
    if scheme == "bearer" and credentials.strip():
        return credentials.strip()
    if scheme == "basic" and credentials.strip():
        try:
            decoded = base64.b64decode(credentials.strip(), validate=True).decode()
        except (binascii.Error, UnicodeDecodeError):
            raise exceptions.AuthenticationFailed("Malformed Basic credentials.") from None
        _, _, password = decoded.partition(":")
        return password
    return None


class ApiTokenAuthentication(authentication.BaseAuthentication):
    """Authenticates the token's person and makes its membership the one acted for."""

    def authenticate(self, request: Request) -> tuple[User, ApiToken] | None:
        plaintext = presented_token(request._request)
        if plaintext is None:
            return None
        try:
            token = token_authenticate(
                plaintext=plaintext, ip_address=request._request.META.get("REMOTE_ADDR")
            )
        except TokenRefused as refused:
            raise exceptions.AuthenticationFailed(str(refused)) from None
        request._request.membership = token.membership  # type: ignore[attr-defined]
        return token.membership.user, token

    def authenticate_header(self, request: Request) -> str:
        return 'Bearer realm="api"'


class TokenWritePermission(permissions.BasePermission):
    """A read-only token may only read."""

    message = "This API token is read-only."

    def has_permission(self, request: Request, view: "APIView") -> bool:
        token = request.auth
        if isinstance(token, ApiToken) and token.read_only:
            return request.method in permissions.SAFE_METHODS
        return True


# Counts kept in this process while the shared cache (Redis) does not answer: each server
# process then limits on its own rather than refusing or failing every request.
_LOCAL_COUNTS = LocMemCache("api-rate-limit-fallback", {"OPTIONS": {"MAX_ENTRIES": 10000}})


class PerTokenRateThrottle(throttling.SimpleRateThrottle):
    """Limits each API token (or signed-in person) separately, so one busy poller cannot
    starve the other members; the rate is API_RATE_LIMIT.

    The counts live in the shared cache; while it is unreachable they live in the process,
    so the API and TAXII keep answering through a Redis outage."""

    scope = "per_token"

    def allow_request(self, request: Request, view: "APIView") -> bool:
        try:
            return super().allow_request(request, view)
        except REDIS_UNAVAILABLE as exc:
            logger.warning("rate limit counted in-process: the cache does not answer (%s)", exc)
            self.cache = _LOCAL_COUNTS
            return super().allow_request(request, view)

    def get_cache_key(self, request: Request, view: "APIView") -> str | None:
        if isinstance(request.auth, ApiToken):
            ident = f"token:{request.auth.prefix}"
        elif request.user and request.user.is_authenticated:
            ident = f"user:{request.user.pk}"
        else:
            ident = f"anon:{self.get_ident(request)}"
        return self.cache_format % {"scope": self.scope, "ident": ident}
