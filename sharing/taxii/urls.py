from django.urls import path, re_path

from sharing.taxii import views

app_name = "taxii"

_collection = "portal/collections/<str:collection_id>"

urlpatterns = [
    path("", views.discovery, name="discovery"),
    path("portal/", views.api_root, name="api-root"),
    path("portal/collections/", views.collections, name="collections"),
    path(f"{_collection}/", views.collection, name="collection"),
    path(f"{_collection}/objects/", views.objects, name="objects"),
    path(f"{_collection}/objects/<str:object_id>/", views.object_detail, name="object"),
    path(
        f"{_collection}/objects/<str:object_id>/versions/",
        views.object_versions,
        name="object-versions",
    ),
    path(f"{_collection}/manifest/", views.manifest, name="manifest"),
    # Clients join "../../status/<id>" onto a collection URL, without the trailing slash.
    re_path(r"^portal/status/(?P<status_id>[^/]+)/?$", views.status, name="status"),
]
