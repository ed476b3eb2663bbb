"""Every change to organisations and their registered domains goes through these functions.

Each checks that the acting membership (`by`) may make the change, validates its input and
raises ValidationError (bad input) or PermissionDenied (not allowed) before changing
anything, and writes the change to the audit log with its before and after. `by=None` is
the system itself (seed_demo, management commands).
"""

import re
from collections.abc import Iterable
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from accounts.audit import audit_record
from accounts.models import Membership, Organisation, OrganisationDomain, Sector
from accounts.policy import require_isac_admin, require_manages_people_of
from accounts.services.groups import sector_communities_changed

_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")
_COUNTRY = re.compile(r"^[A-Z]{2}$")


def domain_normalise(raw: str) -> str:
    """A registered e-mail domain in canonical form (lower case, IDNA), or ValidationError.

    Accepts `example.com` and `münchen.example`; refuses addresses, URLs, wildcards, IP
    addresses and single labels.
    """
    text = raw.strip().lower().rstrip(".")
    if text.startswith("@"):
        text = text[1:]
    try:
        ascii_name = text.encode("idna").decode("ascii")
    except UnicodeError:
        raise ValidationError(f"“{raw}” is not a valid domain name.") from None
    labels = ascii_name.split(".")
    if (
        len(ascii_name) > 253
        or len(labels) < 2
        or not all(_LABEL.match(label) for label in labels)
        or labels[-1].isdigit()
    ):
        raise ValidationError(f"“{raw}” is not a valid domain name (for example: example.com).")
    return ascii_name


def _organisation_state(org: Organisation) -> dict[str, Any]:
    return {
        "name": org.name,
        "short_name": org.short_name,
        "country": org.country,
        "status": org.status,
        "require_mfa": org.require_mfa,
        "allow_any_invite_domain": org.allow_any_invite_domain,
        "sectors": sorted(s.slug for s in org.sectors.all()),
        "domains": sorted(d.domain for d in org.domains.all()),
    }


def _check_organisation_fields(
    *, name: str, country: str, exclude: Organisation | None = None
) -> tuple[str, str]:
    name = name.strip()
    if not name:
        raise ValidationError("An organisation needs a name.")
    clash = Organisation.objects.filter(name__iexact=name)
    if exclude is not None:
        clash = clash.exclude(pk=exclude.pk)
    if clash.exists():
        raise ValidationError(f"An organisation named “{name}” already exists.")
    country = country.strip().upper()
    if country and not _COUNTRY.match(country):
        raise ValidationError("The country is a two-letter ISO 3166 code, such as US or DE.")
    return name, country


def _check_domains_free(domains: Iterable[str], organisation: Organisation | None) -> None:
    taken = OrganisationDomain.objects.filter(domain__in=list(domains))
    if organisation is not None:
        taken = taken.exclude(organisation=organisation)
    clash = taken.select_related("organisation").first()
    if clash is not None:
        raise ValidationError(f"The domain {clash.domain} is registered to another organisation.")


@transaction.atomic
def organisation_create(
    *,
    name: str,
    by: Membership | None,
    short_name: str = "",
    sectors: Iterable[Sector] = (),
    country: str = "",
    domains: Iterable[str] = (),
    status: str = Organisation.Status.APPLICANT,
    is_isac: bool = False,
    require_mfa: bool = False,
    ip_address: str | None = None,
) -> Organisation:
    require_isac_admin(by)
    name, country = _check_organisation_fields(name=name, country=country)
    if status not in Organisation.Status.values:
        raise ValidationError(f"Unknown status {status!r}.")
    domain_names = sorted({domain_normalise(d) for d in domains if d.strip()})
    _check_domains_free(domain_names, None)
    org = Organisation.objects.create(
        name=name,
        short_name=short_name.strip(),
        country=country,
        status=status,
        is_isac=is_isac,
        require_mfa=require_mfa,
    )
    org.sectors.set(list(sectors))
    OrganisationDomain.objects.bulk_create(
        [OrganisationDomain(organisation=org, domain=d) for d in domain_names]
    )
    audit_record(
        action="organisation.create",
        obj=org,
        by=by,
        organisation=org,
        ip_address=ip_address,
        after=_organisation_state(org),
    )
    return org


