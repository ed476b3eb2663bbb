"""Writing and publishing membership agreement versions; accepting and revoking them.

A published version never changes: the text members accepted is the text on record, and its
SHA-256 is stored with every acceptance. A newer published version whose effective date has
come supersedes it, and members must accept the new one to stay in good standing.
"""

import hashlib
import re
from datetime import date, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import EmailMessage
from django.db import models, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from accounts.audit import audit_record
from accounts.models import (
    AgreementAcceptance,
    AgreementReminder,
    AgreementVersion,
    Membership,
    Organisation,
)
from accounts.policy import USABLE_STATUSES, is_member_org_admin, require_isac_admin
from accounts.services.consent import consent_record
from accounts.services.groups import sector_communities_changed
from accounts.standing import acceptances_in_force, current_agreement_version
from portal.enqueue import enqueue_on_commit

# An acceptance may be renewed (accepted again) from this many days before it expires.
RENEWAL_WINDOW_DAYS = 30

_TERMS = (
    "title",
    "version_label",
    "body_markdown",
    "effective_date",
    "renewal_period_days",
    "may_forward_to_government",
    "may_show_source_name",
    "retention_days",
    "acceptable_use",
)


def agreement_text_sha256(body_markdown: str) -> str:
    return hashlib.sha256(body_markdown.encode()).hexdigest()


def _require_isac_admin(by: Membership | None) -> None:
    require_isac_admin(by, "Only ISAC admins manage membership agreements.")


def _terms_state(version: AgreementVersion) -> dict[str, Any]:
    state = {name: getattr(version, name) for name in _TERMS if name != "body_markdown"}
    state["effective_date"] = version.effective_date.isoformat()
    state["body_sha256"] = agreement_text_sha256(version.body_markdown)
    return state


def _check_terms(fields: dict[str, Any], *, exclude: AgreementVersion | None) -> None:
    if not str(fields["title"]).strip():
        raise ValidationError("The agreement needs a title.")
    label = str(fields["version_label"]).strip()
    if not label or not re.fullmatch(r"[\w.\-]{1,50}", label):
        raise ValidationError("The version label is letters, digits, dots or dashes (2026.1).")
    clash = AgreementVersion.objects.filter(version_label=label)
    if exclude is not None:
        clash = clash.exclude(pk=exclude.pk)
    if clash.exists():
        raise ValidationError(f"A version labelled {label} already exists.")
    if not str(fields["body_markdown"]).strip():
        raise ValidationError("The agreement needs its text.")
    if not str(fields["acceptable_use"]).strip():
        raise ValidationError("State the acceptable use of shared data.")
    if int(fields["renewal_period_days"]) < 30:
        raise ValidationError("The renewal period is at least 30 days.")
    if int(fields["retention_days"]) < 1:
        raise ValidationError("The data retention period is at least one day.")


@transaction.atomic
def agreement_version_create(
    *,
    by: Membership | None,
    title: str,
    version_label: str,
    body_markdown: str,
    effective_date: date,
    acceptable_use: str,
    renewal_period_days: int = 365,
    may_forward_to_government: bool = False,
    may_show_source_name: bool = False,
    retention_days: int = 730,
    ip_address: str | None = None,
) -> AgreementVersion:
    """A draft version: editable until it is published."""
    _require_isac_admin(by)
    fields = {
        "title": title.strip(),
        "version_label": version_label.strip(),
        "body_markdown": body_markdown,
        "effective_date": effective_date,
        "renewal_period_days": renewal_period_days,
        "may_forward_to_government": may_forward_to_government,
        "may_show_source_name": may_show_source_name,
        "retention_days": retention_days,
        "acceptable_use": acceptable_use.strip(),
    }
    _check_terms(fields, exclude=None)
    version = AgreementVersion.objects.create(**fields)
    audit_record(
        action="agreement.create",
        obj=version,
        by=by,
        ip_address=ip_address,
        after=_terms_state(version),
    )
    return version


