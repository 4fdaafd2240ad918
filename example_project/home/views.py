"""Index, dashboard and login-error pages of the example."""

from __future__ import annotations

import json

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from social_auth0.decorators import mfa_required
from social_auth0.organizations import current_organization


def index(request: HttpRequest) -> HttpResponse:
    """The home page: a "Log in" form (a POST, as social-auth-app-django 8 wants)."""
    return render(request, "home/index.html")


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    """Who is logged in: name, picture, email, roles and the verified claims."""
    claims = request.session.get("auth0_claims", {})
    social = request.user.social_auth.filter(provider="auth0").first()
    roles = claims.get(settings.AUTH0_ROLES_CLAIM, [])
    return render(
        request,
        "home/dashboard.html",
        {
            "picture": social.extra_data.get("picture") if social else None,
            "roles": roles if isinstance(roles, list) else [roles],
            "claims_pretty": json.dumps(claims, indent=2, sort_keys=True),
            "organization": current_organization(request),
        },
    )


@mfa_required
def security(request: HttpRequest) -> HttpResponse:
    """A sensitive page: only after MFA (a step-up through Auth0 if needed)."""
    return render(request, "home/security.html")


def login_error(request: HttpRequest) -> HttpResponse:
    """Where a rejected login lands, with social-core's message."""
    return render(request, "home/login_error.html")
