from django.urls import path

from sharing.peers import views

app_name = "peers"

urlpatterns = [
    path("", views.peer_list, name="list"),
    path("new/", views.peer_create, name="new"),
    path("<uuid:peer_uuid>/", views.peer_detail, name="detail"),
    path("<uuid:peer_uuid>/edit/", views.peer_edit, name="edit"),
    path("<uuid:peer_uuid>/rules/", views.rule_set, name="rule-set"),
    path("<uuid:peer_uuid>/rules/<uuid:rule_uuid>/remove/", views.rule_remove, name="rule-remove"),
    path("<uuid:peer_uuid>/collections/", views.collection_add, name="collection-add"),
    path(
        "<uuid:peer_uuid>/collections/<uuid:collection_uuid>/remove/",
        views.collection_remove,
        name="collection-remove",
    ),
    path("<uuid:peer_uuid>/pushes/", views.push_add, name="push-add"),
    path(
        "<uuid:peer_uuid>/pushes/<uuid:subscription_uuid>/remove/",
        views.push_remove,
        name="push-remove",
    ),
    path(
        "<uuid:peer_uuid>/pushes/<uuid:subscription_uuid>/dry-run/",
        views.push_dry_run,
        name="push-dry-run",
    ),
]
