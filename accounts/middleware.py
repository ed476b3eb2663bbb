"""Attach the membership the signed-in person is acting for to each request."""

from collections.abc import Callable
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.urls import Resolver404, ResolverMatch, resolve, reverse

from accounts.http import PortalRequest
from accounts.models import Membership
from accounts.policy import requires_mfa_given
from accounts.selectors.members import current_membership, memberships_of
from accounts.services.signin import user_has_mfa


class CurrentMembershipMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: PortalRequest) -> HttpResponse:
        request.membership = current_membership(request)
        return self.get_response(request)


# Pages a signed-in person can reach before the second factor (to set it up or give it).
_MFA_OPEN_URL_NAMES = frozenset({"mfa-setup", "mfa-verify", "logout", "healthz"})


class SignInPolicyMiddleware:
    """Ends the session of a person whose organisations are all suspended or offboarded (a
    suspended person's session already ends: Django refuses inactive users), and holds back
    anyone who must use two factors until they have."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if not user.is_authenticated:
            return self.get_response(request)
        # The memberships in force were read for this request by CurrentMembershipMiddleware;
        # only someone with none asks the database again.
        usable: list[Membership] | None = getattr(request, "memberships", None)
        if usable is None:
            usable = list(memberships_of(user))
        if not usable and Membership.objects.filter(user=user).exists():
            logout(request)
            messages.error(
                request,
                "Your access has ended: your organisation is suspended or you are no longer "
                "a member. Contact the ISAC if you think this is a mistake.",
            )
            return redirect_to_login(request.get_full_path())
        needs_mfa = requires_mfa_given(
            user,
            [(m.organisation.is_isac, m.role, m.organisation.require_mfa) for m in usable],
        )
        if needs_mfa and not user.is_verified():  # type: ignore[attr-defined]
            match = resolve_or_none(request.path_info)
            static = request.path_info.startswith("/" + settings.STATIC_URL.lstrip("/"))
            if static or (match is not None and match.url_name in _MFA_OPEN_URL_NAMES):
                return self.get_response(request)
            if request.path_info.startswith("/api/") or request.path_info.startswith("/taxii"):
                return JsonResponse(
                    {"detail": "Two-factor sign-in is required; use an API token."}, status=403
                )
            target = "mfa-verify" if user_has_mfa(user) else "mfa-setup"
            return redirect(f"{reverse(target)}?{urlencode({'next': request.get_full_path()})}")
        return self.get_response(request)


def resolve_or_none(path: str) -> ResolverMatch | None:
    try:
        return resolve(path)
    except Resolver404:
        return None
