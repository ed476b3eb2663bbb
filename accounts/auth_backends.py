"""Authentication backends."""

from typing import Any

from axes.backends import AxesStandaloneBackend
from django.http import HttpRequest


class LockoutBackend(AxesStandaloneBackend):  # type: ignore[misc]  # axes is untyped
    """django-axes' lockout check, for every sign-in that comes with a request.

    Every web sign-in (the sign-in page, the admin site) passes its request and is checked.
    Only code running inside the server, such as a management shell or Django's test
    client, authenticates without one; there is no client address to key a lockout on.
    """

    def authenticate(
        self,
        request: HttpRequest | None,
        username: str | None = None,
        password: str | None = None,
        **kwargs: Any,
    ) -> None:
        if request is None:
            return None
        # Raises when the credentials are locked out; never authenticates anyone itself.
        super().authenticate(request, username, password, **kwargs)
        return None
