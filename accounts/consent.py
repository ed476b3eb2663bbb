"""An organisation's government forwarding consent as it stands now.

The consent counts only under the acceptance in force of the current agreement version,
and only if that version lets the ISAC forward at all (`may_forward_to_government`) and the
organisation is in good standing. Anything else (no acceptance, a lapsed or revoked one, a
new version not yet accepted, a version without the term) means no consent. The ISAC
consents for itself: its staff choose per report (sharing.government.consent).
"""

from dataclasses import dataclass

from accounts.models import AgreementAcceptance, ForwardingConsent, Organisation
from accounts.standing import acceptances_in_force, current_agreement_version, is_in_good_standing

Scope = ForwardingConsent.Scope

# Narrowest first: a report may move down this list from its organisation's scope, never up.
SCOPE_RANK: dict[str, int] = {Scope.NONE: 0, Scope.USG: 1, Scope.EVERYONE: 2}


@dataclass(frozen=True)
class OrganisationConsent:
    """The scope and handling that apply now, and the rows they come from (for the record)."""

    scope: str
    cisa_proprietary: bool
    choice: ForwardingConsent | None = None
    acceptance: AgreementAcceptance | None = None
    # Why there is no consent, in words for the organisation's people; empty when there is.
    reason: str = ""


def narrower(a: str, b: str) -> str:
    """The narrower of two scopes."""
    return a if SCOPE_RANK[a] <= SCOPE_RANK[b] else b


def acceptance_for_consent(organisation: Organisation) -> AgreementAcceptance | None:
    """The organisation's acceptance in force of the current version, if that version lets
    the ISAC forward to government partners."""
    version = current_agreement_version()
    if version is None or not version.may_forward_to_government:
        return None
    return (
        acceptances_in_force(version)
        .filter(organisation=organisation)
        .order_by("-accepted_at", "-id")
        .first()
    )


def organisation_consent(organisation: Organisation) -> OrganisationConsent:
    """What the organisation consents to now; the ISAC consents to everything (its staff
    choose for each of its reports)."""
    if organisation.is_isac:
        return OrganisationConsent(scope=Scope.EVERYONE, cisa_proprietary=False)
    version = current_agreement_version()
    if version is None or not version.may_forward_to_government:
        return OrganisationConsent(
            scope=Scope.NONE,
            cisa_proprietary=False,
            reason="The current membership agreement does not provide for government forwarding.",
        )
    if not is_in_good_standing(organisation):
        return OrganisationConsent(
            scope=Scope.NONE,
            cisa_proprietary=False,
            reason="The organisation is not in good standing.",
        )
    acceptance = acceptance_for_consent(organisation)
    choice = (
        None
        if acceptance is None
        else ForwardingConsent.objects.filter(organisation=organisation, acceptance=acceptance)
        .order_by("-chosen_at", "-id")
        .first()
    )
    if acceptance is None or choice is None:
        return OrganisationConsent(
            scope=Scope.NONE,
            cisa_proprietary=False,
            acceptance=acceptance,
            reason="The organisation's admins have not chosen a forwarding consent under the "
            "agreement in force.",
        )
    return OrganisationConsent(
        scope=choice.scope,
        cisa_proprietary=choice.cisa_proprietary,
        choice=choice,
        acceptance=acceptance,
    )
