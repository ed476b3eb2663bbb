"""The public feed's URLs, mounted at /public/ by portal/urls.py (namespace "public")."""

from django.urls import path

from sharing.public import taxii, views

app_name = "public"

_collection = "taxii2/clear/collections/<str:collection_id>"

urlpatterns = [
    path("", views.index, name="index"),
    path("feed.atom", views.atom_feed, name="atom"),
    path("feed.rss", views.rss_feed, name="rss"),
    path("indicators.txt", views.indicators_text, name="indicators-txt"),
    path("indicators.csv", views.indicators_csv, name="indicators-csv"),
    path("reports/<uuid:report_uuid>/", views.report_page, name="report"),
    path("reports/<uuid:report_uuid>/stix/", views.report_stix, name="report-stix"),
    # TAXII 2.1: one API root ("clear") with one read-only collection.
    path("taxii2/", taxii.discovery, name="taxii-discovery"),
    path("taxii2/clear/", taxii.api_root, name="taxii-api-root"),
    path("taxii2/clear/collections/", taxii.collections, name="taxii-collections"),
    path(f"{_collection}/", taxii.collection, name="taxii-collection"),
    path(f"{_collection}/objects/", taxii.objects, name="taxii-objects"),
    path(f"{_collection}/objects/<str:object_id>/", taxii.object_detail, name="taxii-object"),
    path(
        f"{_collection}/objects/<str:object_id>/versions/",
        taxii.object_versions,
        name="taxii-object-versions",
    ),
    path(f"{_collection}/manifest/", taxii.manifest, name="taxii-manifest"),
]