@transaction.atomic
def agreement_version_update(
    *,
    version: AgreementVersion,
    by: Membership | None,
    ip_address: str | None = None,
    **fields: Any,
) -> AgreementVersion:
    """Edit a draft; a published version is immutable."""
    _require_isac_admin(by)
    version = AgreementVersion.objects.select_for_update().get(pk=version.pk)
    if version.is_published:
        raise ValidationError(
            "A published version cannot be changed; write a new version to supersede it."
        )
    unknown = set(fields) - set(_TERMS)
    if unknown:
        raise ValidationError(f"Unknown agreement fields: {', '.join(sorted(unknown))}.")
    before = _terms_state(version)
    merged = {name: getattr(version, name) for name in _TERMS} | fields
    _check_terms(merged, exclude=version)
    for name, value in fields.items():
        setattr(
            version,
            name,
            value.strip() if isinstance(value, str) and name != "body_markdown" else value,
        )
    version.save()
    after = _terms_state(version)
    audit_record(
        action="agreement.update",
        obj=version,
        by=by,
        ip_address=ip_address,
        before={k: v for k, v in before.items() if after[k] != v},
        after={k: v for k, v in after.items() if before[k] != v},
    )
    return version


@transaction.atomic
def agreement_version_publish(
    *, version: AgreementVersion, by: Membership | None, ip_address: str | None = None
) -> AgreementVersion:
    """Freeze a draft. Once its effective date comes it supersedes the version before it."""
    _require_isac_admin(by)
    version = AgreementVersion.objects.select_for_update().get(pk=version.pk)
    if version.is_published:
        raise ValidationError(f"Version {version.version_label} is already published.")
    previous = current_agreement_version()
    version.published_at = timezone.now()
    version.published_by = by.user if by else None
    version.body_sha256 = agreement_text_sha256(version.body_markdown)
    version.save(update_fields=["published_at", "published_by", "body_sha256"])
    audit_record(
        action="agreement.publish",
        obj=version,
        by=by,
        ip_address=ip_address,
        before={"supersedes": previous.version_label if previous else None},
        after={
            "published_at": version.published_at.isoformat(),
            "body_sha256": version.body_sha256,
            "effective_date": version.effective_date.isoformat(),
        },
    )
    enqueue_on_commit("accounts.tasks.send_agreement_published_emails", version.pk)
    return version


def agreement_version_announce(*, version_id: int) -> int:
    """E-mail the admins of every member organisation that a version needs their acceptance,
    with the date it takes effect; returns how many organisations were told.

    Their dashboards list it too (accounts.waiting). Organisations with no admin are listed
    on the ISAC admins' dashboard instead.
    """
    version = AgreementVersion.objects.get(pk=version_id, published_at__isnull=False)
    admins = Membership.objects.filter(
        role=Membership.Role.ORG_ADMIN,
        is_active=True,
        user__is_active=True,
        organisation__is_isac=False,
        organisation__status__in=USABLE_STATUSES,
    ).select_related("organisation", "user")
    by_organisation: dict[int, tuple[Organisation, list[str]]] = {}
    for membership in admins:
        org = membership.organisation
        by_organisation.setdefault(org.pk, (org, []))[1].append(membership.user.email)
    link = settings.PORTAL_BASE_URL.rstrip("/") + reverse("org-agreement")
    in_effect = version.effective_date <= timezone.localdate()
    for organisation, recipients in by_organisation.values():
        EmailMessage(
            subject=(
                f"{organisation.name}: membership agreement {version.version_label} needs "
                f"your acceptance (effective {version.effective_date:%Y-%m-%d})"
            ),
            body=render_to_string(
                "accounts/email/agreement_published.txt",
                {
                    "version": version,
                    "organisation": organisation,
                    "link": link,
                    "in_effect": in_effect,
                },
            ),
            to=sorted(recipients),
        ).send()
    return len(by_organisation)


