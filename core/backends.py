"""Authentication backends."""

from django.contrib.auth import backends, get_user_model
from django.db.models import Exists, OuterRef
from django_otp.plugins.otp_totp.models import TOTPDevice


class ModelBackend(backends.ModelBackend):
    """Django's model backend, whose signed-in user also carries `has_totp_device` (whether
    they have a confirmed two-factor device), loaded in the same query as the user, so the
    two-factor check of every page (core.middleware) costs no query of its own."""

    def get_user(self, user_id):
        devices = TOTPDevice.objects.filter(user=OuterRef("pk"), confirmed=True)
        user = (get_user_model()._default_manager.annotate(has_totp_device=Exists(devices))
                .filter(pk=user_id).first())
        return user if user is not None and self.user_can_authenticate(user) else None
