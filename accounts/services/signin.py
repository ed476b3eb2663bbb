"""Sign-in security: TOTP two-factor devices, recovery codes, password reset e-mail.

The second factor is django-otp's: a TOTP device (an authenticator app) and a static device
holding single-use recovery codes. Both are confirmed only once the person has proved they
hold the secret.
"""

import base64
import secrets

from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.audit import audit_record
from accounts.models import Membership, User
from accounts.policy import require_isac_admin

RECOVERY_CODE_COUNT = 10


def totp_device_of(user: User, *, confirmed: bool = True) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=confirmed).first()


def user_has_mfa(user: User) -> bool:
    has_device: bool = TOTPDevice.objects.filter(user=user, confirmed=True).exists()
    return has_device


def totp_secret_base32(device: TOTPDevice) -> str:
    """The secret as authenticator apps take it when typed in by hand."""
    return base64.b32encode(bytes.fromhex(device.key)).decode().rstrip("=")


@transaction.atomic
def mfa_totp_begin(*, user: User) -> TOTPDevice:
    """An unconfirmed device with a fresh secret, to show as a QR code (replacing any other
    unconfirmed one)."""
    if user_has_mfa(user):
        raise ValidationError("Two-factor sign-in is already set up.")
    TOTPDevice.objects.filter(user=user, confirmed=False).delete()
    return TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=False)


@transaction.atomic
def mfa_totp_confirm(
    *, user: User, token: str, ip_address: str | None = None
) -> tuple[TOTPDevice, list[str]]:
    """Confirm the device with a code from the app; returns it and new recovery codes."""
    device = TOTPDevice.objects.select_for_update().filter(user=user, confirmed=False).first()
    if device is None:
        raise ValidationError(
            "Start the set-up again: no authenticator is waiting to be confirmed."
        )
    if not device.verify_token(token.strip().replace(" ", "")):
        raise ValidationError("That code is not right. Check the time on your phone and try again.")
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    codes = _recovery_codes_replace(user)
    audit_record(action="user.mfa_enable", obj=user, actor=user, ip_address=ip_address)
    return device, codes


def _recovery_codes_replace(user: User) -> list[str]:
    device, _ = StaticDevice.objects.get_or_create(
        user=user, defaults={"name": "Recovery codes", "confirmed": True}
    )
    device.token_set.all().delete()
    # 40 random bits each: single use, and wrong guesses count towards the lockout.
    codes = [
        f"{secrets.token_hex(5)[:5]}-{secrets.token_hex(5)[:5]}" for _ in range(RECOVERY_CODE_COUNT)
    ]
    StaticToken.objects.bulk_create([StaticToken(device=device, token=code) for code in codes])
    return codes


@transaction.atomic
def mfa_recovery_codes_regenerate(*, user: User, ip_address: str | None = None) -> list[str]:
    if not user_has_mfa(user):
        raise ValidationError("Set up two-factor sign-in first.")
    codes = _recovery_codes_replace(user)
    audit_record(action="user.mfa_recovery_codes", obj=user, actor=user, ip_address=ip_address)
    return codes


def recovery_codes_left(user: User) -> int:
    left: int = StaticToken.objects.filter(device__user=user).count()
    return left


@transaction.atomic
def mfa_reset(*, user: User, by: Membership | None, ip_address: str | None = None) -> None:
    """An ISAC admin (or an operator, by=None, with the reset_mfa command) removes someone's
    second factor after a lost phone; they set it up again at their next sign-in."""
    require_isac_admin(by, "Only ISAC admins can reset two-factor sign-in.")
    TOTPDevice.objects.filter(user=user).delete()
    StaticDevice.objects.filter(user=user).delete()
    audit_record(action="user.mfa_reset", obj=user, by=by, ip_address=ip_address)


def password_reset_send(*, user_id: int) -> bool:
    """E-mail a password reset link; the token is made here, so it never sits in the queue."""
    user = User.objects.filter(pk=user_id, is_active=True).first()
    if user is None or not user.has_usable_password():
        return False
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)
    link = settings.PORTAL_BASE_URL.rstrip("/") + reverse(
        "password_reset_confirm", kwargs={"uidb64": uid, "token": token}
    )
    EmailMessage(
        subject="Reset your ISAC portal password",
        body=render_to_string(
            "registration/password_reset_email.txt", {"user": user, "link": link}
        ),
        to=[user.email],
    ).send()
    return True
