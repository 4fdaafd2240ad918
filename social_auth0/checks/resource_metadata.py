"""System checks for the API's Protected Resource Metadata (RFC 9728,
``resource_metadata.py``, ``well_known.py``; ids social_auth0.E120-E129,
W120-W129). ``apps.py`` registers ``CHECKS``."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from django.core import checks
from django.urls import Resolver404, resolve

from .. import conf
from ..resource_metadata import metadata_url
from .lookup import resolve_setting


def check_resource_metadata(**kwargs: Any) -> list[checks.CheckMessage]:
    """API_RESOURCE_METADATA is a boolean; when on, every API_AUDIENCE is a
    resource identifier (an https URL) whose metadata URL the URLconf serves."""
    value, name = resolve_setting("API_RESOURCE_METADATA")
    try:
        on = conf.flag(conf.API_RESOURCE_METADATA if value is None else value)
    except ValueError as error:
        return [checks.Error(f"{name} {error}, not {value!r}.", id="social_auth0.E120")]
    if not on:
        return []
    audience, audience_name = resolve_setting("API_AUDIENCE")
    audiences = [audience] if isinstance(audience, str) else audience
    if not isinstance(audiences, list | tuple) or not audiences:
        return []  # E060/E061 say what is wrong with it
    return [
        message
        for resource in audiences
        for message in _resource_messages(resource, audience_name, name)
    ]


def _resource_messages(resource: object, audience_name: str, name: str) -> list[Any]:
    try:
        conf.resource_identifier(resource)
    except ValueError as error:
        return [
            checks.Error(
                f"{name} is True, but {audience_name} value {error}.",
                hint="RFC 9728 names a protected resource by an https URL: the "
                "API identifier must be the URL clients call, e.g. "
                "'https://api.example.com/mcp'.",
                id="social_auth0.E121",
            )
        ]
    url = metadata_url(str(resource))
    if _serves_metadata(urlsplit(url).path):
        return []
    return [
        checks.Warning(
            f"{name} is True, but no URL pattern serves {url}.",
            hint="Add path('', include('social_auth0.well_known')) to the root "
            "URLconf.",
            id="social_auth0.W120",
        )
    ]


def _serves_metadata(path: str) -> bool:
    from ..well_known import protected_resource_metadata

    try:
        return resolve(path).func is protected_resource_metadata
    except Resolver404:
        return False


def check_scopes_supported(**kwargs: Any) -> list[checks.CheckMessage]:
    """API_SCOPES_SUPPORTED, when set, is a list of scope names."""
    value, name = resolve_setting("API_SCOPES_SUPPORTED")
    if value is None:
        return []
    try:
        conf.scope_list(value)
    except ValueError as error:
        return [checks.Error(f"{name} {error}, not {value!r}.", id="social_auth0.E122")]
    return []


# Registered by apps.py (through checks.ALL), in this order.
CHECKS = (check_resource_metadata, check_scopes_supported)
