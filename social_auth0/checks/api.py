"""System checks for the API protection of ``resource.py`` and ``contrib.drf``
(ids social_auth0.E060-E069, W060-W069).

Whether the site protects an API is read from its URLconf, the way Django's
own URL checks read it: a routed view carrying ``token_required``'s marker, or
a DRF view whose authentication classes include ``Auth0TokenAuthentication``,
plus ``REST_FRAMEWORK["DEFAULT_AUTHENTICATION_CLASSES"]`` naming it. A
registry filled at decoration time would depend on which modules happened to
be imported before the checks ran; the URLconf is what serves requests.
``apps.py`` registers ``CHECKS``.
"""

from __future__ import annotations

import importlib.util
import re
from typing import Any

from django.conf import settings
from django.core import checks

from .. import conf
from ..resource import MARKER, SCOPE_CLAIMS
from .lookup import resolve_setting, routed_views

DRF_CLASS = "social_auth0.contrib.drf.Auth0TokenAuthentication"
DRF_MARKER = "social_auth0_token_authentication"
# Auth0 client ids: 32 letters and digits. API identifiers are usually URLs.
CLIENT_ID_SHAPE = re.compile(r"[A-Za-z0-9]{32}")


def _drf_default_names_us() -> bool:
    config = getattr(settings, "REST_FRAMEWORK", None)
    classes = config.get("DEFAULT_AUTHENTICATION_CLASSES", ()) if config else ()
    return any(
        isinstance(path, str) and path.startswith("social_auth0.contrib.drf")
        for path in classes
    )


def _is_protected(callback: Any) -> bool:
    if hasattr(callback, MARKER):
        return True
    view_class = getattr(callback, "cls", None) or getattr(callback, "view_class", None)
    classes = getattr(view_class, "authentication_classes", None) or ()
    return any(getattr(cls, DRF_MARKER, False) for cls in classes)


def api_protection_used() -> bool:
    """Whether a routed view (or DRF's defaults) relies on Auth0 access tokens."""
    if _drf_default_names_us():
        return True
    return any(_is_protected(callback) for callback in routed_views())


def check_api_audience(**kwargs: Any) -> list[checks.CheckMessage]:
    """API_AUDIENCE is set when the API is protected, and names APIs."""
    value, name = resolve_setting("API_AUDIENCE")
    if value is None:
        if not api_protection_used():
            return []
        return [
            checks.Error(
                f"{name} is not set, but views are protected with token_required "
                "or Auth0TokenAuthentication.",
                hint="Set it to the API identifier (Applications > APIs in "
                "Auth0), e.g. 'https://api.example.com/', or a list of them.",
                id="social_auth0.E060",
            )
        ]
    audiences = [value] if isinstance(value, str) else value
    if (
        not isinstance(audiences, list | tuple)
        or not audiences
        or not all(isinstance(item, str) and item.strip() for item in audiences)
    ):
        return [
            checks.Error(
                f"{name} must be a non-empty string or a list of them, not {value!r}.",
                id="social_auth0.E061",
            )
        ]
    return _audience_is_not_a_client(list(audiences), name)


def _audience_is_not_a_client(audiences: list[str], name: str) -> list[Any]:
    client_id, _ = resolve_setting("KEY")
    if client_id in audiences:
        return [
            checks.Error(
                f"{name} contains SOCIAL_AUTH_AUTH0_KEY, the client id.",
                hint="Tokens for the client id are ID tokens; an API's access "
                "tokens name its identifier (Applications > APIs in Auth0).",
                id="social_auth0.E062",
            )
        ]
    return [
        checks.Warning(
            f"{name} value {audience!r} looks like an application's client id.",
            hint="Use the API identifier (Applications > APIs in Auth0), "
            "usually a URL such as 'https://api.example.com/'.",
            id="social_auth0.W060",
        )
        for audience in audiences
        if CLIENT_ID_SHAPE.fullmatch(audience)
    ]


def check_api_options(**kwargs: Any) -> list[checks.CheckMessage]:
    """API_SCOPES_CLAIM, API_LINKED_USER and API_ORGANIZATION_RULES have
    usable values."""
    errors: list[checks.CheckMessage] = []
    scopes_claim, name = resolve_setting("API_SCOPES_CLAIM")
    if scopes_claim is not None and scopes_claim not in SCOPE_CLAIMS:
        errors.append(
            checks.Error(
                f"{name} must be one of {', '.join(map(repr, SCOPE_CLAIMS))}, "
                f"not {scopes_claim!r}.",
                id="social_auth0.E063",
            )
        )
    linked, name = resolve_setting("API_LINKED_USER")
    if linked is not None and not isinstance(linked, bool):
        errors.append(
            checks.Error(f"{name} must be True or False.", id="social_auth0.E064")
        )
    errors.extend(_organization_rules_option())
    errors.extend(_dpop_options())
    return errors


def _dpop_options() -> list[checks.CheckMessage]:
    """API_DPOP names a mode and API_DPOP_NONCE is a boolean (the runtime's
    validators)."""
    errors: list[checks.CheckMessage] = []
    mode, name = resolve_setting("API_DPOP")
    try:
        conf.dpop_mode(mode)
    except ValueError as error:
        errors.append(
            checks.Error(
                f"{name} {error}, not {mode!r}.",
                hint="'allowed' (the default) takes DPoP-bound and bearer tokens, "
                "'required' only DPoP-bound ones, 'disabled' only bearer ones.",
                id="social_auth0.E067",
            )
        )
    nonce, name = resolve_setting("API_DPOP_NONCE")
    try:
        conf.flag(conf.API_DPOP_NONCE if nonce is None else nonce)
    except ValueError as error:
        errors.append(
            checks.Error(f"{name} {error}, not {nonce!r}.", id="social_auth0.E068")
        )
    return errors


def _organization_rules_option() -> list[checks.CheckMessage]:
    value, name = resolve_setting("API_ORGANIZATION_RULES")
    try:
        conf.flag(conf.API_ORGANIZATION_RULES if value is None else value)
    except ValueError as error:
        return [
            checks.Error(
                f"{name} {error}, not {value!r}.",
                hint="True (the default) applies ORGANIZATION, "
                "ALLOWED_ORGANIZATIONS and ORGANIZATION_REQUIRED to access "
                "tokens; False accepts tokens of any organization or none.",
                id="social_auth0.E066",
            )
        ]
    return []


def check_drf_installed(**kwargs: Any) -> list[checks.CheckMessage]:
    """``contrib.drf`` in REST_FRAMEWORK settings needs DRF installed."""
    if not _drf_default_names_us() or importlib.util.find_spec("rest_framework"):
        return []
    return [
        checks.Error(
            f"REST_FRAMEWORK names {DRF_CLASS}, but Django REST framework is "
            "not installed.",
            hint="pip install 'social-auth0[drf]'",
            id="social_auth0.E065",
        )
    ]


# Registered by apps.py, in this order.
CHECKS = (check_api_audience, check_api_options, check_drf_installed)
