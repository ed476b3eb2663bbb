"""Pages where a person issues and revokes their own API tokens."""

from datetime import timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from accounts.models import ApiToken
from accounts.token_forms import TokenIssueForm
from accounts.token_services import token_issue, token_revoke
from accounts.web import acting_membership


def _own_tokens(request: HttpRequest) -> list[ApiToken]:
    return list(
        ApiToken.objects.filter(membership__user=request.user)  # type: ignore[misc]
        .select_related("membership__organisation")
        .order_by("revoked_at", "-created_at")
    )


@login_required
def token_list(request: HttpRequest) -> HttpResponse:
    membership = acting_membership(request)
    form = TokenIssueForm(request.POST or None)
    issued = None
    if request.method == "POST" and membership is not None and form.is_valid():
        days = form.cleaned_data["expires_in_days"]
        try:
            token, issued = token_issue(
                membership=membership,
                name=form.cleaned_data["name"],
                by=request.user,  # type: ignore[arg-type]
                expires_at=timezone.now() + timedelta(days=int(days)) if days else None,
                read_only=form.cleaned_data["read_only"],
                may_publish=form.cleaned_data["may_publish"],
                allowed_networks=form.cleaned_data["allowed_networks"],
                ip_address=request.META.get("REMOTE_ADDR"),
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            form = TokenIssueForm()
            messages.success(request, f"Token “{token.name}” issued. Copy it now.")
    return render(
        request,
        "accounts/tokens.html",
        {"form": form, "tokens": _own_tokens(request), "issued": issued},
    )


@login_required
@require_POST
def token_revoke_view(request: HttpRequest, token_uuid: str) -> HttpResponse:
    token = ApiToken.objects.filter(uuid=token_uuid, membership__user=request.user).first()  # type: ignore[misc]
    if token is None:
        raise Http404
    token_revoke(token=token, by=request.user, ip_address=request.META.get("REMOTE_ADDR"))  # type: ignore[arg-type]
    messages.success(request, f"Token “{token.name}” revoked; it no longer works.")
    return redirect("api-tokens")
