from django.urls import path

from sharing.fanout import views

app_name = "fanout"

urlpatterns = [
    path("", views.feed_list, name="feeds"),
    path("new/", views.feed_create_view, name="feed-create"),
    path("<uuid:feed_uuid>/", views.feed_detail, name="feed-detail"),
    path("subscriptions/", views.subscription_list, name="subscriptions"),
    path(
        "subscriptions/<uuid:subscription_uuid>/",
        views.subscription_detail,
        name="subscription-detail",
    ),
    path(
        "subscriptions/<uuid:subscription_uuid>/test/",
        views.subscription_test,
        name="subscription-test",
    ),
    path(
        "subscriptions/<uuid:subscription_uuid>/rotate-secret/",
        views.subscription_rotate,
        name="subscription-rotate",
    ),
    path(
        "subscriptions/<uuid:subscription_uuid>/toggle/",
        views.subscription_toggle,
        name="subscription-toggle",
    ),
    path(
        "subscriptions/<uuid:subscription_uuid>/delete/",
        views.subscription_delete_view,
        name="subscription-delete",
    ),
    path("deliveries/", views.delivery_log, name="deliveries"),
    path("health/", views.health, name="health"),
    path("allow-list/", views.allow_list, name="allow-list"),
    path(
        "allow-list/<uuid:allowance_uuid>/remove/",
        views.allow_list_remove,
        name="allow-list-remove",
    ),
    path("notifications/", views.notification_list, name="notifications"),
    path(
        "notifications/<uuid:notification_uuid>/read/",
        views.notification_read,
        name="notification-read",
    ),
    path("unsubscribe/<str:token>/", views.unsubscribe, name="unsubscribe"),
]
