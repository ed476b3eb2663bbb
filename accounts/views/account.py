import uuid
from typing import Any

import segno
from axes.handlers.proxy import AxesProxyHandler
from axes.helpers import get_lockout_response
from django.contrib import messages
from django.contrib.auth import login as auth_login
from django.contrib.auth import logout as auth_logout
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import PasswordChangeForm
from django.contrib.auth.signals import user_login_failed
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST
from django_otp import login as otp_login
from django_otp import match_token
from django_otp.plugins.otp_static.models import StaticDevice

from accounts.decorators import client_ip
from accounts.emails import normalise_email
from accounts.forms.members import InvitationAcceptForm, OtpForm, SignInForm
from accounts.http import SignedInRequest
from accounts.lockout import lockout_clear
from accounts.models import User
from accounts.policy import requires_mfa
from accounts.selectors.members import SESSION_MEMBERSHIP_KEY, memberships_of
from accounts.services import invitations, signin
from accounts.services.invitations import InvitationUnusable, invitation_for_token
from accounts.web import attempt, run_service


@login_required
@require_POST
def switch_membership(request: SignedInRequest) -> HttpResponse:
    """Switch which organisation the person acts for (header switcher)."""
    try:
        chosen = uuid.UUID(request.POST.get("membership", ""))
    except ValueError:
        raise Http404 from None
    membership = memberships_of(request.user).filter(uuid=chosen).first()
    if membership is None:
        raise Http404
    request.session[SESSION_MEMBERSHIP_KEY] = str(membership.uuid)
    messages.info(request, f"You are now acting for {membership.organisation.name}.")
    next_url = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}):
        next_url = "/"
    return redirect(next_url)


# --- Invitations ----------------------------------------------------------------------


def invitation_accept(request: HttpRequest, secret: str) -> HttpResponse:
    """The link in an invitation e-mail: a new person sets their name and password here."""
    try:
        invitation = invitation_for_token(secret)
    except InvitationUnusable as error:
        return render(
            request, "accounts/invitation_unusable.html", {"reason": error.messages[0]}, status=410
        )
    existing = User.objects.filter(email__iexact=invitation.email).exists()
    signed_in = request.user if request.user.is_authenticated else None
    form = InvitationAcceptForm(request.POST or None)
    problem: str | None = None
    if request.method == "POST" and (existing or form.is_valid()):
        details = {} if existing else form.cleaned_data
        accepted = attempt(
            lambda: invitations.invitation_accept(
                secret=secret,
                full_name=details.get("full_name", ""),
                password=details.get("password1", ""),
                signed_in_user=signed_in,
                ip_address=client_ip(request),
            )
        )
        if not accepted:
            problem = accepted.error
            if not existing:
                form.add_error(None, list(accepted.errors))
        else:
            membership = accepted.value
            request.session[SESSION_MEMBERSHIP_KEY] = str(membership.uuid)
            if not existing:
                auth_login(
                    request,
                    membership.user,
                    backend="django.contrib.auth.backends.ModelBackend",
                )
            messages.success(request, f"Welcome to {membership.organisation.name}.")
            return redirect("home")
    return render(
        request,
        "accounts/invitation_accept.html",
        {"invitation": invitation, "form": form, "existing": existing, "error": problem},
    )


# --- Two-factor sign-in ---------------------------------------------------------------


def _next_url(request: HttpRequest) -> str:
    next_url = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}):
        return next_url
    return "/"


@login_required
def mfa_setup(request: SignedInRequest) -> HttpResponse:
    """Pair an authenticator app: scan the QR code, type a code, keep the recovery codes."""
    user = request.user
    if signin.user_has_mfa(user):
        return redirect("mfa-verify" if not user.is_verified() else "account-security")  # type: ignore[attr-defined]
    form = OtpForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        confirmed = run_service(
            request,
            lambda: signin.mfa_totp_confirm(
                user=user, token=form.cleaned_data["token"], ip_address=client_ip(request)
            ),
            form=form,
            field="token",
        )
        if confirmed:
            device, codes = confirmed.value
            otp_login(request, device)
            lockout_clear(request, email=user.email)
            return render(
                request,
                "accounts/recovery_codes.html",
                {"codes": codes, "next": _next_url(request)},
            )
    device = signin.totp_device_of(user, confirmed=False)
    if device is None:
        device = signin.mfa_totp_begin(user=user)
    qr = segno.make(device.config_url, error="m")
    return render(
        request,
        "accounts/mfa_setup.html",
        {
            "form": form,
            "qr_data_uri": qr.svg_data_uri(scale=5, dark="#1c2430"),
            "secret": signin.totp_secret_base32(device),
            "next": _next_url(request),
        },
    )


