"""Every change to people, organisations and memberships goes through these functions."""

from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import transaction

from accounts.audit import audit_record
from accounts.models import Membership, Organisation, OrganisationDomain, Sector, User


@transaction.atomic
def user_create(
    *,
    email: str,
    full_name: str,
    password: str | None,
    by: User | None = None,
    is_staff: bool = False,
) -> User:
    user = User.objects.create_user(email, password, full_name=full_name, is_staff=is_staff)
    audit_record(action="user.create", obj=user, actor=by, after={"email": user.email})
    return user


@transaction.atomic
def organisation_create(
    *,
    name: str,
    by: User | None,
    short_name: str = "",
    sectors: Iterable[Sector] = (),
    country: str = "",
    domains: Iterable[str] = (),
    status: str = Organisation.Status.APPLICANT,
    is_isac: bool = False,
) -> Organisation:
    org = Organisation.objects.create(
        name=name, short_name=short_name, country=country.upper(), status=status, is_isac=is_isac
    )
    org.sectors.set(list(sectors))
    domain_names = sorted({d.strip().lower() for d in domains if d.strip()})
    OrganisationDomain.objects.bulk_create(
        [OrganisationDomain(organisation=org, domain=d) for d in domain_names]
    )
    audit_record(
        action="organisation.create",
        obj=org,
        actor=by,
        organisation=org,
        after={
            "name": org.name,
            "status": org.status,
            "sectors": sorted(s.slug for s in org.sectors.all()),
            "domains": domain_names,
        },
    )
    return org


@transaction.atomic
def membership_create(
    *, user: User, organisation: Organisation, role: str, by: User | None
) -> Membership:
    if role in Membership.ISAC_ROLES and not organisation.is_isac:
        raise ValidationError("ISAC roles can only be held in the ISAC organisation.")
    membership = Membership.objects.create(user=user, organisation=organisation, role=role)
    audit_record(
        action="membership.create",
        obj=membership,
        actor=by,
        organisation=organisation,
        after={"user": user.email, "role": role},
    )
    return membership
