from rest_framework.routers import DefaultRouter

from disclosure.api import views

router = DefaultRouter()
router.register("templates", views.TemplateViewSet, basename="template")
router.register("filings", views.FilingViewSet, basename="filing")
router.register("notifications", views.NotificationViewSet, basename="notification")

urlpatterns = router.urls
