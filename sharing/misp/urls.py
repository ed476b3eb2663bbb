"""MISP feed URLs. A MISP instance is given the feed's folder (…/misp/feeds/<uuid>/) and
appends manifest.json, <event-uuid>.json and hashes.csv itself."""

from django.urls import path

from sharing.misp import views

app_name = "misp"

urlpatterns = [
    path("feeds/<uuid:feed_uuid>/manifest.json", views.feed_manifest, name="feed-manifest"),
    path("feeds/<uuid:feed_uuid>/hashes.csv", views.feed_hashes, name="feed-hashes"),
    path("feeds/<uuid:feed_uuid>/<uuid:event_uuid>.json", views.feed_event, name="feed-event"),
    path("groups/<uuid:feed_uuid>/manifest.json", views.group_manifest, name="group-manifest"),
    path("groups/<uuid:feed_uuid>/hashes.csv", views.group_hashes, name="group-hashes"),
    path("groups/<uuid:feed_uuid>/<uuid:event_uuid>.json", views.group_event, name="group-event"),
]
