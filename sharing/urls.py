from django.urls import path

from sharing import views

urlpatterns = [
    path("", views.report_list_view, name="report-list"),
    path("new/", views.report_new, name="report-new"),
    path("curation/", views.curation_queue_view, name="curation-queue"),
    path("files/<uuid:attachment_uuid>/", views.attachment_download, name="attachment-download"),
    path(
        "files/<uuid:attachment_uuid>/remove/",
        views.attachment_remove_view,
        name="attachment-remove",
    ),
    path("<uuid:report_uuid>/", views.report_detail, name="report-detail"),
    path("<uuid:report_uuid>/stix/", views.report_stix, name="report-stix"),
    path("<uuid:report_uuid>/edit/", views.report_edit, name="report-edit"),
    path("<uuid:report_uuid>/autosave/", views.report_autosave, name="report-autosave"),
    path("<uuid:report_uuid>/preview/", views.report_preview, name="report-preview"),
    path("<uuid:report_uuid>/withdraw/", views.report_withdraw_view, name="report-withdraw"),
    path("<uuid:report_uuid>/comments/", views.comment_create_view, name="report-comment"),
    path("<uuid:report_uuid>/sightings/", views.sighting_create_view, name="report-sighting"),
    path("<uuid:report_uuid>/curation/", views.curation_action, name="report-curation"),
    path(
        "<uuid:report_uuid>/versions/<int:number>/",
        views.report_version,
        name="report-version",
    ),
]
