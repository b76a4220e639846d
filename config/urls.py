from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from core import views as core_views
from core.api import TokenLoginView, TokenRevokeAllView, TokenRevokeView
from core.audit_views import AuditLogView
from disclosure import analytics

api_patterns = [
    path("auth/token/", TokenLoginView.as_view(), name="token"),
    path("auth/token/revoke/", TokenRevokeView.as_view(), name="token-revoke"),
    path("auth/token/revoke-all/", TokenRevokeAllView.as_view(), name="token-revoke-all"),
    path("", include("ipregistry.api.urls")),
    path("", include("deals.api.urls")),
    path("", include("disclosure.api.urls")),
    path("analytics/market/", analytics.MarketAnalyticsApiView.as_view(), name="market"),
]

urlpatterns = [
    path("", core_views.home, name="home"),
    path("accounts/login/", core_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/", include("core.urls")),
    path("audit/", AuditLogView.as_view(), name="audit-log"),
    path("registry/", include("ipregistry.urls")),
    path("deals/", include("deals.urls")),
    path("disclosure/", include("disclosure.urls")),
    path("market/", analytics.MarketPageView.as_view(), name="market"),
    path("market/<slug:key>.<str:fmt>", analytics.MarketFigureView.as_view(),
         name="market-figure"),
    path("api/v1/", include((api_patterns, "api"))),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="schema"), name="api-docs"),
    # The admin's own login form, under the same rate limit as the site's.
    path("admin/login/", core_views.login_rate_limit(admin.site.login)),
    path("admin/", admin.site.urls),
]

handler500 = "core.errors.server_error"
