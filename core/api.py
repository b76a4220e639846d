"""API plumbing shared by every app: error format, token login and revocation."""

from django.contrib.auth import authenticate
from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular import authentication as schema_authentication
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.plumbing import build_bearer_security_scheme_object
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.exceptions import ValidationError
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework.views import exception_handler as drf_exception_handler

from core import services, two_factor
from core.authentication import TokenAuthentication
from core.throttling import TokenLoginThrottle


def exception_handler(exc, context):
    """Turn model validation errors raised by services into 400 answers keyed by field."""
    if isinstance(exc, DjangoValidationError):
        if hasattr(exc, "error_dict"):
            detail = exc.message_dict
        else:
            detail = {"non_field_errors": exc.messages}
        exc = ValidationError(detail)
    return drf_exception_handler(exc, context)


class TokenLoginSerializer(serializers.Serializer):
    username = serializers.CharField()
    password = serializers.CharField(trim_whitespace=False, style={"input_type": "password"})
    otp = serializers.CharField(
        required=False, allow_blank=True, max_length=8,
        help_text="A current code from the user's authenticator app; required for users with "
                  "two-factor authentication.")


class TokenLoginView(APIView):
    """Exchange a user name and password, and a current code for users with two-factor
    authentication, for an API token that expires after API_TOKEN_TTL_HOURS."""

    authentication_classes = []
    permission_classes = [AllowAny]
    throttle_classes = [TokenLoginThrottle]

    @extend_schema(
        request=TokenLoginSerializer,
        responses=inline_serializer("TokenResponse", {
            "token": serializers.CharField(), "expiry": serializers.DateTimeField()}),
    )
    def post(self, request):
        serializer = TokenLoginSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        credentials = serializer.validated_data
        user = authenticate(request=request, username=credentials["username"],
                            password=credentials["password"])
        if user is None:
            raise ValidationError(
                {"non_field_errors": ["Unable to log in with provided credentials."]})
        self._check_second_factor(request, user, credentials.get("otp", ""))
        token, key = services.api_token_create(user=user)
        return Response({"token": key, "expiry": token.expiry})

    @staticmethod
    def _check_second_factor(request, user, code: str) -> None:
        device = two_factor.device_for(user)
        if device is None:
            if two_factor.is_required(user):
                raise ValidationError({"otp": [two_factor.STEP_MESSAGES[two_factor.Step.SETUP]]})
            return
        if not code:
            raise ValidationError(
                {"otp": ["This account uses two-factor authentication: send a current code "
                         "from its authenticator app as `otp`."]})
        refusal = two_factor.refusal(device=device, code=code, request=request)
        if refusal:
            raise ValidationError({"otp": [refusal]})


class TokenRevokeView(APIView):
    """Revoke the token that authenticates this call."""

    authentication_classes = [TokenAuthentication]

    @extend_schema(request=None, responses={204: None})
    def post(self, request):
        services.api_token_revoke(actor=request.user, token=request.auth)
        return Response(status=status.HTTP_204_NO_CONTENT)


class TokenRevokeAllView(APIView):
    """Revoke every API token of the calling user."""

    @extend_schema(request=None, responses=inline_serializer(
        "TokenRevokeAllResponse", {"revoked": serializers.IntegerField()}))
    def post(self, request):
        return Response({"revoked": services.api_token_revoke_all(actor=request.user,
                                                                  user=request.user)})


class TokenScheme(OpenApiAuthenticationExtension):
    target_class = "core.authentication.TokenAuthentication"
    name = "tokenAuth"

    def get_security_definition(self, auto_schema):
        return build_bearer_security_scheme_object(header_name="Authorization",
                                                   token_prefix="Token")


class SessionScheme(schema_authentication.SessionScheme):
    target_class = "core.authentication.SessionAuthentication"
