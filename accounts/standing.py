"""Good standing: an active organisation whose current agreement is accepted and in force.

An organisation not in good standing may sign in, read the agreement waiting for it and
TLP:CLEAR material, and nothing else. The ISAC organisation is in good standing while
active: it does not sign its own agreement.
"""

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from accounts.models import AgreementAcceptance, AgreementVersion, Organisation
from portal.bound_sql import ConditionTemplate
from portal.reuse import reused


def current_agreement_version() -> AgreementVersion | None:
    """The newest published version already in effect (read once per read-only request).

    Every request asks (the access policy binds its id), few read its text: the agreement
    and its acceptable-use terms, kilobytes each, are read only when used."""
    today = timezone.localdate()
    return reused(
        ("current_agreement_version", today),
        lambda: (
            AgreementVersion.objects.filter(published_at__isnull=False, effective_date__lte=today)
            .defer("body_markdown", "acceptable_use")
            .order_by("-effective_date", "-published_at")
            .first()
        ),
    )


def acceptances_in_force(
    version: AgreementVersion | int, *, now: datetime | None = None
) -> QuerySet[AgreementAcceptance]:
    """Acceptances of the version (or version id) that are neither revoked nor expired at
    `now` (the current time unless given), of any organisation."""
    return AgreementAcceptance.objects.filter(
        version=version, revoked_at__isnull=True, expires_at__gt=now or timezone.now()
    )


def good_standing_condition(*, version_id: int | None, now: datetime | None) -> Q:
    """Good standing as a condition on organisations, for the current agreement version
    and the time given (compiled once and bound per use: `organisations_in_good_standing`,
    sharing.policy): with no version in effect only the ISAC itself is in good standing,
    and `now` is not used."""
    active = Q(status=Organisation.Status.ACTIVE)
    isac = Q(is_isac=True)
    if version_id is None:
        return active & isac
    accepted = acceptances_in_force(version_id, now=now).filter(organisation=OuterRef("pk"))
    return active & (isac | Q(Exists(accepted)))


def _good_standing(shape: None, values: Mapping[str, Any]) -> Q:
    return good_standing_condition(version_id=values["version_id"], now=values["now"])


# Every API and TAXII call asks for its token's organisation's standing, and building the
# condition afresh (an Exists over acceptances) cost more than the rest of the token check:
# compiled once per process, bound to the current version and time at each use.
_GOOD_STANDING = ConditionTemplate(
    Organisation, _good_standing, ints=("version_id",), times=("now",)
)


def organisations_in_good_standing() -> QuerySet[Organisation]:
    version = current_agreement_version()
    values = {
        "version_id": version.pk if version is not None else None,
        "now": timezone.now() if version is not None else None,  # unused without a version
    }
    return Organisation.objects.filter(_GOOD_STANDING.bind(None, values))


def good_standing_of(organisation: int | OuterRef) -> Exists:
    """Whether the organisation (an id, or a reference to the outer query's) is in good
    standing, as a condition another query carries (one query instead of two)."""
    return Exists(organisations_in_good_standing().filter(pk=organisation))


def is_in_good_standing(organisation: Organisation) -> bool:
    """Whether the organisation is in good standing (read once per read-only request)."""
    return reused(
        ("is_in_good_standing", organisation.pk),
        lambda: organisations_in_good_standing().filter(pk=organisation.pk).exists(),
    )


def note_good_standing(organisation_id: int, in_good_standing: bool) -> None:
    """Keep, for the rest of a read-only request, a standing another query already read
    (a report page reads it with the report)."""
    reused(("is_in_good_standing", organisation_id), lambda: in_good_standing)
