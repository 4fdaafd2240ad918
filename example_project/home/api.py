"""A small local API the reports page calls with the user's access token.

It stands for your real API (a separate service, usually): it accepts only a
bearer access token Auth0 issued for ``SOCIAL_AUTH_AUTH0_AUDIENCE``, verified
with the tenant's keys, and answers RFC 6750 errors otherwise.
"""

from __future__ import annotations

from typing import Any, cast

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.http import require_GET
from social_core.exceptions import SocialAuthBaseException
from social_django.utils import load_backend, load_strategy

from social_auth0.backend import Auth0OAuth2
from social_auth0.jwt.claims import verify_access_token


def _unauthorized(error: str | None = None) -> HttpResponse:
    challenge = 'Bearer realm="example-api"'
    if error:
        challenge += f', error="{error}"'
    response = JsonResponse({"error": error or "unauthorized"}, status=401)
    response["WWW-Authenticate"] = challenge
    return response


def _verified_claims(token: str) -> dict[str, Any]:
    backend = cast(
        "Auth0OAuth2[Any]", load_backend(load_strategy(), Auth0OAuth2.name, None)
    )
    return verify_access_token(
        backend,
        token,
        backend.tenant_keys().lookup,
        issuer=backend.id_token_issuer(),
        client_id=backend.client_id(),
        audience=settings.SOCIAL_AUTH_AUTH0_AUDIENCE,
        leeway=backend.leeway(),
    )


@require_GET
def reports(request: HttpRequest) -> HttpResponse:
    """``GET /api/reports/`` with ``Authorization: Bearer <access token>``."""
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token:
        return _unauthorized()
    try:
        claims = _verified_claims(token)
    except SocialAuthBaseException:
        return _unauthorized("invalid_token")
    return JsonResponse(
        {
            "sub": claims["sub"],
            "scope": claims.get("scope", ""),
            "reports": [
                {"title": "Quarterly figures", "status": "ready"},
                {"title": "Annual review", "status": "draft"},
            ],
        }
    )
