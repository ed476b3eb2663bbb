"""Alert pages (/alerts/) and the watch list in the organisation admin area
(/organisation/watchlist/), both mounted by portal/urls.py."""

from django.urls import path

from sharing.alerts import views

app_name = "alerts"

urlpatterns = [
    path("", views.alert_list, name="alert-list"),
    path("<uuid:alert_uuid>/", views.alert_detail, name="alert-detail"),
    path("<uuid:alert_uuid>/state/", views.alert_state, name="alert-state"),
    path(
        "reports/<uuid:report_uuid>/acknowledge/",
        views.report_acknowledge_view,
        name="report-acknowledge",
    ),
]

watchlist_urlpatterns = (
    [
        path("", views.watchlist, name="watchlist"),
        path("<uuid:asset_uuid>/remove/", views.watchlist_remove, name="watchlist-remove"),
    ],
    "watchlist",
)
