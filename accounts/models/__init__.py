"""The accounts models, one module per area; importing them here registers them with the app.

- members: people, sectors, organisations and their domains, memberships, agreement
  versions and acceptances, the audit log;
- groups: trust groups, their members and invitations;
- invitations: e-mailed invitations to join an organisation, agreement reminders;
- tokens: API tokens.
"""

from accounts.models.groups import TrustGroup, TrustGroupInvitation, TrustGroupMember
from accounts.models.invitations import AgreementReminder, Invitation
from accounts.models.members import (
    AgreementAcceptance,
    AgreementVersion,
    AuditEvent,
    Membership,
    Organisation,
    OrganisationDomain,
    Sector,
    User,
    UserManager,
)
from accounts.models.tokens import ApiToken

__all__ = [
    "AgreementAcceptance",
    "AgreementReminder",
    "AgreementVersion",
    "ApiToken",
    "AuditEvent",
    "Invitation",
    "Membership",
    "Organisation",
    "OrganisationDomain",
    "Sector",
    "TrustGroup",
    "TrustGroupInvitation",
    "TrustGroupMember",
    "User",
    "UserManager",
]
