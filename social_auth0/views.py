"""Views: the login page that starts social_django's POST-only login, and
logout in both directions (RP-initiated, and Auth0's back-channel logout)."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any, cast

from django.conf import settings
from django.contrib.auth import REDIRECT_FIELD_NAME
from django.contrib.auth import logout as auth_logout
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import SuspiciousOperation
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.http.multipartparser import MultiPartParserError
from django.shortcuts import render, resolve_url
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.clickjacking import xframe_options_deny
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from social_core.exceptions import SocialAuthBaseException
from social_django import views as social_views
from social_django.utils import (
    apply_framing_protection,
    check_fetch_metadata,
)

from . import conf
from .backend import Auth0OAuth2, backend_for
from .errors import log_rejection
from .login.params import allowed_names, forwarded_params
from .sessions import SESSION_KEY, end_sessions
from .signals import backchannel_logout as backchannel_logout_sent

logger = logging.getLogger(__name__)

# Session key for a same-site `next` carried across Auth0's logout.
_LOGOUT_NEXT_KEY = "_social_auth0_logout_next"
# Sec-Fetch-Site values (and absent) for which the login page submits itself.
_AUTO_SUBMIT_SITES = frozenset({None, "same-origin", "same-site", "none"})


def _safe_next_url(
    request: HttpRequest, data: Mapping[str, Any] | None = None
) -> str | None:
    """The request's ``next`` (from ``data``, default the query) if it stays on
    this site, else None."""
    url = (request.GET if data is None else data).get(REDIRECT_FIELD_NAME)
    if url and url_has_allowed_host_and_scheme(
        url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return url
    return None


def _is_top_level_navigation(request: HttpRequest) -> bool:
    """Whether Fetch Metadata allows a top-level navigation from this site or
    the user (or is absent).

    ``Sec-Fetch-Dest`` must be ``document``, ``Sec-Fetch-Mode`` ``navigate`` and
    ``Sec-Fetch-Site`` ``same-origin``, ``same-site`` or ``none`` (the address
    bar, a bookmark) when sent. A ``cross-site`` navigation gets the button:
    otherwise any site could link here and silently log a user with a live
    Auth0 session back in. social_django's ``check_fetch_metadata`` tests the
    mode against destination names (``iframe``, ``frame``, ``embed``), so on
    its own it lets a ``Sec-Fetch-Mode: cors`` request through; it still logs
    what it sees.
    """
    auto_submit, _ = check_fetch_metadata(request, "social_auth0.login")
    mode = request.headers.get("Sec-Fetch-Mode")
    site = request.headers.get("Sec-Fetch-Site")
    return auto_submit and mode in (None, "navigate") and site in _AUTO_SUBMIT_SITES


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
    next_url = _safe_next_url(request)
    # Allow-listed parameters (sign-up links, invitations) ride along in the
    # form; the login start checks them again (it can be posted to directly).
    login_params = forwarded_params(
        request.GET,
        allowed_names(conf.setting("REQUEST_PARAMS", request=request)),
    )
    auto_submit = _is_top_level_navigation(request)
    response = render(
        request,
        "social_auth0/login.html",
        {
            "action_url": reverse(f"{namespace}:begin", args=[Auth0OAuth2.name]),
            "next_url": next_url,
            "redirect_field_name": REDIRECT_FIELD_NAME,
            "login_params": login_params,
            "auto_submit": auto_submit and not request.user.is_authenticated,
        },
    )
    return apply_framing_protection(response)


@never_cache
@login_not_required
@require_GET
def home(request: HttpRequest) -> HttpResponse:
    """A starting page: who is logged in, a log-in or log-out button, and the
    messages (a rejected login's among them). Keep it, or route ``/`` to your
    own view; override ``social_auth0/home.html`` to restyle it."""
    return render(request, "social_auth0/home.html")


def logout_return_url(request: HttpRequest, backend: Auth0OAuth2[Any]) -> str:
    """Where Auth0 sends the browser back: fixed, absolute, an Allowed Logout URL.

    ``SOCIAL_AUTH_AUTH0_LOGOUT_REDIRECT_URL`` (a URL or URL name), else Django's
    ``LOGOUT_REDIRECT_URL`` (social-core's lookup falls back to it), else "/".
    """
    return request.build_absolute_uri(backend.setting("LOGOUT_REDIRECT_URL") or "/")


@never_cache
@login_not_required
@csrf_protect
@xframe_options_deny
@require_http_methods(["GET", "POST"])
def logout(request: HttpRequest) -> HttpResponse:
    """End the Django session, then Auth0's (RP-initiated logout).

    GET shows a confirmation form: a link or a prefetch never logs anyone out.
    POST (CSRF-protected) reads the Auth0 session id, logs out through
    ``django.contrib.auth.logout`` (so ``user_logged_out`` fires), then sends
    the browser to Auth0's logout endpoint. A same-site ``next`` is kept in the
    new anonymous session for ``logout_return``; an off-site one is dropped.
    """
    next_url = _safe_next_url(
        request, request.POST if request.method == "POST" else None
    )
    if request.method == "GET":
        return render(
            request,
            "social_auth0/logout.html",
            {"next_url": next_url, "redirect_field_name": REDIRECT_FIELD_NAME},
        )
    login = request.session.get(SESSION_KEY)
    sid = login.get("sid") if isinstance(login, dict) else None
    # The custom domain the login used: Auth0's session is that domain's.
    issuer = login.get("iss") if isinstance(login, dict) else None
    backend = backend_for(request)
    auth_logout(request)
    if next_url:
        request.session[_LOGOUT_NEXT_KEY] = next_url
    return HttpResponseRedirect(
        backend.logout_url(logout_return_url(request, backend), sid=sid, issuer=issuer)
    )


@never_cache
@login_not_required
@require_GET
def logout_return(request: HttpRequest) -> HttpResponse:
    """Auth0 returns here after logout: go to the saved ``next``, else
    ``LOGOUT_REDIRECT_URL``. Register this URL as an Allowed Logout URL and set
    ``SOCIAL_AUTH_AUTH0_LOGOUT_REDIRECT_URL = "social_auth0:logout_return"``."""
    next_url = request.session.pop(_LOGOUT_NEXT_KEY, None)
    if not next_url or not url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        next_url = resolve_url(settings.LOGOUT_REDIRECT_URL or "/")
    return HttpResponseRedirect(next_url)


def _backchannel_answer(
    status: int, body: dict[str, str] | None = None
) -> HttpResponse:
    response: HttpResponse = (
        JsonResponse(body, status=status) if body else HttpResponse(status=status)
    )
    response["Cache-Control"] = "no-store"  # OIDC Back-Channel Logout 1.0, 2.8
    return response


def _invalid_logout_token() -> HttpResponse:
    return _backchannel_answer(
        400, {"error": "invalid_request", "error_description": "invalid logout token"}
    )


@csrf_exempt  # Auth0 posts here server to server, without our cookies
@login_not_required
@require_POST
def backchannel_logout(request: HttpRequest) -> HttpResponse:
    """OIDC Back-Channel Logout: Auth0 POSTs a ``logout_token``; end its sessions.

    The token is verified like an ID token (same keys, RS256) with the logout
    token's own rules, and a replayed ``jti`` is refused. 200 on success, 400
    with an error body otherwise (whatever arrives: an unreadable body, a
    token too large or too deeply nested to parse); never cached.
    """
    try:
        token = request.POST.get("logout_token")
    except (SuspiciousOperation, MultiPartParserError) as error:
        # A body over DATA_UPLOAD_MAX_MEMORY_SIZE, too many fields, a broken
        # multipart body: Django would answer 400 itself, but log it at ERROR.
        logger.warning(
            "Auth0 back-channel logout rejected: unreadable body (%s)",
            type(error).__name__,
        )
        return _invalid_logout_token()
    backend = backend_for(request)  # reads request.POST too
    try:
        claims = backend.verify_logout_token(token)
    except SocialAuthBaseException as error:
        log_rejection(error, "back-channel logout")
        return _invalid_logout_token()
    ended = end_sessions(
        issuer=claims["iss"],
        sid=claims.get("sid"),
        sub=claims.get("sub"),
        backend_name=backend.name,
    )
    backchannel_logout_sent.send(
        sender=type(backend),
        backend=backend,
        issuer=claims["iss"],
        sid=claims.get("sid"),
        sub=claims.get("sub"),
    )
    logger.info("Back-channel logout ended %d session(s)", ended)
    return _backchannel_answer(200)


@login_not_required
def begin(request: HttpRequest, backend: str) -> HttpResponse:
    """``/login/<backend>/``: social_django's POST-only view that starts a login,
    and for a GET of ``/login/auth0`` (the older quickstarts' links and
    ``LOGIN_URL``) the login page instead of an empty 405 (``social_urls``)."""
    if request.method == "GET" and backend == Auth0OAuth2.name:
        return login(request)
    return cast("HttpResponse", social_views.auth(request, backend))


__all__ = ["backchannel_logout", "begin", "home", "login", "logout", "logout_return"]
