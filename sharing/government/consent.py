"""The consent a report leaves under, and the AIS labels that say it.

A report follows its organisation's consent (accounts.consent) unless its author narrowed
it; a report the ISAC wrote itself carries its staff's choice. Proprietary handling may be
added per report, never removed. The labels go on the identity that stands as the source
of a forwarded bundle, the way AIS expects them.
"""

from dataclasses import dataclass

from accounts.consent import SCOPE_RANK, OrganisationConsent, narrower, organisation_consent
from accounts.models import AgreementAcceptance, ForwardingConsent, Organisation
from sharing.models import Report

Scope = ForwardingConsent.Scope


@dataclass(frozen=True)
class ReportConsent:
    scope: str
    cisa_proprietary: bool
    organisation: OrganisationConsent

    @property
    def choice(self) -> ForwardingConsent | None:
        return self.organisation.choice

    @property
    def acceptance(self) -> AgreementAcceptance | None:
        return self.organisation.acceptance

    @property
    def label(self) -> str:
        return ais_label(self.scope, cisa_proprietary=self.cisa_proprietary)


def effective_consent(
    *, organisation: OrganisationConsent, is_isac: bool, report_scope: str, report_proprietary: bool
) -> tuple[str, bool]:
    """Pure: the scope and handling a report leaves under. Blank `report_scope` follows the
    organisation (for the ISAC's own reports, blank is "do not forward")."""
    if is_isac:
        scope = report_scope or Scope.NONE
    else:
        scope = narrower(report_scope, organisation.scope) if report_scope else organisation.scope
    proprietary = (organisation.cisa_proprietary or report_proprietary) and scope != Scope.NONE
    return scope, proprietary


def report_consent(report: Report) -> ReportConsent:
    organisation: Organisation = report.organisation
    standing = organisation_consent(organisation)
    scope, proprietary = effective_consent(
        organisation=standing,
        is_isac=organisation.is_isac,
        report_scope=report.government_consent,
        report_proprietary=report.government_cisa_proprietary,
    )
    return ReportConsent(scope=scope, cisa_proprietary=proprietary, organisation=standing)


def reaches(scope: str, *, us_government: bool) -> bool:
    """Whether a consent scope lets a report go to a partner: "everyone" to any government
    partner, "US government only" to US government agencies, "none" nowhere."""
    if scope == Scope.EVERYONE:
        return True
    return scope == Scope.USG and us_government


def ais_label(scope: str, *, cisa_proprietary: bool) -> str:
    """`ais-consent-everyone`, `ais-consent-usg`, `ais-consent-none`, each with
    `-cisa-proprietary` when that handling applies."""
    label = f"ais-consent-{scope}"
    return f"{label}-cisa-proprietary" if cisa_proprietary else label


def narrowing_problem(*, organisation: Organisation, report_scope: str) -> str | None:
    """Why a report's choice is refused (it would widen its organisation's consent), or None."""
    if not report_scope or organisation.is_isac:
        return None
    if report_scope not in SCOPE_RANK:
        return "Choose a forwarding consent from the list."
    allowed = organisation_consent(organisation).scope
    if SCOPE_RANK[report_scope] > SCOPE_RANK[allowed]:
        return (
            f"Your organisation consents to “{Scope(allowed).label}”; a report may narrow "
            "that, never widen it."
        )
    return None
