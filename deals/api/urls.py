from django.urls import path
from rest_framework.routers import DefaultRouter

from deals.api import views

router = DefaultRouter()
router.register("deals", views.DealViewSet, basename="deal")
router.register("tranches", views.TrancheViewSet, basename="tranche")
router.register("enhancements", views.EnhancementViewSet, basename="enhancement")
router.register("pool", views.PoolViewSet, basename="pool")
router.register("benchmarks", views.BenchmarkViewSet, basename="benchmark")
router.register("fx", views.FxRateViewSet, basename="fx")

urlpatterns = [
    path("waterfall/run/", views.WaterfallRunView.as_view(), name="waterfall-run"),
    path("waterfall/simulate/", views.WaterfallSimulateView.as_view(),
         name="waterfall-simulate"),
    *router.urls,
]
