"""Choosing the organisation's government forwarding consent (AIS vocabulary).

The choice is made when an admin accepts the agreement (agreement_accept calls
`consent_record`) and may be changed at any time while that acceptance is in force. Every
choice is a new row tied to the acceptance and an audit event; nothing is edited.
"""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from accounts.audit import audit_record
from accounts.consent import acceptance_for_consent, organisation_consent
from accounts.models import AgreementAcceptance, ForwardingConsent, Membership, Organisation
from accounts.policy import is_member_org_admin


def consent_record(
    *,
    organisation: Organisation,
    acceptance: AgreementAcceptance,
    scope: str,
    cisa_proprietary: bool,
    by: Membership,
    ip_address: str | None = None,
) -> ForwardingConsent:
    """Write one consent choice under the acceptance, audited. The caller has checked who
    acts and holds the transaction."""
    if scope not in ForwardingConsent.Scope.values:
        raise ValidationError("Choose who the ISAC may forward your reports to.")
    if not acceptance.version.may_forward_to_government and scope != ForwardingConsent.Scope.NONE:
        raise ValidationError("The agreement in force does not provide for government forwarding.")
    before = organisation_consent(organisation)
    choice = ForwardingConsent.objects.create(
        organisation=organisation,
        acceptance=acceptance,
        scope=scope,
        cisa_proprietary=cisa_proprietary and scope != ForwardingConsent.Scope.NONE,
        chosen_by=by.user,
    )
    audit_record(
        action="agreement.forwarding_consent",
        obj=organisation,
        by=by,
        organisation=organisation,
        actor_organisation=organisation,
        ip_address=ip_address,
        before={"scope": before.scope, "cisa_proprietary": before.cisa_proprietary},
        after={
            "scope": choice.scope,
            "cisa_proprietary": choice.cisa_proprietary,
            "acceptance": str(acceptance.uuid),
            "version": acceptance.version.version_label,
        },
    )
    return choice


@transaction.atomic
def forwarding_consent_set(
    *,
    organisation: Organisation,
    scope: str,
    cisa_proprietary: bool,
    by: Membership,
    ip_address: str | None = None,
) -> ForwardingConsent:
    """An admin of the organisation changes its consent under the acceptance in force.

    Reports already forwarded stay forwarded (the record keeps the consent they left
    under); from now on each report is judged by the new choice, also at send time.
    """
    org = Organisation.objects.select_for_update().get(pk=organisation.pk)
    if not (is_member_org_admin(by) and by.organisation_id == org.pk):
        raise PermissionDenied("Only an admin of the organisation can change its consent.")
    acceptance = acceptance_for_consent(org)
    if acceptance is None:
        raise ValidationError(
            "Accept the current membership agreement first; the consent is chosen with it "
            "(and only an agreement that provides for government forwarding has one)."
        )
    return consent_record(
        organisation=org,
        acceptance=acceptance,
        scope=scope,
        cisa_proprietary=cisa_proprietary,
        by=by,
        ip_address=ip_address,
    )
