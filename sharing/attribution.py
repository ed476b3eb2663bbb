"""Who a report names as its source by default, and whether it waits for ISAC review.

Read by the report services and by normalisation (an upload makes its own draft, and one
published by automation), so both follow the organisation's agreement the same way.
"""

from django.conf import settings

from accounts.models import AgreementAcceptance, Organisation
from accounts.standing import current_agreement_version
from sharing.models import ReviewRequirement


def attribution_default(organisation: Organisation) -> bool:
    """Whether the organisation's accepted agreement shows members as the source by default."""
    version = current_agreement_version()
    if version is None:
        return False
    accepted = AgreementAcceptance.objects.filter(
        organisation=organisation, version=version, revoked_at__isnull=True
    ).exists()
    return accepted and version.may_show_source_name


def review_required(organisation: Organisation) -> bool:
    """Whether the organisation's reports wait for ISAC review before publication."""
    if getattr(settings, "REPORT_REVIEW_REQUIRED", False):
        return True
    return ReviewRequirement.objects.filter(organisation=organisation, required=True).exists()
