from django.contrib import admin
from django.urls import include, path

from portal import health, views

admin.site.site_header = "ISAC portal administration"

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", health.healthz, name="healthz"),
    path("accounts/", include("accounts.urls")),
    path("admin/", admin.site.urls),
]