@login_required
def mfa_verify(request: SignedInRequest) -> HttpResponse:
    """The second step of signing in: a code from the app, or a recovery code."""
    user = request.user
    if not signin.user_has_mfa(user):
        return redirect("mfa-setup")
    form = OtpForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        token = form.cleaned_data["token"].strip().replace(" ", "")
        device = match_token(user, token)
        if device is None:
            # Wrong second factors count towards the same lockout as wrong passwords.
            credentials = {"username": user.email}
            user_login_failed.send(sender=__name__, credentials=credentials, request=request)
            if not AxesProxyHandler.is_allowed(request, credentials):
                # Guessing codes with a stolen password ends the half-open session.
                auth_logout(request)
                lockout: HttpResponse = get_lockout_response(request, None, credentials)
                return lockout
            form.add_error("token", "That code is not right.")
        else:
            otp_login(request, device)
            lockout_clear(request, email=user.email)
            if isinstance(device, StaticDevice):
                left = signin.recovery_codes_left(user)
                messages.warning(
                    request, f"You used a recovery code; {left} left. Make new ones if few."
                )
            return redirect(_next_url(request))
    return render(request, "accounts/mfa_verify.html", {"form": form, "next": _next_url(request)})


@login_required
def account_security(request: SignedInRequest) -> HttpResponse:
    user = request.user
    codes = None
    if request.method == "POST" and request.POST.get("action") == "recovery-codes":
        codes = run_service(
            request,
            lambda: signin.mfa_recovery_codes_regenerate(user=user, ip_address=client_ip(request)),
        ).result
    return render(
        request,
        "accounts/security.html",
        {
            "has_mfa": signin.user_has_mfa(user),
            "mfa_required": requires_mfa(user),
            "codes_left": signin.recovery_codes_left(user),
            "codes": codes,
        },
    )


class PortalLoginView(auth_views.LoginView):
    """Django's sign-in page, refusing any request (whatever its method) for an e-mail
    address locked out from this client address."""

    redirect_authenticated_user = True
    form_class = SignInForm

    def form_valid(self, form: SignInForm) -> HttpResponse:  # type: ignore[override]
        response = super().form_valid(form)
        user = form.get_user()
        # Failures are forgotten only once the sign-in is complete: here when no second
        # factor follows, else when the code is right (mfa_verify, mfa_setup).
        if not signin.user_has_mfa(user) and not requires_mfa(user):
            lockout_clear(self.request, email=user.email)
        return response

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        username = request.POST.get("username") or request.GET.get("username")
        if username:
            credentials = {"username": normalise_email(username)}
            AxesProxyHandler.update_request(request)
            if not AxesProxyHandler.is_allowed(request, credentials):
                lockout: HttpResponseBase = get_lockout_response(request, None, credentials)
                return lockout
        return super().dispatch(request, *args, **kwargs)


@login_required
def password_change_view(request: SignedInRequest) -> HttpResponse:
    """Change one's password with the old one; other sessions end, this one stays open."""
    user = request.user
    form = PasswordChangeForm(user, request.POST or None)
    if request.method == "POST":
        if form.is_valid():
            signin.password_change(
                user=user,
                new_password=form.cleaned_data["new_password1"],
                ip_address=client_ip(request),
            )
            update_session_auth_hash(request, user)
            messages.success(request, "Your password is changed; your other sessions are ended.")
            return redirect("account-security")
        if "old_password" in form.errors:
            # A wrong old password counts towards the sign-in lockout, as at sign-in.
            credentials = {"username": user.email}
            user_login_failed.send(sender=__name__, credentials=credentials, request=request)
            if not AxesProxyHandler.is_allowed(request, credentials):
                auth_logout(request)
                locked: HttpResponse = get_lockout_response(request, None, credentials)
                return locked
    return render(request, "registration/password_change.html", {"form": form})
