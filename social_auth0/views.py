"""Views: a GET login page that starts social_django's POST-only login."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import REDIRECT_FIELD_NAME
from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.clickjacking import xframe_options_deny
from django.views.decorators.http import require_GET
from social_django.utils import apply_framing_protection, check_fetch_metadata

from .backend import Auth0OAuth2


def safe_next_url(request: HttpRequest) -> str | None:
    """The request's ``next`` if it stays on this site, else None."""
    url = request.GET.get(REDIRECT_FIELD_NAME)
    if url and url_has_allowed_host_and_scheme(
        url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return url
    return None


@never_cache
@login_not_required
@require_GET
@xframe_options_deny
def login(request: HttpRequest) -> HttpResponse:
    """Render the CSRF-protected POST form that starts an Auth0 login.

    social-auth-app-django 8 made ``/login/auth0/`` POST-only, so ``LOGIN_URL``
    points here (``social_auth0:login``). The form submits itself only on a
    top-level navigation (Fetch Metadata); framed or scripted requests get a
    button instead.
    """
    namespace = getattr(settings, "SOCIAL_AUTH_URL_NAMESPACE", None) or "social"
    next_url = safe_next_url(request)
    auto_submit, _ = check_fetch_metadata(request, "social_auth0.login")
    response = render(
        request,
        "social_auth0/login.html",
        {
            "action_url": reverse(f"{namespace}:begin", args=[Auth0OAuth2.name]),
            "next_url": next_url,
            "redirect_field_name": REDIRECT_FIELD_NAME,
            "auto_submit": auto_submit and not request.user.is_authenticated,
        },
    )
    return apply_framing_protection(response)
