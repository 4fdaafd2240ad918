"""Checks of the tenant's settings: domain, credentials, PKCE, whole-seconds
settings and their security ranges, TLS verification."""

from __future__ import annotations

import functools
from typing import Any

from django.core import checks

from .. import conf
from ..backend import Auth0OAuth2
from .lookup import accepted, api_only, is_seconds, resolve_setting

BARE_HOST_HINT = (
    "Give the bare host, e.g. 'tenant.eu.auth0.com' or 'https://tenant.eu.auth0.com/'."
)


def check_domain(**kwargs: Any) -> list[checks.CheckMessage]:
    """DOMAIN is set, is a bare host, and is https unless on loopback."""
    value, name = resolve_setting("DOMAIN")
    if value is None or (isinstance(value, str) and not value.strip()):
        return [
            checks.Error(
                f"{name} is not set.",
                hint="Set it to your tenant's domain, e.g. 'tenant.eu.auth0.com' "
                "(or a custom domain).",
                id="social_auth0.E001",
            )
        ]
    if not isinstance(value, str):
        return [
            checks.Error(
                f"{name} must be a string, not {value!r}.",
                hint=BARE_HOST_HINT,
                id="social_auth0.E002",
            )
        ]
    return _check_domain_value(value, name)


def _check_domain_value(value: str, name: str) -> list[checks.CheckMessage]:
    try:
        conf.normalize_domain(value)
    except ValueError as error:
        if _only_fault_is_http(value):
            hint = "Use https, or http only for a local emulator on "
            hint += "localhost/127.0.0.1/[::1]."
            return [checks.Error(f"{name} {error}.", hint=hint, id="social_auth0.E003")]
        return [
            checks.Error(
                f"{name} {error}.", hint=BARE_HOST_HINT, id="social_auth0.E002"
            )
        ]
    return []


def _only_fault_is_http(domain: str) -> bool:
    """An ``http://`` domain that would be fine as ``https://`` (E003, not E002)."""
    value = domain.strip()
    if value[:7].lower() != "http://":
        return False
    try:
        conf.normalize_domain(f"https://{value[7:]}")
    except ValueError:
        return False
    return True


def check_credentials(**kwargs: Any) -> list[checks.CheckMessage]:
    """KEY (client id) and SECRET (client secret) are non-empty strings; a
    site that only protects its API needs neither, but one it sets is checked."""
    optional = api_only()
    errors: list[checks.CheckMessage] = []
    for setting, label, check_id in (
        ("KEY", "client id", "social_auth0.E004"),
        ("SECRET", "client secret", "social_auth0.E005"),
    ):
        value, name = resolve_setting(setting)
        if (optional or setting == "SECRET" and _signs_assertions()) and value is None:
            continue  # private_key_jwt: no secret (client_auth.py checks the key)
        if not accepted(conf.credential, value):
            errors.append(
                checks.Error(
                    f"{name} (the application's {label}) is missing or malformed.",
                    hint=f"Copy the {label} from your Auth0 application's settings "
                    "page, without surrounding spaces.",
                    id=check_id,
                )
            )
    return errors


def _signs_assertions() -> bool:
    """Whether a private key authenticates the client (``CLIENT_ASSERTION_KEY``)."""
    return resolve_setting("CLIENT_ASSERTION_KEY")[0] is not None


def check_pkce(**kwargs: Any) -> list[checks.CheckMessage]:
    """PKCE stays on, with S256."""
    allowed = Auth0OAuth2.PKCE_DEFAULT_CODE_CHALLENGE_METHOD
    use_pkce, use_name = resolve_setting("USE_PKCE", Auth0OAuth2.DEFAULT_USE_PKCE)
    method, method_name = resolve_setting("PKCE_CODE_CHALLENGE_METHOD", allowed)
    if not use_pkce:
        return [
            checks.Error(
                f"{use_name} switches PKCE off.",
                hint=f"Remove {use_name}: social_auth0 always uses PKCE ({allowed}).",
                id="social_auth0.E006",
            )
        ]
    if method != allowed:
        return [
            checks.Error(
                f"{method_name} is {method!r}; only {allowed!r} is allowed.",
                hint=f"Remove {method_name} ('plain' sends the verifier in clear).",
                id="social_auth0.E006",
            )
        ]
    return []


