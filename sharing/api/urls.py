from rest_framework.routers import SimpleRouter

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

urlpatterns = router.urls
