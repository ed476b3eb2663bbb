from django.urls import path

from accounts.views import groups as views

urlpatterns = [
    path("", views.group_list, name="group-list"),
    path("browse/", views.group_browse, name="group-browse"),
    path("new/", views.group_create, name="group-create"),
    path("<uuid:group_uuid>/", views.group_detail, name="group-detail"),
    path("<uuid:group_uuid>/edit/", views.group_edit, name="group-edit"),
    path("<uuid:group_uuid>/invite/", views.group_invite, name="group-invite"),
    path("<uuid:group_uuid>/request/", views.group_request, name="group-request"),
    path("<uuid:group_uuid>/leave/", views.group_leave, name="group-leave"),
    path("<uuid:group_uuid>/remove/", views.group_remove, name="group-remove"),
    path("<uuid:group_uuid>/transfer/", views.group_transfer, name="group-transfer"),
    path("<uuid:group_uuid>/moderators/", views.group_moderator, name="group-moderator"),
    path(
        "invitations/<uuid:invitation_uuid>/<slug:action>/",
        views.invitation_act,
        name="group-invitation",
    ),
]
