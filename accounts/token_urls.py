from django.urls import path

from accounts.views import tokens as token_views

urlpatterns = [
    path("", token_views.token_list, name="api-tokens"),
    path("<uuid:token_uuid>/revoke/", token_views.token_revoke_view, name="api-token-revoke"),
]
