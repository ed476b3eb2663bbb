"""Pages where a person issues and revokes their own API tokens."""

from datetime import timedelta

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from accounts.decorators import client_ip, member_required
from accounts.forms.tokens import TokenIssueForm
from accounts.http import AuthenticatedRequest, SignedInRequest
from accounts.models import ApiToken
from accounts.services.tokens import token_issue, token_revoke
from accounts.web import run_service


def _own_tokens(request: SignedInRequest) -> list[ApiToken]:
    return list(
        ApiToken.objects.filter(membership__user=request.user)
        .select_related("membership__organisation")
        .order_by("revoked_at", "-created_at")
    )


@login_required
def token_list(request: SignedInRequest) -> HttpResponse:
    membership = request.membership
    form = TokenIssueForm(request.POST or None)
    issued = None
    if request.method == "POST" and membership is not None and form.is_valid():
        days = form.cleaned_data["expires_in_days"]
        outcome = run_service(
            request,
            lambda: token_issue(
                membership=membership,
                name=form.cleaned_data["name"],
                by=membership,
                expires_at=timezone.now() + timedelta(days=int(days)) if days else None,
                read_only=form.cleaned_data["read_only"],
                may_publish=form.cleaned_data["may_publish"],
                allowed_networks=form.cleaned_data["allowed_networks"],
                ip_address=client_ip(request),
            ),
            lambda result: f"Token “{result[0].name}” issued. Copy it now.",
            form=form,
        )
        if outcome:
            _, issued = outcome.value
            form = TokenIssueForm()
    return render(
        request,
        "accounts/tokens.html",
        {"form": form, "tokens": _own_tokens(request), "issued": issued},
    )


@member_required
@require_POST
def token_revoke_view(request: AuthenticatedRequest, token_uuid: str) -> HttpResponse:
    token = ApiToken.objects.filter(uuid=token_uuid, membership__user=request.user).first()
    if token is None:
        raise Http404
    run_service(
        request,
        lambda: token_revoke(token=token, by=request.membership, ip_address=client_ip(request)),
        f"Token “{token.name}” revoked; it no longer works.",
    )
    return redirect("api-tokens")
