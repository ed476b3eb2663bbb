from django.urls import path

from sharing import (
    views,
    views_automation,
    views_discussion,
    views_lifecycle,
    views_lookup,
    views_posting,
)
from sharing.formats import FORMATS

urlpatterns = [
    path("", views.report_list_view, name="report-list"),
    path("new/", views_posting.report_new, name="report-new"),
    path("indicators/", views_lookup.indicator_lookup_view, name="indicator-lookup"),
    path("indicators/expire/", views_lookup.indicator_expire_view, name="indicator-expire"),
    path("indicators/rules/", views_lifecycle.decay_rules_view, name="indicator-rules"),
    path(
        "automation/",
        views_automation.publishing_defaults_view,
        name="publishing-defaults",
    ),
    path("indicators/bulk/", views_lookup.indicator_bulk_lookup_view, name="indicator-bulk-lookup"),
    path("curation/", views_discussion.curation_queue_view, name="curation-queue"),
    path("files/<uuid:attachment_uuid>/", views.attachment_download, name="attachment-download"),
    path(
        "files/<uuid:attachment_uuid>/remove/",
        views_posting.attachment_remove_view,
        name="attachment-remove",
    ),
    path("<uuid:report_uuid>/", views.report_detail, name="report-detail"),
    # One download per output format: /reports/<uuid>/stix/, /reports/<uuid>/csv/ ...
    *(
        path(
            f"<uuid:report_uuid>/{identifier}/",
            views.report_export,
            {"identifier": identifier},
            name=f"report-{identifier}",
        )
        for identifier in FORMATS
    ),
    path("<uuid:report_uuid>/edit/", views_posting.report_edit, name="report-edit"),
    path("<uuid:report_uuid>/autosave/", views_posting.report_autosave, name="report-autosave"),
    path("<uuid:report_uuid>/preview/", views_posting.report_preview, name="report-preview"),
    path(
        "<uuid:report_uuid>/withdraw/", views_posting.report_withdraw_view, name="report-withdraw"
    ),
    path(
        "<uuid:report_uuid>/comments/", views_discussion.comment_create_view, name="report-comment"
    ),
    path(
        "<uuid:report_uuid>/sightings/",
        views_discussion.sighting_create_view,
        name="report-sighting",
    ),
    path("<uuid:report_uuid>/curation/", views_discussion.curation_action, name="report-curation"),
    path(
        "<uuid:report_uuid>/versions/<int:number>/",
        views.report_version,
        name="report-version",
    ),
]
