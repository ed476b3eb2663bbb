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

from accounts.models import (
    AgreementAcceptance,
    AgreementVersion,
    Membership,
    Organisation,
    OrganisationDomain,
    User,
)
from accounts.policy import USABLE_STATUSES
from accounts.standing import acceptances_in_force, current_agreement_version

SESSION_MEMBERSHIP_KEY = "membership_uuid"


def memberships_of(user: User) -> QuerySet[Membership]:
    # Read on every page: the person is the one asked about, not joined again to each row
    # (current_membership hands them to the memberships).
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
    for each in memberships:
        # The person is the one signed in: no second query for them when a page asks.
        each.user = user
    request.memberships = memberships  # type: ignore[attr-defined]
    chosen = request.session.get(SESSION_MEMBERSHIP_KEY)
    found = [m for m in memberships if chosen and str(m.uuid) == chosen]
    return found[0] if found else (memberships[0] if memberships else None)


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
    version = current_agreement_version()
    if version is None or organisation.status != Organisation.Status.ACTIVE:
        return None
    in_force = acceptances_in_force(version).filter(organisation=organisation).exists()
    return version if in_force else None
