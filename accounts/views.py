import uuid

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from accounts.selectors import SESSION_MEMBERSHIP_KEY, memberships_of


@login_required
@require_POST
def switch_membership(request: HttpRequest) -> HttpResponse:
    """Switch which organisation the person acts for (header switcher)."""
    try:
        chosen = uuid.UUID(request.POST.get("membership", ""))
    except ValueError:
        raise Http404 from None
    membership = memberships_of(request.user).filter(uuid=chosen).first()  # type: ignore[arg-type]
    if membership is None:
        raise Http404
    request.session[SESSION_MEMBERSHIP_KEY] = str(membership.uuid)
    messages.info(request, f"You are now acting for {membership.organisation.name}.")
    next_url = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}):
        next_url = "/"
    return redirect(next_url)
