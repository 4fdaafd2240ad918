"""A small local API the reports page calls with the user's access token.

It stands for your real API (a separate service, usually): ``token_required``
accepts only a bearer access token Auth0 issued for
``SOCIAL_AUTH_AUTH0_API_AUDIENCE``, verified with the tenant's keys, and
answers RFC 6750 errors otherwise (docs/api.rst).
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.http import require_GET

from social_auth0.resource import token_required


@require_GET
@token_required
def reports(request: HttpRequest) -> HttpResponse:
    """``GET /api/reports/`` with ``Authorization: Bearer <access token>``."""
    claims = request.auth0_claims  # type: ignore[attr-defined]
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
