"""Django REST framework classes for APIs protected by Auth0 access tokens.

::

    class ReportViewSet(viewsets.ModelViewSet):
        authentication_classes = [Auth0TokenAuthentication]
        permission_classes = [TokenHasScope]
        required_scopes = ["read:reports"]

Needs the ``drf`` extra (``pip install social-auth0[drf]``). Verification is
``social_auth0.resource``'s: the same settings, keys and RFC 6750 errors, in
DRF's JSON shape.
"""

from __future__ import annotations

from typing import Any, cast

try:
    from rest_framework import exceptions
    from rest_framework.authentication import BaseAuthentication
    from rest_framework.permissions import BasePermission
    from rest_framework.request import Request
except ImportError as error:  # pragma: no cover - exercised in a subprocess test
    raise ImportError(
        "social_auth0.contrib.drf needs Django REST framework: "
        "pip install 'social-auth0[drf]'"
    ) from error

from django.core.exceptions import ImproperlyConfigured

from ..resource import (
    NO_TOKEN,
    RETRY_AFTER,
    Auth0Principal,
    BearerError,
    api_verifier,
    authenticate,
    challenge,
    check_scopes,
)

# The error of this request's authentication, for authenticate_header().
_ERROR_ATTRIBUTE = "_social_auth0_bearer_error"


class _InvalidRequest(exceptions.APIException):
    """RFC 6750 ``invalid_request``: a 400 with a Bearer challenge."""

    status_code = 400
    default_code = "invalid_request"
    auth_header: str | None = None  # DRF's exception handler sends it


class _InsufficientScope(exceptions.PermissionDenied):
    """RFC 6750 ``insufficient_scope``: a 403 with a Bearer challenge."""

    default_code = "insufficient_scope"
    auth_header: str | None = None


class _TokenUnavailable(exceptions.APIException):
    """The tenant's keys cannot be fetched right now: 503, retry later."""

    status_code = 503
    default_code = "temporarily_unavailable"
    wait = RETRY_AFTER  # DRF's exception handler sends it as Retry-After


def _raise_for(error: BearerError, request: Request) -> None:
    if error.nonce:
        _send_nonce(request, error.nonce)
    if error.status == 400:
        invalid = _InvalidRequest(error.description)
        invalid.auth_header = challenge(error, request._request)
        raise invalid
    if error.status == 503:
        raise _TokenUnavailable(error.description)
    # 401: DRF asks authenticate_header() for the challenge.
    raise exceptions.AuthenticationFailed(error.description, code=error.error)


def _send_nonce(request: Request, nonce: str) -> None:
    """Add ``DPoP-Nonce`` to the response: DRF's exception handler sends only
    ``WWW-Authenticate``, but ``finalize_response`` copies the view's
    ``headers`` onto every response, an error's too."""
    view = (getattr(request, "parser_context", None) or {}).get("view")
    headers = getattr(view, "headers", None)
    if isinstance(headers, dict):
        headers["DPoP-Nonce"] = nonce


class Auth0TokenAuthentication(BaseAuthentication):
    """``Authorization: Bearer <Auth0 access token>``, or ``DPoP <token>``
    with a ``DPoP`` proof (``API_DPOP``).

    ``request.user`` is the caller (an ``Auth0Principal``, or the linked
    Django user with ``API_LINKED_USER``); ``request.auth`` the verified claims.
    No Authorization header lets the next authentication class try.
    """

    #: Marks the class for social_auth0's system checks.
    social_auth0_token_authentication = True

    def authenticate(self, request: Request) -> tuple[Any, dict[str, Any]] | None:
        """Verify the bearer token, or return None when none was sent."""
        try:
            caller, claims = authenticate(request._request)
        except BearerError as error:
            if error.no_token:
                return None
            setattr(request, _ERROR_ATTRIBUTE, error)
            _raise_for(error, request)
            raise  # unreachable: _raise_for always raises
        django_request: Any = request._request  # typed or not, as DRF is installed
        django_request.auth0_claims = claims
        return caller, claims

    def authenticate_header(self, request: Request) -> str:
        """The ``WWW-Authenticate`` challenge of a 401 (RFC 6750 section 3)."""
        error: BearerError = getattr(request, _ERROR_ATTRIBUTE, NO_TOKEN)
        return challenge(error, request._request)


class TokenHasScope(BasePermission):
    """The access token grants every scope of the view's ``required_scopes``.

    A request not authenticated by ``Auth0TokenAuthentication`` is refused;
    a missing scope is a 403 ``insufficient_scope`` naming the scopes needed.
    """

    def has_permission(self, request: Request, view: Any) -> bool:
        """Check ``view.required_scopes`` against the token's granted scopes."""
        required = getattr(view, "required_scopes", None)
        if required is None:
            raise ImproperlyConfigured(
                "TokenHasScope needs a required_scopes list on the view"
            )
        if not isinstance(request.successful_authenticator, Auth0TokenAuthentication):
            return False
        caller, claims = request.user, request.auth
        granted = (
            caller.scopes
            if isinstance(caller, Auth0Principal)
            else api_verifier(request._request).granted_scopes(
                cast("dict[str, Any]", claims)
            )
        )
        try:
            check_scopes(
                granted,
                [required] if isinstance(required, str) else required,
                cast("dict[str, Any]", claims),
            )
        except BearerError as error:
            exception = _InsufficientScope(error.description)
            exception.auth_header = challenge(error, request._request)
            raise exception from None
        return True


__all__ = ["Auth0TokenAuthentication", "TokenHasScope"]