@transaction.atomic
def agreement_version_delete(
    *, version: AgreementVersion, by: Membership | None, ip_address: str | None = None
) -> None:
    """Discard a draft; published versions stay for ever."""
    _require_isac_admin(by)
    version = AgreementVersion.objects.select_for_update().get(pk=version.pk)
    if version.is_published:
        raise ValidationError("A published version cannot be deleted.")
    audit_record(
        action="agreement.delete",
        obj=version,
        by=by,
        ip_address=ip_address,
        before=_terms_state(version),
    )
    version.delete()


def _normalise_name(name: str) -> str:
    return " ".join(name.split()).casefold()


def acceptance_in_force(
    organisation: Organisation, version: AgreementVersion
) -> AgreementAcceptance | None:
    return (
        acceptances_in_force(version)
        .filter(organisation=organisation)
        .order_by("-expires_at")
        .first()
    )


@transaction.atomic
def agreement_accept(
    *,
    organisation: Organisation,
    version: AgreementVersion,
    by: Membership,
    typed_full_name: str,
    ip_address: str | None,
    forwarding_scope: str | None = None,
    cisa_proprietary: bool = False,
) -> AgreementAcceptance:
    """An org admin accepts the current version for their organisation.

    The record keeps who, when, from which address, the version and the hash of the text
    they read; it expires after the version's renewal period. When the version provides for
    government forwarding, the admin's consent choice (`forwarding_scope`, AIS vocabulary)
    is recorded with the acceptance; without a choice the organisation consents to nothing.
    """
    org = Organisation.objects.select_for_update().get(pk=organisation.pk)
    if not (is_member_org_admin(by) and by.organisation_id == org.pk):
        raise PermissionDenied("Only an admin of the organisation can accept its agreement.")
    if org.is_isac:
        raise ValidationError("The ISAC does not accept its own membership agreement.")
    if org.status not in USABLE_STATUSES:
        raise ValidationError(f"{org.name} is {org.get_status_display().lower()}.")
    current = current_agreement_version()
    if current is None or version.pk != current.pk:
        raise ValidationError(
            f"Version {version.version_label} is not the current agreement; "
            "reload the page and accept the current version."
        )
    version = current  # the row as stored, not the caller's copy
    if not typed_full_name.strip() or _normalise_name(typed_full_name) != _normalise_name(
        by.user.full_name
    ):
        raise ValidationError(
            "Type your full name exactly as it appears on your account "
            f"({by.user.full_name}) to sign."
        )
    text_sha256 = agreement_text_sha256(version.body_markdown)
    if text_sha256 != version.body_sha256:
        raise ValidationError("The agreement text does not match its published hash.")
    existing = acceptance_in_force(org, version)
    now = timezone.now()
    if existing is not None and existing.expires_at > now + timedelta(days=RENEWAL_WINDOW_DAYS):
        raise ValidationError(
            f"{org.name} has already accepted version {version.version_label}; "
            f"it is in force until {existing.expires_at:%Y-%m-%d}."
        )
    acceptance = AgreementAcceptance.objects.create(
        organisation=org,
        version=version,
        accepted_by=by.user,
        typed_full_name=" ".join(typed_full_name.split()),
        accepted_at=now,
        ip_address=ip_address,
        text_sha256=text_sha256,
        expires_at=now + timedelta(days=version.renewal_period_days),
    )
    audit_record(
        action="agreement.accept",
        obj=acceptance,
        by=by,
        organisation=org,
        actor_organisation=org,
        ip_address=ip_address,
        before={"acceptance": str(existing.uuid)} if existing else None,
        after={
            "version": version.version_label,
            "typed_full_name": acceptance.typed_full_name,
            "text_sha256": text_sha256,
            "expires_at": acceptance.expires_at.isoformat(),
        },
    )
    if forwarding_scope is not None and version.may_forward_to_government:
        consent_record(
            organisation=org,
            acceptance=acceptance,
            scope=forwarding_scope,
            cisa_proprietary=cisa_proprietary,
            by=by,
            ip_address=ip_address,
        )
    sector_communities_changed(organisation=org)
    return acceptance