@transaction.atomic
def organisation_update(
    *,
    organisation: Organisation,
    by: Membership | None,
    name: str,
    short_name: str,
    country: str,
    sectors: Iterable[Sector],
    require_mfa: bool,
    allow_any_invite_domain: bool,
    ip_address: str | None = None,
) -> Organisation:
    """Change an organisation's details (ISAC admins)."""
    require_isac_admin(by)
    org = Organisation.objects.select_for_update().get(pk=organisation.pk)
    before = _organisation_state(org)
    org.name, org.country = _check_organisation_fields(name=name, country=country, exclude=org)
    org.short_name = short_name.strip()
    org.require_mfa = require_mfa
    org.allow_any_invite_domain = allow_any_invite_domain
    org.save()
    org.sectors.set(list(sectors))
    after = _organisation_state(org)
    if after != before:
        audit_record(
            action="organisation.update",
            obj=org,
            by=by,
            organisation=org,
            ip_address=ip_address,
            before={k: v for k, v in before.items() if after[k] != v},
            after={k: v for k, v in after.items() if before[k] != v},
        )
        sector_communities_changed(organisation=org)
    return org


@transaction.atomic
def organisation_domain_add(
    *, organisation: Organisation, domain: str, by: Membership | None, ip_address: str | None = None
) -> OrganisationDomain:
    require_isac_admin(by)
    name = domain_normalise(domain)
    if organisation.domains.filter(domain=name).exists():
        raise ValidationError(f"{name} is already registered to {organisation.name}.")
    _check_domains_free([name], organisation)
    row = OrganisationDomain.objects.create(organisation=organisation, domain=name)
    audit_record(
        action="organisation.domain_add",
        obj=organisation,
        by=by,
        organisation=organisation,
        ip_address=ip_address,
        after={"domain": name},
    )
    return row


@transaction.atomic
def organisation_domain_remove(
    *, organisation: Organisation, domain: str, by: Membership | None, ip_address: str | None = None
) -> None:
    require_isac_admin(by)
    deleted, _ = OrganisationDomain.objects.filter(
        organisation=organisation, domain=domain.strip().lower()
    ).delete()
    if not deleted:
        raise ValidationError(f"{domain} is not registered to {organisation.name}.")
    audit_record(
        action="organisation.domain_remove",
        obj=organisation,
        by=by,
        organisation=organisation,
        ip_address=ip_address,
        before={"domain": domain.strip().lower()},
    )


@transaction.atomic
def organisation_set_status(
    *,
    organisation: Organisation,
    status: str,
    by: Membership | None,
    reason: str = "",
    ip_address: str | None = None,
) -> Organisation:
    """Admit, suspend, reinstate or offboard an organisation.

    Suspension and offboarding take effect on the next request of each of its people (their
    sessions for it end) and of each of its API tokens (good standing is checked on use).
    """
    require_isac_admin(by)
    if status not in Organisation.Status.values:
        raise ValidationError(f"Unknown status {status!r}.")
    org = Organisation.objects.select_for_update().get(pk=organisation.pk)
    if org.is_isac and status != Organisation.Status.ACTIVE:
        raise ValidationError("The ISAC organisation itself cannot be suspended or offboarded.")
    if org.status == status:
        raise ValidationError(f"{org.name} is already {org.get_status_display().lower()}.")
    before = org.status
    org.status = status
    org.save(update_fields=["status", "updated_at"])
    audit_record(
        action="organisation.status",
        obj=org,
        by=by,
        organisation=org,
        ip_address=ip_address,
        before={"status": before},
        after={"status": status, "reason": reason.strip()},
    )
    sector_communities_changed(organisation=org)
    return org


@transaction.atomic
def organisation_require_mfa(
    *, organisation: Organisation, by: Membership, ip_address: str | None = None
) -> Organisation:
    """An org admin makes two-factor sign-in compulsory for their own people. Only an ISAC
    admin can lift it again (organisation_update)."""
    require_manages_people_of(by, organisation)
    org = Organisation.objects.select_for_update().get(pk=organisation.pk)
    if org.require_mfa:
        raise ValidationError(f"{org.name} already requires two-factor sign-in.")
    org.require_mfa = True
    org.save(update_fields=["require_mfa", "updated_at"])
    audit_record(
        action="organisation.update",
        obj=org,
        by=by,
        organisation=org,
        ip_address=ip_address,
        before={"require_mfa": False},
        after={"require_mfa": True},
    )
    return org
