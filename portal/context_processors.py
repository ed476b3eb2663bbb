from typing import Any

from django.http import HttpRequest

from accounts.selectors.members import memberships_of


def portal(request: HttpRequest) -> dict[str, Any]:
    user = request.user
    return {
        "current_membership": getattr(request, "membership", None),
        "my_memberships": (
            getattr(request, "memberships", None) or memberships_of(user)
            if user.is_authenticated
            else []
        ),
    }
