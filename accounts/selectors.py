"""Reads of people and memberships (visibility of shared material lives in sharing.policy)."""

from datetime import timedelta

from django.db.models import (
    Case,
    CharField,
    Count,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    TextChoices,
    Value,
    When,
)
from django.http import HttpRequest
from django.utils import timezone

from accounts.models import AgreementVersion, Membership, Organisation, User

SESSION_MEMBERSHIP_KEY = "membership_uuid"
# A suspended or offboarded organisation's people cannot act for it at all: their sessions
# for it end at once. Applicants may sign in to accept the agreement.
USABLE_STATUSES = (Organisation.Status.APPLICANT, Organisation.Status.ACTIVE)


def memberships_of(user: User) -> QuerySet[Membership]:
    return (
        Membership.objects.filter(
            user=user, is_active=True, organisation__status__in=USABLE_STATUSES
        )
        .select_related("organisation")
        .order_by("organisation__name")
    )


def current_membership(request: HttpRequest) -> Membership | None:
    """The membership chosen in the header switcher, or the person's first one."""
    user = request.user
    if not user.is_authenticated:
        return None
    # A person has a handful of memberships: read them once per request; the header's
    # switcher shows the same list (request.memberships, see portal.context_processors).
    memberships = list(memberships_of(user))
    request.memberships = memberships  # type: ignore[attr-defined]
    chosen = request.session.get(SESSION_MEMBERSHIP_KEY)
    found = [m for m in memberships if chosen and str(m.uuid) == chosen]
    membership = found[0] if found else (memberships[0] if memberships else None)
    if membership is not None:
        # The person is the one signed in: no second query for them when a page asks.
        membership.user = user
    return membership


def isac_admin_membership(user: User) -> Membership | None:
    """The person's ISAC admin membership, if they are an ISAC admin."""
    return (
        Membership.objects.filter(
            user=user,
            is_active=True,
            role=Membership.Role.ISAC_ADMIN,
            organisation__is_isac=True,
            organisation__status=Organisation.Status.ACTIVE,
        )
        .select_related("organisation")
        .first()
    )


def user_is_isac_admin(user: User | None) -> bool:
    return user is not None and user.is_active and isac_admin_membership(user) is not None


def user_is_isac_staff(user: User) -> bool:
    return Membership.objects.filter(
        user=user, is_active=True, role__in=Membership.ISAC_ROLES, organisation__is_isac=True
    ).exists()


def user_can_manage_organisation(user: User | None, organisation: Organisation) -> bool:
    """Org admins manage their own organisation's people; ISAC admins manage every one."""
    if user is None or not user.is_active:
        return False
    if user_is_isac_admin(user):
        return True
    return Membership.objects.filter(
        user=user,
        organisation=organisation,
        is_active=True,
        role=Membership.Role.ORG_ADMIN,
        organisation__status__in=USABLE_STATUSES,
    ).exists()


def user_requires_mfa(user: User) -> bool:
    """Two factors are always required of ISAC staff, and of members of an organisation that
    asks for them, and of anyone who may open the Django admin site."""
    if user.is_staff or user.is_superuser:
        return True
    return (
        Membership.objects.filter(user=user, is_active=True)
        .filter(
            Q(organisation__is_isac=True, role__in=Membership.ISAC_ROLES)
            | Q(organisation__require_mfa=True)
        )
        .exists()
    )


class AgreementState(TextChoices):
    PENDING = "pending", "Pending"
    ACTIVE = "active", "Active"
    EXPIRING = "expiring", "Expiring within 30 days"
    EXPIRED = "expired", "Expired"
    REVOKED = "revoked", "Revoked"
    NOT_APPLICABLE = "n/a", "Not applicable (the ISAC)"


def organisations_with_agreement_state() -> QuerySet[Organisation]:
    """Organisations annotated with the state of their latest acceptance of the current
    version (agreement_state, agreement_expires_at, agreement_accepted_at, people)."""
    from accounts.models import AgreementAcceptance
    from accounts.standing import current_agreement_version

    version = current_agreement_version()
    latest = AgreementAcceptance.objects.filter(
        organisation=OuterRef("pk"), version=version
    ).order_by("-accepted_at")
    now = timezone.now()
    return (
        Organisation.objects.annotate(
            agreement_accepted_at=Subquery(latest.values("accepted_at")[:1]),
            agreement_expires_at=Subquery(latest.values("expires_at")[:1]),
            agreement_revoked_at=Subquery(latest.values("revoked_at")[:1]),
            people=Count("memberships", filter=Q(memberships__is_active=True)),
        )
        .annotate(
            agreement_state=Case(
                When(is_isac=True, then=Value(AgreementState.NOT_APPLICABLE.value)),
                When(agreement_expires_at__isnull=True, then=Value(AgreementState.PENDING.value)),
                When(agreement_revoked_at__isnull=False, then=Value(AgreementState.REVOKED.value)),
                When(agreement_expires_at__lte=now, then=Value(AgreementState.EXPIRED.value)),
                When(
                    agreement_expires_at__lte=now + timedelta(days=30),
                    then=Value(AgreementState.EXPIRING.value),
                ),
                default=Value(AgreementState.ACTIVE.value),
                output_field=CharField(),
            )
        )
        .prefetch_related("sectors", "domains")
        .order_by("name")
    )


def organisation_for_email(address: str) -> Organisation | None:
    """The organisation that registered the domain of an e-mail address (or a parent domain
    of it: a.b.example.com matches example.com), for recognising victims in submissions."""
    domain = address.rsplit("@", 1)[-1].strip().lower().rstrip(".")
    if not domain:
        return None
    labels = domain.split(".")
    candidates = [".".join(labels[i:]) for i in range(len(labels) - 1)]
    from accounts.models import OrganisationDomain

    rows = {
        row.domain: row.organisation
        for row in OrganisationDomain.objects.filter(domain__in=candidates).select_related(
            "organisation"
        )
    }
    for candidate in candidates:  # the most specific registration wins
        if candidate in rows:
            return rows[candidate]
    return None


def agreement_terms_for(organisation: Organisation) -> AgreementVersion | None:
    """The agreement version whose terms govern the organisation's data now: the current
    version, if its acceptance is in force; None when the organisation is not in good
    standing (then nothing of its data may be forwarded or attributed)."""
    from accounts.standing import acceptances_in_force, current_agreement_version

    version = current_agreement_version()
    if version is None or organisation.status != Organisation.Status.ACTIVE:
        return None
    in_force = acceptances_in_force(version).filter(organisation=organisation).exists()
    return version if in_force else None
