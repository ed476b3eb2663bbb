"""Every accounts URL, mounted once at the site root by portal/urls.py.

/accounts/ signing in and one's own security; /tokens/ API tokens; /isac/ ISAC admin pages;
/organisation/ an organisation admin's pages; /groups/ trust groups; /api/v1/me/ and
/api/v1/organisations/ the accounts side of the REST API.
"""

from django.contrib.auth import views as auth_views
from django.urls import include, path

from accounts.api.views import MeView, OrganisationListView
from accounts.forms.members import QueuedPasswordResetForm
from accounts.views import account, groups, organisation, tokens
from accounts.views.isac import agreements as isac_agreements
from accounts.views.isac import audit as isac_audit
from accounts.views.isac import organisations as isac_organisations
from accounts.views.isac import sectors as isac_sectors

account_urlpatterns = [
    path(
        "login/",
        account.PortalLoginView.as_view(),
        name="login",
    ),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("switch/", account.switch_membership, name="switch-membership"),
    path("security/", account.account_security, name="account-security"),
    path("password/", account.password_change_view, name="password-change"),
    path("mfa/setup/", account.mfa_setup, name="mfa-setup"),
    path("mfa/verify/", account.mfa_verify, name="mfa-verify"),
    path(
        "password-reset/",
        auth_views.PasswordResetView.as_view(form_class=QueuedPasswordResetForm),
        name="password_reset",
    ),
    path(
        "password-reset/sent/",
        auth_views.PasswordResetDoneView.as_view(),
        name="password_reset_done",
    ),
    path(
        "password-reset/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path(
        "password-reset/done/",
        auth_views.PasswordResetCompleteView.as_view(),
        name="password_reset_complete",
    ),
    path("invitation/<str:secret>/", account.invitation_accept, name="invitation-accept"),
]

token_urlpatterns = [
    path("", tokens.token_list, name="api-tokens"),
    path("<uuid:token_uuid>/revoke/", tokens.token_revoke_view, name="api-token-revoke"),
]

isac_urlpatterns = [
    path("organisations/", isac_organisations.organisation_list, name="isac-organisations"),
    path(
        "organisations/export.csv",
        isac_organisations.organisation_export,
        name="isac-organisations-csv",
    ),
    path(
        "organisations/new/", isac_organisations.organisation_create, name="isac-organisation-new"
    ),
    path(
        "organisations/<uuid:org_uuid>/",
        isac_organisations.organisation_detail,
        name="isac-organisation",
    ),
    path(
        "organisations/<uuid:org_uuid>/edit/",
        isac_organisations.organisation_edit,
        name="isac-organisation-edit",
    ),
    path(
        "organisations/<uuid:org_uuid>/status/",
        isac_organisations.organisation_status,
        name="isac-organisation-status",
    ),
    path(
        "organisations/<uuid:org_uuid>/domains/add/",
        isac_organisations.organisation_domain_add,
        name="isac-domain-add",
    ),
    path(
        "organisations/<uuid:org_uuid>/domains/remove/",
        isac_organisations.organisation_domain_remove,
        name="isac-domain-remove",
    ),
    path(
        "organisations/<uuid:org_uuid>/invite/",
        isac_organisations.organisation_invite,
        name="isac-organisation-invite",
    ),
    path(
        "acceptances/<uuid:acceptance_uuid>/revoke/",
        isac_organisations.acceptance_revoke,
        name="isac-acceptance-revoke",
    ),
    path(
        "people/<uuid:user_uuid>/<slug:action>/",
        isac_organisations.user_suspend,
        name="isac-user-action",
    ),
    path("agreements/", isac_agreements.agreement_list, name="isac-agreements"),
    path("agreements/new/", isac_agreements.agreement_create, name="isac-agreement-new"),
    path(
        "agreements/<uuid:version_uuid>/",
        isac_agreements.agreement_detail,
        name="isac-agreement",
    ),
    path(
        "agreements/<uuid:version_uuid>/edit/",
        isac_agreements.agreement_edit,
        name="isac-agreement-edit",
    ),
    path(
        "agreements/<uuid:version_uuid>/publish/",
        isac_agreements.agreement_publish,
        name="isac-agreement-publish",
    ),
    path(
        "agreements/<uuid:version_uuid>/delete/",
        isac_agreements.agreement_delete,
        name="isac-agreement-delete",
    ),
    path("audit/", isac_audit.audit_log, name="isac-audit"),
    path("sectors/", isac_sectors.sector_list, name="isac-sectors"),
]

organisation_urlpatterns = [
    path("", organisation.my_organisation, name="org-overview"),
    path("people/", organisation.people, name="org-people"),
    path("require-mfa/", organisation.require_mfa, name="org-require-mfa"),
    path("agreement/", organisation.agreement, name="org-agreement"),
    path("agreement/forwarding/", organisation.forwarding_consent, name="org-forwarding-consent"),
    path(
        "people/<uuid:membership_uuid>/role/", organisation.membership_role, name="membership-role"
    ),
    path(
        "people/<uuid:membership_uuid>/access/",
        organisation.membership_active,
        name="membership-active",
    ),
    path(
        "invitations/<uuid:invitation_uuid>/revoke/",
        organisation.invitation_revoke,
        name="invitation-revoke",
    ),
]

group_urlpatterns = [
    path("", groups.group_list, name="group-list"),
    path("browse/", groups.group_browse, name="group-browse"),
    path("new/", groups.group_create, name="group-create"),
    path("<uuid:group_uuid>/", groups.group_detail, name="group-detail"),
    path("<uuid:group_uuid>/edit/", groups.group_edit, name="group-edit"),
    path("<uuid:group_uuid>/invite/", groups.group_invite, name="group-invite"),
    path("<uuid:group_uuid>/request/", groups.group_request, name="group-request"),
    path("<uuid:group_uuid>/leave/", groups.group_leave, name="group-leave"),
    path("<uuid:group_uuid>/remove/", groups.group_remove, name="group-remove"),
    path("<uuid:group_uuid>/transfer/", groups.group_transfer, name="group-transfer"),
    path("<uuid:group_uuid>/moderators/", groups.group_moderator, name="group-moderator"),
    path(
        "invitations/<uuid:invitation_uuid>/<slug:action>/",
        groups.invitation_act,
        name="group-invitation",
    ),
]

urlpatterns = [
    path("accounts/", include(account_urlpatterns)),
    path("tokens/", include(token_urlpatterns)),
    path("isac/", include(isac_urlpatterns)),
    path("organisation/", include(organisation_urlpatterns)),
    path("groups/", include(group_urlpatterns)),
    path("api/v1/me/", MeView.as_view(), name="api-me"),
    path("api/v1/organisations/", OrganisationListView.as_view(), name="api-organisations"),
]
