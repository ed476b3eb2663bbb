"""Government partner pages (ISAC admin area) and an organisation's forward record."""

from django.urls import path

from sharing.government import views

app_name = "government"

urlpatterns = [
    path("isac/government/", views.partner_list, name="partners"),
    path("isac/government/new/", views.partner_create, name="partner-create"),
    path("isac/government/<uuid:partner_uuid>/", views.partner_detail, name="partner"),
    path(
        "isac/government/<uuid:partner_uuid>/toggle/", views.partner_toggle, name="partner-toggle"
    ),
    path("isac/government/<uuid:partner_uuid>/check/", views.partner_check, name="partner-check"),
    path("isac/government/<uuid:partner_uuid>/retry/", views.partner_retry, name="partner-retry"),
    path("isac/government/<uuid:partner_uuid>/dry-run/", views.dry_run, name="dry-run"),
    path("organisation/government/", views.org_forwards, name="org-forwards"),
    path("organisation/government/forwards.csv", views.org_forwards_csv, name="org-forwards-csv"),
]
