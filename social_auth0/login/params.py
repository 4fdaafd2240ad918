"""Which request parameters a login may forward to ``/authorize``, and their values.

A site lists the names in ``SOCIAL_AUTH_AUTH0_REQUEST_PARAMS``; each name has
its own value rule here (length and characters), and a value that fails it is
dropped with a log line. The names that make up the OAuth/OIDC request itself
(``NEVER_FORWARDED``) are never taken from a request, whatever the setting
says: a system check refuses them (``social_auth0.E080``).

This module is pure: no Django, no backend.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping

logger = logging.getLogger("social_auth0")

# Forwarded unless the site says otherwise (organization and invitation are
# still checked against the organization settings, see organizations.py).
DEFAULT_REQUEST_PARAMS = (
    "screen_hint",
    "login_hint",
    "ui_locales",
    "max_age",
    "organization",
    "invitation",
)
# Known, but only forwarded when listed: `connection` skips the site's choice
# of login methods, `prompt=none` turns a login into a silent check, and a
# `session_transfer_token` (Auth0's native-to-web SSO) logs the browser in as
# whoever the token was issued to: a link carrying one of the sender's own
# would log a visitor into the sender's account, so a site opts in.
OPT_IN_PARAMS = ("connection", "prompt", "session_transfer_token")
# The authorization request itself: forwarding any of these from a request
# would let a link redirect the code elsewhere, widen the scope, get a token
# for another API, or defeat state/nonce/PKCE.
NEVER_FORWARDED = frozenset(
    {
        "redirect_uri",
        "client_id",
        "response_type",
        "response_mode",
        "scope",
        "state",
        "nonce",
        "code_challenge",
        "code_challenge_method",
        "audience",
        "request",
        "request_uri",
        "client_secret",
        "acr_values",  # step-up sets it (decorators.py), never a request
    }
)
MAX_AGE_LIMIT = 10 * 365 * 86400  # seconds; anything larger is a typo or a probe

# social-core un-percent-encodes the whole /authorize query when REDIRECT_STATE
# is False (ours is: Auth0 matches callback URLs exactly), so a value's "&",
# "#", "=" or "%" would reach Auth0 raw and add parameters or a fragment
# ("a&prompt=none"), and "+" would arrive as a space. Such hints are dropped.
_HINT_FORBIDDEN = re.compile(r"[\x00-\x1f\x7f&#%+=;]")
_LOCALE_TAG = r"[A-Za-z]{1,8}(?:-[A-Za-z0-9]{1,8}){0,4}"
_UI_LOCALES = re.compile(rf"{_LOCALE_TAG}(?: {_LOCALE_TAG}){{0,9}}")
_ORG_ID = re.compile(r"org_[A-Za-z0-9]{1,64}")
_ORG_NAME = re.compile(r"[\w-]{1,50}")
_INVITATION = re.compile(r"[A-Za-z0-9_-]{1,128}")
_CONNECTION = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,127}")
# Auth0's session transfer tokens are opaque; RFC 6749's unreserved
# characters (plus "." of a JWS) cover every token format Auth0 uses. Anything
# else ("&", "#", "%", spaces, controls) could add parameters to /authorize
# (see _HINT_FORBIDDEN): such a token is dropped, and the login goes on as an
# ordinary one (Auth0's login page), never with a half-forwarded value.
SESSION_TRANSFER_TOKEN = re.compile(r"[A-Za-z0-9._~-]{16,512}")
SCREEN_HINTS = frozenset({"signup", "login"})
PROMPTS = frozenset({"login", "none", "consent", "select_account"})


def _screen_hint(value: str) -> str | None:
    return value if value in SCREEN_HINTS else None


def _login_hint(value: str) -> str | None:
    # An email or a username: printable, at most an email's length (RFC 5321),
    # without the characters the query cannot carry (see _HINT_FORBIDDEN).
    if len(value) > 254 or _HINT_FORBIDDEN.search(value):
        return None
    return value


def _ui_locales(value: str) -> str | None:
    return value if len(value) <= 100 and _UI_LOCALES.fullmatch(value) else None


def _max_age(value: str) -> str | None:
    if not value.isascii() or not value.isdigit() or len(value) > 10:
        return None
    return str(int(value)) if int(value) <= MAX_AGE_LIMIT else None


def normalize_organization(value: str) -> str | None:
    """An organization id (``org_…``) as is, or a name NFC-normalised; else None."""
    if value.startswith("org_"):  # an id, or nothing: never a name like it
        return value if _ORG_ID.fullmatch(value) else None
    name = unicodedata.normalize("NFC", value)
    return name if _ORG_NAME.fullmatch(name) else None


def _invitation(value: str) -> str | None:
    return value if _INVITATION.fullmatch(value) else None


def _connection(value: str) -> str | None:
    return value if _CONNECTION.fullmatch(value) else None


def _session_transfer_token(value: str) -> str | None:
    return value if SESSION_TRANSFER_TOKEN.fullmatch(value) else None


def _prompt(value: str) -> str | None:
    return value if value in PROMPTS else None


VALIDATORS: dict[str, Callable[[str], str | None]] = {
    "screen_hint": _screen_hint,
    "login_hint": _login_hint,
    "ui_locales": _ui_locales,
    "max_age": _max_age,
    "organization": normalize_organization,
    "invitation": _invitation,
    "connection": _connection,
    "prompt": _prompt,
    "session_transfer_token": _session_transfer_token,
}
KNOWN_PARAMS = frozenset(VALIDATORS)
# Longest value read at all: a longer one is dropped before any pattern runs.
MAX_VALUE_LENGTH = 512


def allowed_names(setting: object) -> list[str]:
    """The forwardable names of ``REQUEST_PARAMS`` (None: the default).

    Unknown and never-forwardable names are left out here as well as reported
    by the system checks: a setting that slipped past them still forwards
    nothing it should not.
    """
    if setting is None:
        return list(DEFAULT_REQUEST_PARAMS)
    names = [setting] if isinstance(setting, str) else setting
    if not isinstance(names, list | tuple | set | frozenset):
        return []  # a malformed setting (E081) forwards nothing
    return [
        name
        for name in dict.fromkeys(n for n in names if isinstance(n, str))
        if name in KNOWN_PARAMS
    ]


def clean_value(name: str, value: object) -> str | None:
    """``value`` if it is a fit value for parameter ``name``, else None."""
    if not isinstance(value, str) or not value or len(value) > MAX_VALUE_LENGTH:
        return None
    validator = VALIDATORS.get(name)
    return validator(value) if validator else None


def forwarded_params(
    data: Mapping[str, object], names: Iterable[str]
) -> dict[str, str]:
    """The request's values for ``names`` that pass their rule; the others are
    dropped with one log line each (the name only: values may be personal)."""
    params = {}
    for name in names:
        if name in NEVER_FORWARDED or name not in data:
            continue
        value = clean_value(name, data[name])
        if value is None:
            logger.warning("Login parameter %r dropped: invalid value", name)
            continue
        params[name] = value
    return params
