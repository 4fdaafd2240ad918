"""Index, dashboard and login-error pages of the example."""

from __future__ import annotations

import json

import requests
from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from social_core.exceptions import AuthProviderError

from social_auth0.access import BearerAuth, ReauthenticationRequired
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


@login_required
def reports(request: HttpRequest) -> HttpResponse:
    """Call the API (home/api.py) as the user, with an always-fresh access token."""
    if not settings.SOCIAL_AUTH_AUTH0_AUDIENCE:
        return render(request, "home/reports.html", {"no_api": True})
    try:
        answer = requests.get(
            request.build_absolute_uri(reverse("api_reports")),
            auth=BearerAuth(request),  # refreshed first if it expires within 60 s
            timeout=5,
        )
    except ReauthenticationRequired:  # no tokens, or Auth0 refused the refresh
        return redirect_to_login(request.get_full_path(), settings.LOGIN_URL)
    except AuthProviderError:  # Auth0 unreachable or failing: try again later
        return render(request, "home/reports.html", {"unavailable": True}, status=503)
    return render(
        request,
        "home/reports.html",
        {
            "status": answer.status_code,
            "answer_pretty": json.dumps(answer.json(), indent=2, sort_keys=True),
        },
    )
