"""OAuth 2.0 Protected Resource Metadata (RFC 9728): where it lives and what
it says about the API, from the settings alone.

With ``SOCIAL_AUTH_AUTH0_API_RESOURCE_METADATA = True`` each identifier of
``API_AUDIENCE`` (an https URL) is a protected resource: its metadata is
served at the URL section 3.1 derives from it (``well_known.py``), and every
401 of a protected view names that URL in ``resource_metadata`` (section
5.1), so a client holding nothing but the API's URL finds the tenant.
"""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit

from django.core.exceptions import ImproperlyConfigured, SuspiciousOperation
from django.http import HttpRequest

from . import conf

WELL_KNOWN = "/.well-known/oauth-protected-resource"


def metadata_url(resource: str) -> str:
    """The metadata URL of ``resource``: the well-known path inserted between
    the host and the path, a lone terminating slash dropped (section 3.1)."""
    parts = urlsplit(resource)
    path = "" if parts.path == "/" else parts.path
    return urlunsplit((parts.scheme, parts.netloc, WELL_KNOWN + path, parts.query, ""))


def enabled(request: HttpRequest | None) -> bool:
    """Whether ``API_RESOURCE_METADATA`` is on for ``request``'s settings."""
    value = conf.setting("API_RESOURCE_METADATA", request=request)
    try:
        return conf.flag(conf.API_RESOURCE_METADATA if value is None else value)
    except ValueError as error:
        raise _misconfigured("API_RESOURCE_METADATA", error) from error


def resources(request: HttpRequest | None) -> list[str]:
    """The resource identifiers: every ``API_AUDIENCE``, each an https URL."""
    value = conf.setting("API_AUDIENCE", request=request)
    audiences = [value] if isinstance(value, str) else value
    try:
        if not isinstance(audiences, list | tuple) or not audiences:
            raise ValueError("is not set")
        return [conf.resource_identifier(item) for item in audiences]
    except ValueError as error:
        raise _misconfigured("API_AUDIENCE", error) from error


def scopes_supported(request: HttpRequest | None) -> list[str] | None:
    """``API_SCOPES_SUPPORTED``: the scopes the metadata lists (None: unset)."""
    value = conf.setting("API_SCOPES_SUPPORTED", request=request)
    try:
        return None if value is None else conf.scope_list(value)
    except ValueError as error:
        raise _misconfigured("API_SCOPES_SUPPORTED", error) from error


def resource_at(request: HttpRequest, path: str) -> str | None:
    """The resource whose metadata URL has the path ``WELL_KNOWN + path``."""
    wanted = WELL_KNOWN + path
    everywhere = resources(request)
    for resource in [*_on_this_host(request, everywhere), *everywhere]:
        if urlsplit(metadata_url(resource)).path == wanted:
            return resource
    return None


def challenge_url(request: HttpRequest) -> str | None:
    """The ``resource_metadata`` of a 401 for ``request`` (None when off): the
    resource whose path is the longest prefix of the request's, else the first."""
    if not enabled(request):
        return None
    candidates = _on_this_host(request, resources(request))
    path = request.path.rstrip("/") + "/"
    served = [r for r in candidates if path.startswith(_path_of(r))]
    chosen = max(served, key=lambda r: len(_path_of(r))) if served else candidates[0]
    return metadata_url(chosen)


def _on_this_host(request: HttpRequest, candidates: list[str]) -> list[str]:
    """The ``candidates`` on the request's host (two identifiers may share a
    path on two hosts: section 3.3 wants each host's own), else all of them
    (a host Django refuses, none at all as from Ninja's test client, or one
    no identifier names: a proxy not forwarding it)."""
    try:
        host = request.get_host().lower()
    except (SuspiciousOperation, KeyError):
        return candidates
    return [r for r in candidates if _host_of(r) == host] or candidates


def _host_of(resource: str) -> str:
    """The host (and port, unless the scheme's default) of ``resource``."""
    parts = urlsplit(resource)
    default = {"https": 443, "http": 80}.get(parts.scheme)
    host = str(parts.hostname)
    port = parts.port
    return host if port in (None, default) else f"{host}:{port}"


def _path_of(resource: str) -> str:
    return urlsplit(resource).path.rstrip("/") + "/"


def _misconfigured(name: str, error: ValueError) -> ImproperlyConfigured:
    return ImproperlyConfigured(f"SOCIAL_AUTH_AUTH0_{name} {error}")