def check_numbers(**kwargs: Any) -> list[checks.CheckMessage]:
    """LEEWAY, MAX_AGE, JWKS_CACHE_TTL, JWKS_REFETCH_INTERVAL are whole seconds."""
    errors: list[checks.CheckMessage] = []
    for setting, minimum in conf.SECONDS_MINIMUMS.items():
        value, name = resolve_setting(setting)
        if value is not None and not accepted(
            functools.partial(conf.seconds, setting), value
        ):
            kind = "a non-negative" if minimum == 0 else "a positive"
            errors.append(
                checks.Error(
                    f"{name} must be {kind} integer (seconds), not {value!r}.",
                    id="social_auth0.E010",
                )
            )
    return errors


def check_tls_verification(**kwargs: Any) -> list[checks.CheckMessage]:
    """VERIFY_SSL stays on, unless the tenant is a loopback emulator over http."""
    value, name = resolve_setting("VERIFY_SSL", True)
    # None lets requests use its default (verify); a path names a CA bundle.
    if value is None or value:
        return []
    domain, _ = resolve_setting("DOMAIN")
    if _is_loopback_http(domain):
        return []  # no TLS to verify, and nobody between us and loopback
    return [
        checks.Error(
            f"{name} = {value!r} switches off TLS certificate verification.",
            hint="Anyone on the network path could then serve their own tokens "
            f"and keys. Remove {name}, or set it to the path of a CA bundle "
            "that signs the tenant's certificate.",
            id="social_auth0.E030",
        )
    ]


def _is_loopback_http(domain: object) -> bool:
    try:
        base = conf.normalize_domain(domain)
    except ValueError:
        return False  # check_domain reports it
    return base.startswith("http://")  # http is allowed on loopback only


def check_security_ranges(**kwargs: Any) -> list[checks.CheckMessage]:
    """LEEWAY, JWKS_CACHE_TTL and MAX_AGE within the range that keeps them useful."""
    leeway, leeway_name = resolve_setting("LEEWAY", conf.LEEWAY)
    return [
        *_check_leeway_range(leeway, leeway_name),
        *_check_jwks_cache_ttl_range(),
        *_check_authentication_window(leeway, leeway_name),
    ]


def _check_leeway_range(leeway: object, name: str) -> list[checks.CheckMessage]:
    most = conf.SECONDS_MAXIMUMS["LEEWAY"]
    if not is_seconds(leeway) or leeway <= most:
        return []
    return [
        checks.Warning(
            f"{name} is {leeway} seconds: expired tokens stay accepted that long.",
            hint=f"Keep it between {conf.SECONDS_MINIMUMS['LEEWAY']} and "
            f"{most} seconds (default {conf.LEEWAY}); fix the server's "
            "clock instead (NTP).",
            id="social_auth0.W030",
        )
    ]


def _check_jwks_cache_ttl_range() -> list[checks.CheckMessage]:
    ttl, name = resolve_setting("JWKS_CACHE_TTL", conf.JWKS_CACHE_TTL)
    most = conf.SECONDS_MAXIMUMS["JWKS_CACHE_TTL"]
    if not is_seconds(ttl) or ttl <= most:
        return []
    return [
        checks.Warning(
            f"{name} is {ttl} seconds: a signing key removed from the tenant "
            "keeps verifying tokens that long.",
            hint=f"Keep it between {conf.SECONDS_MINIMUMS['JWKS_CACHE_TTL']} "
            f"and {most} seconds (a day; default {conf.JWKS_CACHE_TTL}).",
            id="social_auth0.W031",
        )
    ]


def _check_authentication_window(
    leeway: object, leeway_name: str
) -> list[checks.CheckMessage]:
    max_age, name = resolve_setting("MAX_AGE", conf.MAX_AGE)
    window = conf.MIN_AUTHENTICATION_WINDOW
    if not (is_seconds(max_age) and is_seconds(leeway)):
        return []
    if max_age + leeway >= window:
        return []
    return [
        checks.Warning(
            f"{name} is {max_age} seconds with {leeway_name} {leeway}: a user who "
            "has just signed in is rejected, since the redirect back and the code "
            "exchange take longer.",
            hint=f"Make {name} + {leeway_name} at least {window} seconds "
            "(MAX_AGE = 0 forces a fresh sign-in only with the default LEEWAY).",
            id="social_auth0.W032",
        )
    ]


CHECKS = (
    check_domain,
    check_credentials,
    check_pkce,
    check_numbers,
    check_tls_verification,
    check_security_ranges,
)
