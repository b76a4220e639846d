"""What a user sees when something fails: never a trace, a query or a path."""

import sys

from django.db import InterfaceError, OperationalError
from django.http import HttpResponse, JsonResponse
from django.template import loader


def server_error(request):
    """500, or 503 when the database cannot be reached.

    Django calls this while handling the uncaught exception, so sys.exc_info() names it. API
    clients get JSON, browsers a page of its own that needs no database (no user, no session).
    """
    error = sys.exc_info()[1]
    unavailable = isinstance(error, (OperationalError, InterfaceError))
    status = 503 if unavailable else 500
    if request.path.startswith("/api/"):
        detail = ("The database cannot be reached; try again in a minute." if unavailable
                  else "Something went wrong on our side; it has been logged.")
        response = JsonResponse({"detail": detail}, status=status)
    else:
        response = HttpResponse(loader.render_to_string(f"{status}.html"), status=status)
    if unavailable:
        response["Retry-After"] = "60"
    return response
