"""The sign-in lockout (django-axes), keyed on the normalised e-mail address.

Wrong passwords and wrong second-factor codes count together against the same key, and the
count is cleared only when a sign-in is complete: after the password for someone who signs in
with a password alone, after the second factor for everyone else. A correct password alone
never clears it, or wrong codes could be tried without limit between correct passwords.
"""

from typing import Any

from axes.handlers.proxy import AxesProxyHandler
from django.conf import settings
from django.http import HttpRequest

from accounts.emails import normalise_email


def lockout_username(request: HttpRequest | None, credentials: dict[str, Any] | None) -> str:
    """AXES_USERNAME_CALLABLE: the address as typed, normalised, from the credentials or the
    request."""
    field = settings.AXES_USERNAME_FORM_FIELD
    value = (credentials or {}).get(field)
    if value is None and request is not None:
        value = request.POST.get(field) or request.GET.get(field)
    return normalise_email(str(value or ""))


def lockout_clear(request: HttpRequest, *, email: str) -> None:
    """Forget the failures of this address from this client once its sign-in is complete."""
    AxesProxyHandler.update_request(request)
    AxesProxyHandler.reset_attempts(
        ip_address=getattr(request, "axes_ip_address", None), username=normalise_email(email)
    )
