from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from portal import health, views
from sharing.public.views import public_feed_settings

admin.site.site_header = "ISAC portal administration"

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", health.healthz, name="healthz"),
    path("isac/public-feed/", public_feed_settings, name="isac-public-feed"),
    path("isac/peers/", include("sharing.peers.urls")),
    path("", include("accounts.urls")),
    path("", include("sharing.government.urls")),
    path("reports/", include("sharing.urls")),
    path("feeds/", include("sharing.fanout.urls")),
    path("figures/", include("sharing.insights.urls")),
    path("api/v1/", include("sharing.api.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
    path("taxii2/", include("sharing.taxii.urls")),
    path("misp/", include("sharing.misp.urls")),
    # The public TLP:CLEAR feed: unauthenticated, 404 while an ISAC admin has it off.
    path("public/", include("sharing.public.urls")),
    path("admin/", admin.site.urls),
]

# Error answers in the portal's layout, or as JSON / TAXII on the API paths (portal/errors.py).
handler400 = "portal.errors.bad_request"
handler403 = "portal.errors.permission_denied"
handler404 = "portal.errors.page_not_found"
handler500 = "portal.errors.server_error"
