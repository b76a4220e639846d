from django.contrib.auth import views as auth_views
from django.shortcuts import render

from ipregistry import permissions as registry_permissions


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
