from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from portal import health, views

admin.site.site_header = "ISAC portal administration"

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", health.healthz, name="healthz"),
    path("", include("accounts.urls")),
    path("reports/", include("sharing.urls")),
    path("feeds/", include("sharing.fanout.urls")),
    path("api/v1/", include("sharing.api.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
    path("taxii2/", include("sharing.taxii.urls")),
    path("admin/", admin.site.urls),
]
