from django.urls import path

from sharing.rfi import views

urlpatterns = [
    path("", views.rfi_list_view, name="rfi-list"),
    path("new/", views.rfi_new, name="rfi-new"),
    path("<uuid:rfi_uuid>/", views.rfi_detail, name="rfi-detail"),
    path("<uuid:rfi_uuid>/answers/", views.rfi_answer_view, name="rfi-answer"),
    path(
        "<uuid:rfi_uuid>/answers/<uuid:answer_uuid>/report/",
        views.rfi_answer_report,
        name="rfi-answer-report",
    ),
    path("<uuid:rfi_uuid>/close/", views.rfi_close_view, name="rfi-close"),
    path("<uuid:rfi_uuid>/merge/", views.rfi_merge_view, name="rfi-merge"),
    path("<uuid:rfi_uuid>/route/", views.rfi_route_view, name="rfi-route"),
]
