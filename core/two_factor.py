"""Two-factor authentication (TOTP): who must use it, where a session stands, checking codes."""

import base64
import time
from binascii import unhexlify
from enum import StrEnum

import django_otp
import qrcode
import qrcode.image.svg
from django.contrib.auth.signals import user_login_failed
from django.utils import timezone
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from core.choices import Role

# What a setup code may deviate from the server's clock, in 30-second steps (as for devices).
SETUP_TOLERANCE = 1


class Step(StrEnum):
    """The step a signed-in session must take before it may go anywhere else."""

    SETUP = "setup"  # the user must use two-factor authentication and has no device yet
    VERIFY = "verify"  # the user has a device; this session has not given a code from it


STEP_MESSAGES = {
    Step.SETUP: "Two-factor authentication is required for your role: set it up at "
                "/accounts/2fa/setup/ before using the site or the API.",
    Step.VERIFY: "This session has not passed two-factor authentication: enter a code at "
                 "/accounts/2fa/verify/, or use an API token.",
}


def is_required(user) -> bool:
    """Regulators and staff must use two-factor authentication; others may."""
    return user.is_active and (user.is_staff or user.is_superuser or user.role == Role.REGULATOR)


def device_for(user) -> TOTPDevice | None:
    """The user's confirmed TOTP device, if they have one."""
    return TOTPDevice.objects.devices_for_user(user, confirmed=True).first()


def has_device(user) -> bool:
    """Whether the user has a confirmed device; read from the request's user where
    core.backends.ModelBackend loaded it with the user, so most pages ask nothing more."""
    known = getattr(user, "has_totp_device", None)
    return device_for(user) is not None if known is None else known


def pending_step(request) -> Step | None:
    """What the signed-in session must do before anything else, or None when it may go on."""
    user = request.user
    if not user.is_authenticated:
        return None
    if has_device(user):
        return None if user.is_verified() else Step.VERIFY
    return Step.SETUP if is_required(user) else None


def refusal(*, device: TOTPDevice, code: str, request) -> str | None:
    """Check a code from the user's device: None when it is right, else why it was refused.

    A wrong code makes the device wait longer before the next one (django-otp's throttling)
    and counts as a failed login, so repeated wrong codes lock the account as repeated wrong
    passwords do (django-axes). A code is accepted once only.
    """
    allowed, why = device.verify_is_allowed()
    if not allowed:
        until = (why or {}).get("locked_until") or timezone.now()
        wait = max(1, round((until - timezone.now()).total_seconds()))
        return f"Too many wrong codes: try again in {wait} seconds."
    if django_otp.verify_token(device.user, device.persistent_id, code) is not None:
        return None
    user_login_failed.send(sender=__name__, credentials={"username": device.user.username},
                           request=request)
    return "That code is not right (or was used already): enter the current one."


def new_key() -> str:
    """A new secret for a device, hex-encoded as TOTPDevice stores it."""
    return TOTPDevice._meta.get_field("key").default()


def setup_step(key: str, code: str) -> int | None:
    """The time step a setup code matches for this secret (around now), or None."""
    if not (code.isdigit() and len(code) == 6):
        return None
    totp = TOTP(unhexlify(key))
    totp.time = time.time()
    if totp.verify(int(code), tolerance=SETUP_TOLERANCE):
        return totp.t()
    return None


def secret_text(key: str) -> str:
    """The secret as an authenticator app asks for it when typed in: base32, in groups of 4."""
    secret = base64.b32encode(unhexlify(key)).decode()
    return " ".join(secret[i:i + 4] for i in range(0, len(secret), 4))


def qr_data_uri(*, user, key: str) -> str:
    """The otpauth:// address of the secret as an SVG QR code in a data: URI, which the
    strict content security policy allows for images."""
    url = TOTPDevice(user=user, key=key).config_url
    image = qrcode.make(url, image_factory=qrcode.image.svg.SvgPathFillImage, box_size=10,
                        border=2)
    return "data:image/svg+xml;base64," + base64.b64encode(image.to_string()).decode()
