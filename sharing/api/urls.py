from django.urls import path
from rest_framework.routers import SimpleRouter

from sharing.alerts import api as alerts_api
from sharing.api import rfis, views

router = SimpleRouter()
router.register("reports", views.ReportViewSet, basename="api-report")
router.register("submissions", views.SubmissionViewSet, basename="api-submission")
router.register("indicators", views.IndicatorViewSet, basename="api-indicator")
router.register("sightings", views.SightingViewSet, basename="api-sighting")
router.register("feeds", views.FeedViewSet, basename="api-feed")
router.register("subscriptions", views.SubscriptionViewSet, basename="api-subscription")
router.register("deliveries", views.DeliveryViewSet, basename="api-delivery")
router.register("trust-groups", views.TrustGroupViewSet, basename="api-trust-group")
router.register("rfis", rfis.RfiViewSet, basename="api-rfi")
router.register("alerts", alerts_api.AlertViewSet, basename="api-alert")
router.register("watchlist", alerts_api.WatchedAssetViewSet, basename="api-watched-asset")

acknowledgement = alerts_api.ReportAcknowledgementViewSet.as_view(
    {"get": "retrieve", "post": "create"}
)

urlpatterns = [
    *router.urls,
    path(
        "reports/<uuid:id>/acknowledgement/",
        acknowledgement,
        name="api-report-acknowledgement",
    ),
]