@transaction.atomic
def agreement_acceptance_revoke(
    *,
    acceptance: AgreementAcceptance,
    by: Membership | None,
    reason: str,
    ip_address: str | None = None,
) -> AgreementAcceptance:
    """Withdraw an acceptance (ISAC admins): the organisation loses good standing at once."""
    _require_isac_admin(by)
    if not reason.strip():
        raise ValidationError("Say why the acceptance is revoked; it is kept in the audit log.")
    acceptance = AgreementAcceptance.objects.select_for_update().get(pk=acceptance.pk)
    if acceptance.revoked_at is not None:
        raise ValidationError("This acceptance is already revoked.")
    acceptance.revoked_at = timezone.now()
    acceptance.revoked_by = by.user if by else None
    acceptance.revoke_reason = reason.strip()
    acceptance.save(update_fields=["revoked_at", "revoked_by", "revoke_reason"])
    audit_record(
        action="agreement.revoke",
        obj=acceptance,
        by=by,
        organisation=acceptance.organisation,
        ip_address=ip_address,
        before={"revoked_at": None},
        after={"revoked_at": acceptance.revoked_at.isoformat(), "reason": acceptance.revoke_reason},
    )
    sector_communities_changed(organisation=acceptance.organisation)
    return acceptance


REMINDER_DAYS = (30, 7)


def agreement_reminders_plan() -> list[int]:
    """Write a reminder row for each acceptance entering its 30- or 7-day window; return the
    ids of reminders not yet sent (new ones and any a lost task left behind).

    Only the tightest window that applies is planned, so an acceptance first seen with 5 days
    left gets the 7-day reminder alone. The unique row makes each reminder once only.
    """
    now = timezone.now()
    current = current_agreement_version()
    acceptances = AgreementAcceptance.objects.filter(
        revoked_at__isnull=True,
        expires_at__gt=now,
        expires_at__lte=now + timedelta(days=max(REMINDER_DAYS)),
        organisation__status=Organisation.Status.ACTIVE,
    )
    if current is not None:
        acceptances = acceptances.filter(version=current)
    for acceptance in acceptances.only("pk", "expires_at"):
        left = acceptance.expires_at - now
        window = min(d for d in REMINDER_DAYS if left <= timedelta(days=d))
        AgreementReminder.objects.get_or_create(acceptance=acceptance, days_before=window)
    return list(
        AgreementReminder.objects.filter(
            sent_at__isnull=True,
            acceptance__revoked_at__isnull=True,
            acceptance__expires_at__gt=now,
        ).values_list("pk", flat=True)
    )


def agreement_reminder_recipients(organisation: Organisation) -> list[str]:
    """The organisation's admins and the ISAC admins."""
    return sorted(
        set(
            Membership.objects.filter(is_active=True, user__is_active=True)
            .filter(
                models.Q(organisation=organisation, role=Membership.Role.ORG_ADMIN)
                | models.Q(organisation__is_isac=True, role=Membership.Role.ISAC_ADMIN)
            )
            .values_list("user__email", flat=True)
        )
    )


@transaction.atomic
def agreement_reminder_send(*, reminder_id: int) -> bool:
    """Send one reminder unless it was sent already; the row lock makes it once only."""
    reminder = (
        AgreementReminder.objects.select_for_update(skip_locked=True)
        .filter(pk=reminder_id, sent_at__isnull=True)
        .first()
    )
    if reminder is None:
        return False
    acceptance = AgreementAcceptance.objects.select_related("organisation", "version").get(
        pk=reminder.acceptance_id
    )
    recipients = agreement_reminder_recipients(acceptance.organisation)
    if recipients:
        link = settings.PORTAL_BASE_URL.rstrip("/") + reverse("org-agreement")
        EmailMessage(
            subject=(
                f"{acceptance.organisation.name}: membership agreement expires "
                f"{acceptance.expires_at:%Y-%m-%d}"
            ),
            body=render_to_string(
                "accounts/email/agreement_reminder.txt",
                {"acceptance": acceptance, "days": reminder.days_before, "link": link},
            ),
            to=recipients,
        ).send()
    reminder.sent_at = timezone.now()
    reminder.save(update_fields=["sent_at"])
    return True
