from django.urls import path

from core import views

app_name = "accounts"

urlpatterns = [
    path("2fa/setup/", views.two_factor_setup, name="two-factor-setup"),
    path("2fa/verify/", views.two_factor_verify, name="two-factor-verify"),
    path("2fa/disable/", views.two_factor_disable, name="two-factor-disable"),
    path("tokens/", views.token_list, name="tokens"),
    path("tokens/revoke/", views.token_revoke, name="token-revoke"),
]
