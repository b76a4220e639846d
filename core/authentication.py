"""API authentication, kept apart from core.api so DRF settings can import it early."""

import binascii
from hmac import compare_digest

from django.utils import timezone
from knox import auth
from knox.crypto import hash_token
from knox.models import AuthToken
from knox.settings import CONSTANTS
from rest_framework import authentication
from rest_framework.exceptions import AuthenticationFailed, PermissionDenied

from core import two_factor


class TokenAuthentication(auth.TokenAuthentication):
    """`Authorization: Token <key>`, with django-rest-knox's tokens (stored as hashes, each
    with its expiry), found in one query. An expired token is refused as such; it is cleared
    at its user's next token login rather than on every request."""

    def authenticate_credentials(self, token: bytes):
        try:
            key = token.decode()
            digest = hash_token(key)
        except (UnicodeDecodeError, TypeError, binascii.Error) as exc:
            raise AuthenticationFailed("Invalid token.") from exc
        candidates = AuthToken.objects.filter(
            token_key=key[:CONSTANTS.TOKEN_KEY_LENGTH]).select_related("user")
        for auth_token in candidates:
            if compare_digest(digest, auth_token.digest):
                if auth_token.expiry is not None and auth_token.expiry <= timezone.now():
                    raise AuthenticationFailed("Token has expired: log in again for a new one.")
                return self.validate_user(auth_token)
        raise AuthenticationFailed("Invalid token.")


class SessionAuthentication(authentication.SessionAuthentication):
    """Django's session, once it has passed two-factor authentication where its user needs it
    (the pages' rule, core.middleware); otherwise a 403 naming the step it owes."""

    def authenticate(self, request):
        result = super().authenticate(request)
        if result is not None:
            step = two_factor.pending_step(request._request)
            if step is not None:
                raise PermissionDenied(two_factor.STEP_MESSAGES[step])
        return result
