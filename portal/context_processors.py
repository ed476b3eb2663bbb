from typing import Any

from django.http import HttpRequest

from accounts.selectors.members import memberships_of
from sharing.fanout.badge import unread_badge


def portal(request: HttpRequest) -> dict[str, Any]:
    user = request.user
    membership = getattr(request, "membership", None)
    return {
        "current_membership": membership,
        # Called by the template only where the header shows it (one count query).
        "unread_notification_count": lambda: unread_badge(membership),
        "my_memberships": (
            getattr(request, "memberships", None) or memberships_of(user)
            if user.is_authenticated
            else []
        ),
    }
