"""URLs of the member-management pages: /isac/ for ISAC admins, /organisation/ for org admins."""

from django.urls import path

from accounts.views import organisation as org_views
from accounts.views.isac import agreements as isac_agreement_views
from accounts.views.isac import organisations as isac_views

isac_urlpatterns = [
    path("organisations/", isac_views.organisation_list, name="isac-organisations"),
    path("organisations/export.csv", isac_views.organisation_export, name="isac-organisations-csv"),
    path("organisations/new/", isac_views.organisation_create, name="isac-organisation-new"),
    path(
        "organisations/<uuid:org_uuid>/",
        isac_views.organisation_detail,
        name="isac-organisation",
    ),
    path(
        "organisations/<uuid:org_uuid>/edit/",
        isac_views.organisation_edit,
        name="isac-organisation-edit",
    ),
    path(
        "organisations/<uuid:org_uuid>/status/",
        isac_views.organisation_status,
        name="isac-organisation-status",
    ),
    path(
        "organisations/<uuid:org_uuid>/domains/add/",
        isac_views.organisation_domain_add,
        name="isac-domain-add",
    ),
    path(
        "organisations/<uuid:org_uuid>/domains/remove/",
        isac_views.organisation_domain_remove,
        name="isac-domain-remove",
    ),
    path(
        "organisations/<uuid:org_uuid>/invite/",
        isac_views.organisation_invite,
        name="isac-organisation-invite",
    ),
    path(
        "acceptances/<uuid:acceptance_uuid>/revoke/",
        isac_views.acceptance_revoke,
        name="isac-acceptance-revoke",
    ),
    path(
        "people/<uuid:user_uuid>/<slug:action>/",
        isac_views.user_suspend,
        name="isac-user-action",
    ),
    path("agreements/", isac_agreement_views.agreement_list, name="isac-agreements"),
    path("agreements/new/", isac_agreement_views.agreement_create, name="isac-agreement-new"),
    path(
        "agreements/<uuid:version_uuid>/",
        isac_agreement_views.agreement_detail,
        name="isac-agreement",
    ),
    path(
        "agreements/<uuid:version_uuid>/edit/",
        isac_agreement_views.agreement_edit,
        name="isac-agreement-edit",
    ),
    path(
        "agreements/<uuid:version_uuid>/publish/",
        isac_agreement_views.agreement_publish,
        name="isac-agreement-publish",
    ),
    path(
        "agreements/<uuid:version_uuid>/delete/",
        isac_agreement_views.agreement_delete,
        name="isac-agreement-delete",
    ),
    path("audit/", isac_agreement_views.audit_log, name="isac-audit"),
    path("sectors/", isac_agreement_views.sector_list, name="isac-sectors"),
]

organisation_urlpatterns = [
    path("", org_views.my_organisation, name="org-overview"),
    path("people/", org_views.people, name="org-people"),
    path("require-mfa/", org_views.require_mfa, name="org-require-mfa"),
    path("agreement/", org_views.agreement, name="org-agreement"),
    path("people/<uuid:membership_uuid>/role/", org_views.membership_role, name="membership-role"),
    path(
        "people/<uuid:membership_uuid>/access/",
        org_views.membership_active,
        name="membership-active",
    ),
    path(
        "invitations/<uuid:invitation_uuid>/revoke/",
        org_views.invitation_revoke,
        name="invitation-revoke",
    ),
]
