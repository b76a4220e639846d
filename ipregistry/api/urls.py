from rest_framework.routers import DefaultRouter

from ipregistry.api import views

router = DefaultRouter()
router.register("issuers", views.IssuerViewSet, basename="issuer")
router.register("financials", views.FinancialsViewSet, basename="financials")
router.register("assets", views.IPAssetViewSet, basename="asset")
router.register("valuations", views.ValuationViewSet, basename="valuation")
router.register("licences", views.LicenceViewSet, basename="licence")
router.register("receipts", views.ReceiptViewSet, basename="receipt")
router.register("pledges", views.PledgeViewSet, basename="pledge")

urlpatterns = router.urls
