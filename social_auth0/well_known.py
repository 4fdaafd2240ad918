"""The API's OAuth 2.0 Protected Resource Metadata (RFC 9728), at the site's
root: ``path("", include("social_auth0.well_known"))``.

Serves ``/.well-known/oauth-protected-resource`` and the path-inserted form
(``/.well-known/oauth-protected-resource/mcp`` for ``https://host/mcp``,
section 3.1) of each ``API_AUDIENCE`` identifier, when
``SOCIAL_AUTH_AUTH0_API_RESOURCE_METADATA`` is True; 404 otherwise. Built
from the settings: no database, no network.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, JsonResponse
from django.urls import path
from django.views.decorators.http import require_safe

from . import resource_metadata
from .jwt import dpop
from .resource import api_verifier

# Clients may cache it; an hour keeps a changed setting from lingering long.
CACHE_CONTROL = "public, max-age=3600"


@require_safe
def protected_resource_metadata(
    request: HttpRequest, resource_path: str = ""
) -> JsonResponse:
    """The metadata of the resource whose metadata URL this is (404 if none)."""
    suffix = "/" + resource_path if resource_path else ""
    if not resource_metadata.enabled(request):
        return JsonResponse({"error": "not_found"}, status=404)
    resource = resource_metadata.resource_at(request, suffix)
    if resource is None:
        return JsonResponse({"error": "not_found"}, status=404)
    response = JsonResponse(_metadata(request, resource))
    response["Cache-Control"] = CACHE_CONTROL
    return response


def _metadata(request: HttpRequest, resource: str) -> dict[str, Any]:
    """Section 2's members: the resource, its authorization server (the
    tenant's issuer), how tokens are sent, DPoP's algorithms and whether
    bound tokens are required (unless ``API_DPOP`` is ``"disabled"``) and,
    when set, its scopes."""
    verifier = api_verifier(request)
    body: dict[str, Any] = {
        "resource": resource,
        # Every custom domain of the tenant issues tokens the API accepts.
        "authorization_servers": list(verifier.issuer_keys.by_issuer),
        "bearer_methods_supported": ["header"],
    }
    if verifier.dpop_mode != "disabled":
        body["dpop_signing_alg_values_supported"] = list(dpop.ALGORITHMS)
        body["dpop_bound_access_tokens_required"] = verifier.dpop_mode == "required"
    scopes = resource_metadata.scopes_supported(request)
    if scopes is not None:
        body["scopes_supported"] = scopes
    return body


urlpatterns = [
    path(
        ".well-known/oauth-protected-resource",
        protected_resource_metadata,
        name="oauth_protected_resource",
    ),
    path(
        ".well-known/oauth-protected-resource/<path:resource_path>",
        protected_resource_metadata,
        name="oauth_protected_resource_path",
    ),
]
