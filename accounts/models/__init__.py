"""The accounts models, one module per area; importing them here registers them with the app.

- members: people, sectors, organisations and their domains, memberships;
- agreements: agreement versions, acceptances, the reminders before one expires and the
  government forwarding consent chosen with an acceptance;
- audit: the append-only audit log;
- groups: trust groups, their members and invitations;
- invitations: e-mailed invitations to join an organisation;
- tokens: API tokens.
"""

from accounts.models.agreements import (
    AgreementAcceptance,
    AgreementReminder,
    AgreementVersion,
    ForwardingConsent,
)
from accounts.models.audit import AuditEvent
from accounts.models.groups import TrustGroup, TrustGroupInvitation, TrustGroupMember
from accounts.models.invitations import Invitation
from accounts.models.members import (
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
    "ForwardingConsent",
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
