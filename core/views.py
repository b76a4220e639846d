from functools import wraps
from math import ceil

import django_otp
from axes.handlers.proxy import AxesProxyHandler
from axes.helpers import get_lockout_response
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect, render, resolve_url
from django.utils.decorators import method_decorator
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST
from knox.models import AuthToken

from core import selectors, services, two_factor
from core.forms import DeviceCodeForm, SetupCodeForm
from core.throttling import LoginThrottle
from ipregistry import permissions as registry_permissions

SETUP_KEY = "two_factor_setup_key"  # the session's secret being set up, until confirmed


def login_rate_limit(view):
    """Answer 429 to login posts from a client address beyond the "login" rate."""

    @wraps(view)
    def limited(request, *args, **kwargs):
        if request.method == "POST":
            throttle = LoginThrottle()
            if not throttle.allow_request(request, None):
                wait = ceil(throttle.wait() or 1)
                response = render(request, "registration/rate_limited.html", {"wait": wait},
                                  status=429)
                response["Retry-After"] = str(wait)
                return response
        return view(request, *args, **kwargs)

    return limited


@method_decorator(login_rate_limit, name="dispatch")
class LoginView(auth_views.LoginView):
    redirect_authenticated_user = True


def home(request):
    """Show each role where to start."""
    user = request.user
    memberships = (user.memberships.select_related("issuer")
                   if user.is_authenticated else [])
    return render(request, "home.html", {
        "memberships": memberships,
        "can_create_asset": registry_permissions.can_create_anything(
            user, registry_permissions.Record.ASSET),
    })


def _next_url(request) -> str:
    """Where to go once the step is done: the `next` asked for, if it stays on this site."""
    target = request.POST.get("next") or request.GET.get("next", "")
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()},
                                       require_https=request.is_secure()):
        return target
    return resolve_url(settings.LOGIN_REDIRECT_URL)


def _locked_out(request):
    """End the session of a user whose wrong codes locked the account, with the lock-out page."""
    credentials = {"username": request.user.get_username()}
    logout(request)
    return get_lockout_response(request, credentials=credentials)


@login_required
def two_factor_setup(request):
    """Set up two-factor authentication: a new secret, as text and as a QR code for an
    authenticator app; the app's first code confirms it. With a device already, say so."""
    user = request.user
    device = two_factor.device_for(user)
    context = {"device": device, "required": two_factor.is_required(user),
               "next": _next_url(request)}
    if device is not None:
        return render(request, "accounts/two_factor_setup.html", context)
    key = request.session.setdefault(SETUP_KEY, two_factor.new_key())
    form = SetupCodeForm(request.POST or None, key=key)
    if request.method == "POST" and form.is_valid():
        device = services.two_factor_enable(actor=user, user=user, key=key, last_t=form.step)
        del request.session[SETUP_KEY]
        django_otp.login(request, device)
        request.session.cycle_key()
        messages.success(request, "Two-factor authentication is on: from now on you log in "
                                  "with your password and a code from your app.")
        return redirect(context["next"])
    return render(request, "accounts/two_factor_setup.html", {
        **context, "form": form, "secret": two_factor.secret_text(key),
        "qr": two_factor.qr_data_uri(user=user, key=key)})


@login_required
def two_factor_verify(request):
    """Ask a signed-in user with a device for its current code, once per session."""
    user = request.user
    device = two_factor.device_for(user)
    next_url = _next_url(request)
    if device is None or user.is_verified():
        return redirect(next_url)
    if not AxesProxyHandler.is_allowed(request, {"username": user.get_username()}):
        return _locked_out(request)
    form = DeviceCodeForm(request.POST or None, device=device, request=request)
    if request.method == "POST":
        if form.is_valid():
            django_otp.login(request, device)
            request.session.cycle_key()
            return redirect(next_url)
        if getattr(request, "axes_locked_out", False):
            return _locked_out(request)
    return render(request, "accounts/two_factor_verify.html", {"form": form, "next": next_url})


@login_required
def two_factor_disable(request):
    """Turn two-factor authentication off, with a current code, where the role allows it."""
    user = request.user
    device = two_factor.device_for(user)
    if device is None:
        return redirect("accounts:two-factor-setup")
    if two_factor.is_required(user):
        raise PermissionDenied("Two-factor authentication is required for your role.")
    form = DeviceCodeForm(request.POST or None, device=device, request=request)
    if request.method == "POST":
        if form.is_valid():
            services.two_factor_disable(actor=user, user=user)
            messages.success(request, "Two-factor authentication is off.")
            return redirect("accounts:two-factor-setup")
        if getattr(request, "axes_locked_out", False):
            return _locked_out(request)
    return render(request, "accounts/two_factor_disable.html", {"form": form})


@login_required
def token_list(request):
    """The user's API tokens that have not expired, each with a revoke button."""
    return render(request, "accounts/tokens.html", {
        "tokens": selectors.api_tokens(request.user),
        "ttl_hours": settings.API_TOKEN_TTL_HOURS})


@login_required
@require_POST
def token_revoke(request):
    """Revoke one of the user's API tokens, or all of them."""
    if request.POST.get("all"):
        count = services.api_token_revoke_all(actor=request.user, user=request.user)
        messages.success(request, f"Revoked {count} token{'s' if count != 1 else ''}.")
    else:
        token = get_object_or_404(AuthToken, user=request.user,
                                  digest=request.POST.get("token", ""))
        services.api_token_revoke(actor=request.user, token=token)
        messages.success(request, f"Revoked the token ending {token.token_key[-8:]}.")
    return redirect("accounts:tokens")
