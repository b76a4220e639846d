"""Rate limits, counted in the default cache, at the rates of REST_FRAMEWORK's
DEFAULT_THROTTLE_RATES as they stand when the request comes (DRF's own classes read them once,
at import)."""

from rest_framework import throttling
from rest_framework.settings import api_settings


class SettingsRateMixin:
    def get_rate(self):
        return api_settings.DEFAULT_THROTTLE_RATES[self.scope]


class AnonRateThrottle(SettingsRateMixin, throttling.AnonRateThrottle):
    """Anonymous API calls, per client address."""


class UserRateThrottle(SettingsRateMixin, throttling.UserRateThrottle):
    """Signed-in API calls, per user."""


class ClientAddressThrottle(SettingsRateMixin, throttling.SimpleRateThrottle):
    """Requests of one scope per client address, signed in or not."""

    def get_cache_key(self, request, view):
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


class TokenLoginThrottle(ClientAddressThrottle):
    """POST /api/v1/auth/token/, per client address."""

    scope = "token"


class LoginThrottle(ClientAddressThrottle):
    """Posts of the login pages (the site's and the admin's), per client address."""

    scope = "login"
