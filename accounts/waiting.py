"""What is waiting for a person: the to-dos their dashboard lists, by role.

An ISAC admin is waiting on organisations to approve, acceptances about to run out,
invitations nobody has used yet and organisations that have nobody to act for them; an
organisation admin on the agreement their organisation has not accepted and their own
invitations. Reads only, one query per list.
"""

from dataclasses import dataclass, field
from datetime import timedelta

from django.db.models import Exists, OuterRef, QuerySet
from django.utils import timezone

from accounts.models import (
    AgreementAcceptance,
    AgreementVersion,
    Invitation,
    Membership,
    Organisation,
    User,
)
from accounts.standing import current_agreement_version, good_standing_of, note_good_standing

# Acceptances that run out within this many days are listed for ISAC admins.
EXPIRING_WITHIN_DAYS = 30
_LISTED = 10


@dataclass
class Waiting:
    """The to-do lists of one person; empty lists are simply not shown."""

    applicants: list[Organisation] = field(default_factory=list)
    expiring: list[AgreementAcceptance] = field(default_factory=list)
    open_invitations: list[Invitation] = field(default_factory=list)
    without_admin: list[Organisation] = field(default_factory=list)
    agreement_to_accept: AgreementVersion | None = None

    def __bool__(self) -> bool:
        return bool(
            self.applicants
            or self.expiring
            or self.open_invitations
            or self.without_admin
            or self.agreement_to_accept
        )


def organisations_without_admin() -> QuerySet[Organisation]:
    """Member organisations in use with no active admin: nobody can accept for them."""
    admins = Membership.objects.filter(
        organisation=OuterRef("pk"),
        role=Membership.Role.ORG_ADMIN,
        is_active=True,
        user__is_active=True,
    )
    return (
        Organisation.objects.filter(
            is_isac=False,
            status__in=[Organisation.Status.APPLICANT, Organisation.Status.ACTIVE],
        )
        .exclude(Exists(admins))
        .order_by("name")
    )


def standing_and_admin(organisation: Organisation) -> tuple[bool, bool]:
    """Whether the organisation is in good standing, and whether it has nobody to
    administer it (an ISAC never lacks one): the two facts of a dashboard's first card, in
    one query. The standing is kept for the rest of a read-only request."""
    row = (
        Organisation.objects.filter(pk=organisation.pk)
        .annotate(
            in_good_standing=good_standing_of(OuterRef("pk")),
            without_admin=Exists(organisations_without_admin().filter(pk=OuterRef("pk"))),
        )
        .values_list("in_good_standing", "without_admin")
        .first()
    )
    in_good_standing, without_admin = row if row is not None else (False, False)
    note_good_standing(organisation.pk, in_good_standing)
    return in_good_standing, without_admin


def isac_contacts() -> list[User]:
    """The ISAC admins a member organisation's people can write to."""
    return list(
        User.objects.filter(
            is_active=True,
            memberships__is_active=True,
            memberships__organisation__is_isac=True,
            memberships__role=Membership.Role.ISAC_ADMIN,
        )
        .distinct()
        .order_by("full_name", "email")
    )


def _open_invitations() -> QuerySet[Invitation]:
    return Invitation.objects.filter(
        accepted_at__isnull=True, revoked_at__isnull=True, expires_at__gt=timezone.now()
    ).select_related("organisation")


def agreement_to_accept(organisation: Organisation) -> AgreementVersion | None:
    """The version the organisation must accept: the one in force when it has not accepted
    it, else a published version still to take effect (accepted from its effective date)."""
    if organisation.is_isac:
        return None
    published = AgreementVersion.objects.filter(published_at__isnull=False)
    current = current_agreement_version()
    if current is not None and not _accepted(organisation, current):
        return current
    scheduled = (
        published.filter(effective_date__gt=timezone.localdate())
        .order_by("-effective_date", "-published_at")
        .first()
    )
    if scheduled is not None and not _accepted(organisation, scheduled):
        return scheduled
    return None


def _accepted(organisation: Organisation, version: AgreementVersion) -> bool:
    return AgreementAcceptance.objects.filter(
        organisation=organisation,
        version=version,
        revoked_at__isnull=True,
        expires_at__gt=timezone.now(),
    ).exists()


def waiting_for(membership: Membership) -> Waiting:
    """What the dashboard lists under "Waiting for you" for this membership's role."""
    if membership.is_isac_admin:
        version = current_agreement_version()
        expiring: list[AgreementAcceptance] = []
        if version is not None:
            soon = timezone.now() + timedelta(days=EXPIRING_WITHIN_DAYS)
            expiring = list(
                AgreementAcceptance.objects.filter(
                    version=version,
                    revoked_at__isnull=True,
                    expires_at__gt=timezone.now(),
                    expires_at__lte=soon,
                )
                .select_related("organisation")
                .order_by("expires_at")[:_LISTED]
            )
        return Waiting(
            applicants=list(
                Organisation.objects.filter(status=Organisation.Status.APPLICANT).order_by(
                    "created_at"
                )[:_LISTED]
            ),
            expiring=expiring,
            open_invitations=list(_open_invitations().order_by("expires_at")[:_LISTED]),
            # Applicants are listed above; their admin usually comes with approval.
            without_admin=list(
                organisations_without_admin().exclude(status=Organisation.Status.APPLICANT)[
                    :_LISTED
                ]
            ),
        )
    if membership.is_org_admin:
        return Waiting(
            agreement_to_accept=agreement_to_accept(membership.organisation),
            open_invitations=list(
                _open_invitations()
                .filter(organisation=membership.organisation)
                .order_by("expires_at")[:_LISTED]
            ),
        )
    return Waiting()
