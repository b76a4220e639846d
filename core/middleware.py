"""Request middleware of the site."""

from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import urlencode
from django_htmx.http import HttpResponseClientRedirect

from core import two_factor

# The pages a session may still open while it owes a step (besides the step's own page).
OPEN_PAGES = {"logout"}
STEP_PAGES = {two_factor.Step.SETUP: "accounts:two-factor-setup",
              two_factor.Step.VERIFY: "accounts:two-factor-verify"}


class TwoFactorMiddleware:
    """Send a signed-in session that owes a two-factor step to it, from every page and the
    admin: to the code of its device when it has one, else (regulators and staff) to setting
    one up. Static files never reach it; the API (namespace "api") answers such a session
    itself, with a 403 (core.api.SessionAuthentication)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        match = request.resolver_match
        if match.namespace == "api" or match.view_name in OPEN_PAGES:
            return None
        step = two_factor.pending_step(request)
        if step is None or match.view_name == STEP_PAGES[step]:
            return None
        if request.htmx:  # a fragment's request: send the whole page there, then back to it
            back = request.htmx.current_url_abs_path or "/"
            return HttpResponseClientRedirect(_step_url(step, back))
        return redirect(_step_url(step, request.get_full_path()))


def _step_url(step: two_factor.Step, back: str) -> str:
    return f"{reverse(STEP_PAGES[step])}?{urlencode({'next': back})}"
