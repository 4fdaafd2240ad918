"""The tenant doctor behind ``manage.py auth0check``: live checks of the
configured Auth0 tenant against this site's settings.

Each check is a small function of a :class:`Doctor` returning a
:class:`Result` (OK, WARN or FAIL, what was found, and the fix). Every HTTP
request goes through the backend's helpers (``backend.request``/``get_json``),
so the site's timeout, proxy and TLS settings apply. Nothing here prints or
returns a secret, a token or a code: results quote only URLs, key ids and
Auth0's error codes and descriptions.
"""

from __future__ import annotations

import html
import io
import ipaddress
import re
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from importlib import import_module
from typing import TYPE_CHECKING, Any, Literal, cast
from urllib.parse import parse_qs, urljoin, urlsplit

from django.conf import settings
from django.core.exceptions import DisallowedHost
from django.core.handlers.wsgi import WSGIRequest
from django.urls import NoReverseMatch, reverse
from social_core.exceptions import SocialAuthBaseException
from social_core.utils import setting_name, url_add_parameters
from social_django.utils import load_backend, load_strategy

from .. import conf
from ..backend import Auth0OAuth2
from ..conf import LOOPBACK_HOSTS
from ..jwt.keys import parse_jwks
from ..login.par import par_url, pushed_authorize_url
from ..views import logout_return_url
from .lookup import resolve_setting

if TYPE_CHECKING:
    from django.http import HttpRequest

Status = Literal["OK", "WARN", "FAIL"]

# How much of an /authorize page is read to recognise Auth0's error page.
MAX_PAGE_BYTES = 64 * 1024
# Auth0's Universal Login (/u/...) and Classic Login (/login) pages.
LOGIN_PAGE_PATHS = ("/u/", "/login")
DASHBOARD_APP = "Auth0 dashboard > Applications > (your application) > Settings"


@dataclass(frozen=True)
class Result:
    """One check's verdict: ``fix`` says what to change when it is not OK."""

    check: str
    status: Status
    summary: str
    fix: str = ""


@dataclass(frozen=True)
class Site:
    """This site's base URL and where it came from (an option or a setting)."""

    url: str
    source: str


class Doctor:
    """The backend as a login would use it, bound to a request to ``site``.

    Without a usable site URL the backend has no request: the checks that need
    an absolute URL of this site say so instead of guessing one.
    """

    def __init__(self, site: Site | None) -> None:
        self.site = site
        #: the site's host when ALLOWED_HOSTS refuses it
        self.disallowed_host: str | None = None
        self.request = site_request(site.url) if site else None
        try:
            self.backend = self._backend(self.request)
        except DisallowedHost:
            self.disallowed_host = urlsplit(cast("Site", site).url).netloc
            self.request = None
            self.backend = self._backend(None)

    @staticmethod
    def _backend(request: HttpRequest | None) -> Auth0OAuth2[Any]:
        strategy = load_strategy(request)  # type: ignore[no-untyped-call]
        namespace = getattr(settings, setting_name("URL_NAMESPACE"), None) or "social"
        # What social_django's begin view passes: the complete view's path.
        callback_path = reverse(f"{namespace}:complete", args=[Auth0OAuth2.name])
        backend = load_backend(strategy, Auth0OAuth2.name, callback_path)  # type: ignore[no-untyped-call]
        return cast("Auth0OAuth2[Any]", backend)

    @property
    def production(self) -> bool:
        """Outside DEBUG, URLs Auth0 and browsers use must be https, not loopback."""
        return not settings.DEBUG

    def absolute(self, path: str) -> str:
        """``path`` on this site, as a request to it would build it."""
        return cast("HttpRequest", self.request).build_absolute_uri(path)


def find_site(option: str | None) -> Site | None:
    """The site URL from ``--site-url``, else ``SOCIAL_AUTH_AUTH0_SITE_URL``."""
    if option:
        return Site(check_site_url(option, "--site-url"), "--site-url")
    value, name = resolve_setting("SITE_URL")
    if value in (None, ""):
        return None
    return Site(check_site_url(value, name), name)


def check_site_url(value: object, source: str) -> str:
    """``scheme://host[:port]``, no trailing slash; a ValueError names ``source``."""
    try:
        parts = urlsplit(value) if isinstance(value, str) else None
        port_ok = parts is not None and (parts.port or 0) >= 0
    except ValueError:  # a malformed port or IPv6 literal
        parts, port_ok = None, False
    if (
        parts is None
        or not port_ok
        or parts.username is not None
        or parts.scheme not in ("http", "https")
        or not parts.hostname
        or parts.path not in ("", "/")
        or parts.query
        or parts.fragment
    ):
        raise ValueError(
            f"{source} must be this site's base URL, e.g. 'https://your.site', "
            f"not {value!r}"
        )
    return f"{parts.scheme}://{parts.netloc}"


def site_request(url: str) -> HttpRequest:
    """A GET / to ``url``: the Host, scheme and port a real request would carry.

    It gets an in-memory session that is never saved, for the state the
    backend keeps while building an authorization URL.
    """
    parts = urlsplit(url)
    environ = {
        "REQUEST_METHOD": "GET",
        "PATH_INFO": "/",
        "SCRIPT_NAME": "",
        "wsgi.input": io.BytesIO(),
        "wsgi.url_scheme": parts.scheme,
        "HTTP_HOST": parts.netloc,
        "SERVER_NAME": parts.hostname or "",
        "SERVER_PORT": str(parts.port or (443 if parts.scheme == "https" else 80)),
    }
    request = WSGIRequest(environ)
    request.session = import_module(settings.SESSION_ENGINE).SessionStore()
    return request


# Discovery and keys ----------------------------------------------------------


def check_discovery(doctor: Doctor) -> Result:
    """The discovery document names the issuer our ID-token check expects."""
    backend = doctor.backend
    url = f"{backend.domain_in_use()}/.well-known/openid-configuration"
    document = backend.get_json(url, stage="token_validation")
    if not isinstance(document, dict):
        return Result(
            "discovery", "FAIL", f"{url} is not a JSON object", FIXES["discovery"]
        )
    issuer, expected = document.get("issuer"), backend.id_token_issuer()
    if issuer != expected:
        return Result(
            "discovery",
            "FAIL",
            f"{url} names the issuer {issuer!r}, but ID tokens are checked "
            f"against {expected!r}: every login would be refused",
            _issuer_fix(issuer),
        )
    unpushable = _par_refusal(backend, document, url)
    if unpushable is not None:
        return unpushable
    jwks_uri = document.get("jwks_uri")
    if jwks_uri != backend.jwks_url():
        return Result(
            "discovery",
            "WARN",
            f"issuer {issuer} as expected, but the keys are published at "
            f"{jwks_uri!r}, not {backend.jwks_url()!r}",
            "Set SOCIAL_AUTH_AUTH0_DOMAIN to the host that serves the tenant's keys.",
        )
    return Result(
        "discovery", "OK", f"issuer {issuer} as expected; {_par_note(document)}"
    )


def _par_note(document: dict[str, Any]) -> str:
    """Whether the tenant advertises pushed authorization requests (RFC 9126)."""
    if document.get("pushed_authorization_request_endpoint"):
        return "pushed authorization requests advertised"
    return "pushed authorization requests not advertised"


def _par_refusal(
    backend: Auth0OAuth2[Any], document: dict[str, Any], url: str
) -> Result | None:
    """A FAIL when logins push their requests and the tenant offers no endpoint."""
    if not backend.pushes_authorization_requests():
        return None
    if document.get("pushed_authorization_request_endpoint") == par_url(backend):
        return None
    return Result(
        "discovery",
        "FAIL",
        f"SOCIAL_AUTH_AUTH0_PUSHED_AUTHORIZATION_REQUESTS is on, but {url} does "
        f"not advertise {par_url(backend)} as pushed_authorization_request_endpoint",
        "Pushed authorization requests need Auth0's Highly Regulated Identity "
        "features on the tenant; without them, set "
        "SOCIAL_AUTH_AUTH0_PUSHED_AUTHORIZATION_REQUESTS = False.",
    )


def _issuer_fix(issuer: object) -> str:
    host = urlsplit(issuer).netloc if isinstance(issuer, str) else ""
    if not host:
        return "SOCIAL_AUTH_AUTH0_DOMAIN must be your Auth0 tenant's domain."
    return (
        f"Set SOCIAL_AUTH_AUTH0_DOMAIN = {host!r}: tokens carry the domain they "
        "were obtained through as 'iss' (with a custom domain, use it everywhere)."
    )


def check_jwks(doctor: Doctor) -> Result:
    """The JWKS answers and holds RS256 signing keys (parsed as logins parse it)."""
    backend = doctor.backend
    url = backend.jwks_url()
    document = backend.get_json(url, stage="token_validation")
    keys = parse_jwks(backend, document, time.time())
    kids = ", ".join(sorted(keys.by_kid)) or "none named"
    return Result(
        "jwks", "OK", f"{len(keys.all_keys())} RS256 signing key(s) (kid: {kids})"
    )


# Client authentication ----------------------------------------------------------

INVALID_CODE_PREFIX = "auth0check-not-a-code-"


def check_client(doctor: Doctor) -> Result:
    """The token endpoint accepts our client credentials.

    It exchanges a made-up code the way a login does: Auth0 authenticates the
    client first, so ``invalid_grant`` means the credentials are right, and
    401 ``access_denied`` (or ``invalid_client``) that they are wrong.
    """
    backend = doctor.backend
    missing = _missing_credential(backend)
    if missing is not None:
        return missing
    try:
        backend.request_access_token(
            backend.access_token_url(),
            method=backend.ACCESS_TOKEN_METHOD,
            data=_token_request(doctor),
            headers=backend.auth_headers(),
            auth=backend.auth_complete_credentials(),  # type: ignore[no-untyped-call]
        )
    except SocialAuthBaseException as error:
        return client_verdict(error)
    return Result(
        "client",
        "FAIL",
        "the token endpoint accepted a made-up code",
        "SOCIAL_AUTH_AUTH0_DOMAIN does not point at an Auth0 tenant.",
    )


def _token_request(doctor: Doctor) -> dict[str, str]:
    """A login's token request (``auth_complete_params``) with a made-up code."""
    backend = doctor.backend
    params = {
        "grant_type": "authorization_code",
        "code": INVALID_CODE_PREFIX + secrets.token_urlsafe(16),
        "code_verifier": secrets.token_urlsafe(48),
    }
    if doctor.request is not None:
        params["redirect_uri"] = backend.get_redirect_uri()
    params.update(backend.client_authentication())
    return params


def _missing_credential(backend: Auth0OAuth2[Any]) -> Result | None:
    """A FAIL when the settings name no usable client credential."""
    method = backend.client_authentication_method()
    if method == "client_secret_post" and not backend.setting("SECRET"):
        return Result(
            "client",
            "FAIL",
            "SOCIAL_AUTH_AUTH0_SECRET is not set",
            f"Set it to the Client Secret shown in the {DASHBOARD_APP} (or "
            "SOCIAL_AUTH_AUTH0_CLIENT_ASSERTION_KEY for private_key_jwt).",
        )
    return None


def client_verdict(error: SocialAuthBaseException) -> Result:
    """Read the token endpoint's refusal of a made-up code; re-raise others."""
    code, status = error.provider_code, error.status_code
    answer = f"{code} (HTTP {status})" if status else str(code or error.code)
    if code == "invalid_grant":
        return Result(
            "client",
            "OK",
            "client credentials accepted (a made-up code was answered invalid_grant)",
        )
    if code in ("access_denied", "invalid_client") or status == 401:
        return Result(
            "client",
            "FAIL",
            f"the token endpoint refused the client credentials: {answer}",
            "SOCIAL_AUTH_AUTH0_KEY and SOCIAL_AUTH_AUTH0_SECRET must be the Client "
            f"ID and Client Secret shown in the {DASHBOARD_APP} (a rotated secret "
            "must be updated here too).",
        )
    if code == "unauthorized_client":
        return Result(
            "client",
            "FAIL",
            f"the application may not use the authorization code grant: {answer}",
            f"In the {DASHBOARD_APP} > Advanced Settings > Grant Types, enable "
            "Authorization Code (the application must be a Regular Web Application).",
        )
    raise error  # not an answer about the credentials: reported as a failure


# URLs of this site ------------------------------------------------------------


def no_site(doctor: Doctor, check: str) -> Result:
    """The verdict of a check that needs this site's URL when there is none."""
    host = doctor.disallowed_host
    if host:
        return Result(
            check,
            "FAIL",
            f"{host} is not in ALLOWED_HOSTS: Django would refuse requests to it",
            f"Add {urlsplit('//' + host).hostname!r} to ALLOWED_HOSTS.",
        )
    return Result(
        check,
        "WARN",
        "not checked: this site's URL is unknown",
        "Pass --site-url https://your.site or set SOCIAL_AUTH_AUTH0_SITE_URL.",
    )


def check_callback(doctor: Doctor) -> Result:
    """``/authorize`` accepts the callback URL a login sends (``redirect_uri``).

    The first answer is read and never followed: no cookie is sent, so Auth0
    can only show its login page (accepted) or its error page (refused).
    """
    if doctor.request is None:
        return no_site(doctor, "callback")
    backend = doctor.backend
    callback = backend.get_redirect_uri()
    url = authorize_url(backend)
    verdict = authorize_verdict(first_answer(backend, url), url, callback)
    if verdict.status == "OK" and doctor.production:
        problem = unreachable(callback, from_auth0=False)
        if problem:
            return Result(
                "callback",
                "WARN",
                f"{callback} is accepted, but {problem} with DEBUG off: "
                "authorization codes would not be protected in transit",
                "Serve the site over https on its public host name (behind a "
                "proxy, set SECURE_PROXY_SSL_HEADER or SOCIAL_AUTH_REDIRECT_IS_HTTPS).",
            )
    return verdict


def authorize_url(backend: Auth0OAuth2[Any]) -> str:
    """The ``/authorize`` URL a login sends (``BaseOAuth2.auth_url``).

    The state is made here instead of by ``get_or_create_state()``, which
    records a nonce in the database: the doctor writes nothing.
    """
    state = backend.state_token()
    backend.strategy.session_set(
        backend.transaction_key(state), {"state": state, "timestamp": int(time.time())}
    )
    params = backend.auth_params(state)
    params.update(backend.get_scope_argument())  # type: ignore[no-untyped-call]
    params.update(backend.auth_extra_arguments())
    url = url_add_parameters(
        backend.authorization_url(), params, not backend.REDIRECT_STATE
    )
    if backend.pushes_authorization_requests():  # as a login does (login/par.py)
        return pushed_authorize_url(backend, url)
    return url


@dataclass(frozen=True)
class Answer:
    """The first response to a request: status, ``Location`` and page start."""

    status: int
    location: str | None
    page: str


def first_answer(backend: Auth0OAuth2[Any], url: str) -> Answer:
    """GET ``url`` through ``backend.request``; its first answer, not followed."""
    response = backend.request(url, stage="begin", first_answer=True)
    page = response.content[:MAX_PAGE_BYTES]
    text = page.decode(response.encoding or "utf-8", errors="replace")
    return Answer(response.status_code, response.headers.get("Location"), text)


def authorize_verdict(answer: Answer, url: str, callback: str) -> Result:
    """Tell Auth0's login page (accepted) from its error page (refused)."""
    if answer.location and 300 <= answer.status < 400:
        target = urlsplit(urljoin(url, answer.location))
        query = {name: values[0] for name, values in parse_qs(target.query).items()}
        if target._replace(query="", fragment="").geturl() == callback:
            return _sent_back(callback, query)
        tenant = urlsplit(url)
        if (target.netloc == tenant.netloc) and target.path.startswith(
            LOGIN_PAGE_PATHS
        ):
            return Result(
                "callback",
                "OK",
                f"{callback} is accepted (/authorize answered with its login page)",
            )
        if "error" in query:
            return _refused(
                callback,
                query.get("error", ""),
                query.get("error_description", ""),
                emulator=_is_emulator(url),
            )
        return Result(
            "callback",
            "WARN",
            f"could not tell: /authorize redirected to {target.netloc}{target.path}",
            f"Open the login of {callback} in a browser and look.",
        )
    title = page_title(answer.page)
    if answer.status >= 400 or "callback url mismatch" in answer.page.lower():
        return _refused(
            callback, f"HTTP {answer.status}", title, emulator=_is_emulator(url)
        )
    return Result(
        "callback",
        "WARN",
        f"could not tell: /authorize answered HTTP {answer.status} ({title!r})",
        f"Open the login of {callback} in a browser and look.",
    )


def _sent_back(callback: str, query: dict[str, str]) -> Result:
    """Auth0 redirected to the callback itself: it is registered."""
    if "error" not in query:
        return Result("callback", "OK", f"{callback} is accepted")
    error, description = query["error"], query.get("error_description", "")
    fix = (
        "Check SOCIAL_AUTH_AUTH0_AUDIENCE: it must be the identifier of an API "
        "of this tenant."
        if "service not found" in description.lower()
        else "See the tenant's logs (Auth0 dashboard > Monitoring > Logs)."
    )
    return Result(
        "callback",
        "FAIL",
        f"{callback} is accepted, but /authorize refused the login: "
        f"{error}: {_quote(description)}",
        fix,
    )


def _is_emulator(url: str) -> bool:
    """An http tenant is the local emulator (conf accepts http for loopback only)."""
    return urlsplit(url).scheme == "http"


def _callback_fix(callback: str, *, emulator: bool) -> str:
    if emulator:
        return (
            f"Start the emulator with --callback-url {callback} (python -m "
            "social_auth0.testing; it compares callback URLs character for "
            "character), or give --site-url the host it registers (runserver's "
            "127.0.0.1, not localhost)."
        )
    return (
        f"In the {DASHBOARD_APP}, add exactly {callback} to Allowed Callback "
        "URLs (Auth0 compares them character for character)."
    )


def _refused(callback: str, error: str, description: str, *, emulator: bool) -> Result:
    if "callback" in description.lower():
        return Result(
            "callback",
            "FAIL",
            f"{callback} is not an Allowed Callback URL "
            f"(Auth0's error page: {_quote(description)})",
            _callback_fix(callback, emulator=emulator),
        )
    return Result(
        "callback",
        "FAIL",
        f"/authorize showed its error page: {error}: {_quote(description)}",
        "Check SOCIAL_AUTH_AUTH0_KEY (the client id) and the tenant's logs.",
    )


_TITLE = re.compile(r"<(h1|title)\b[^>]*>(.*?)</\1>", re.IGNORECASE | re.DOTALL)


def page_title(page: str) -> str:
    """The page's first heading (or title), as text."""
    match = _TITLE.search(page)
    text = re.sub(r"<[^>]+>", "", match.group(2)) if match else ""
    return " ".join(html.unescape(text).split())


def _quote(text: str, limit: int = 200) -> str:
    """Text from the tenant, on one bounded line."""
    return repr(" ".join(text.split())[:limit])


def check_logout_url(doctor: Doctor) -> Result:
    """The return URL sent to Auth0's logout is one a browser can follow."""
    if doctor.request is None:
        return no_site(doctor, "logout")
    url = logout_return_url(doctor.request, doctor.backend)
    problem = unreachable(url, from_auth0=False) if doctor.production else None
    if problem:
        return Result(
            "logout",
            "FAIL",
            f"the logout return URL {url} is {problem}",
            "Serve the site over https on a public host name, or point "
            "SOCIAL_AUTH_AUTH0_LOGOUT_REDIRECT_URL (else LOGOUT_REDIRECT_URL) at one.",
        )
    return Result(
        "logout",
        "OK",
        f"return URL {url}{_debug_note(doctor)}; it must be an Allowed Logout URL "
        "(not checked live)",
    )


def check_backchannel_url(doctor: Doctor) -> Result:
    """Auth0's servers can reach the back-channel logout URL (https, public)."""
    if doctor.request is None:
        return no_site(doctor, "backchannel")
    url = doctor.absolute(reverse("social_auth0:backchannel_logout"))
    problem = unreachable(url, from_auth0=True) if doctor.production else None
    if problem:
        return Result(
            "backchannel",
            "FAIL",
            f"the back-channel logout URL {url} is {problem}: Auth0 cannot POST to it",
            "Serve the site over https on a host Auth0 can reach, and register "
            f"that URL as Back-Channel Logout URI in the {DASHBOARD_APP}.",
        )
    return Result(
        "backchannel",
        "OK",
        f"{url}{_debug_note(doctor)}; register it as Back-Channel Logout URI "
        "(not checked live)",
    )


def _debug_note(doctor: Doctor) -> str:
    return " (DEBUG: http and loopback allowed)" if not doctor.production else ""


def unreachable(url: str, *, from_auth0: bool) -> str | None:
    """Why a production URL will not work, or None: http, loopback, private."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if parts.scheme != "https":
        return "not https"
    if host in LOOPBACK_HOSTS or host.endswith(".localhost"):
        return "on a loopback host"
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return None
    if address.is_loopback:
        return "on a loopback host"
    if from_auth0 and (address.is_private or address.is_link_local):
        return "on a private address"
    return None


# Running them -----------------------------------------------------------------

# APIs --------------------------------------------------------------------------


def check_apis(doctor: Doctor) -> Result:
    """What can be known of ``APIS`` without a user: only that it is set.

    Whether the tenant issues tokens for an API depends on the application's
    refresh-token policies, which only a refresh token (a user's) or the
    Management API (a token with ``read:clients``, which this site does not
    hold) can tell; Auth0 answers an uncovered API with a token for the
    default audience, which ``get_access_token`` refuses
    (``refresh_token_policy_missing``). So this says what was not checked.
    """
    try:
        apis = conf.api_scopes(doctor.backend.setting("APIS"))
    except ValueError as error:
        return Result("apis", "FAIL", f"SOCIAL_AUTH_AUTH0_APIS {error}", APIS_FIX)
    if not apis:
        return Result("apis", "OK", "no other APIs configured (SOCIAL_AUTH_AUTH0_APIS)")
    return Result(
        "apis",
        "WARN",
        f"not checked: whether the tenant issues tokens for {', '.join(apis)} "
        "(only a user's refresh token or the Management API can tell)",
        APIS_FIX,
    )


APIS_FIX = (
    "Each API needs a refresh-token policy of the application: GET "
    "/api/v2/clients/<client id>?fields=refresh_token with a Management API token "
    "shows refresh_token.policies (a list of {audience, scope}); PATCH it to add "
    "the missing ones. The first get_access_token(request, audience=...) for an "
    "API without one raises AuthResponseError (code refresh_token_policy_missing)."
)


CHECKS: tuple[tuple[str, Callable[[Doctor], Result]], ...] = (
    ("discovery", check_discovery),
    ("jwks", check_jwks),
    ("client", check_client),
    ("callback", check_callback),
    ("logout", check_logout_url),
    ("backchannel", check_backchannel_url),
    ("apis", check_apis),
)

# What a check was talking to, and what to do, when a request to it fails.
TALKING_TO = {
    "discovery": "the discovery document",
    "jwks": "the signing keys (JWKS)",
    "client": "the token endpoint",
    "callback": "/authorize",
}
# social-core's codes for a tenant that did not answer at all.
TRANSPORT_CODES = frozenset({"connection_failed", "timeout", "tls_error"})
TRANSPORT_FIX = (
    "The tenant did not answer: check SOCIAL_AUTH_AUTH0_DOMAIN, the network, "
    "SOCIAL_AUTH_PROXIES, SOCIAL_AUTH_VERIFY_SSL and SOCIAL_AUTH_REQUESTS_TIMEOUT."
)
FIXES = {
    "discovery": "Check SOCIAL_AUTH_AUTH0_DOMAIN and that the tenant answers "
    "(proxies: SOCIAL_AUTH_PROXIES, TLS: SOCIAL_AUTH_VERIFY_SSL).",
    "jwks": "The tenant must serve RS256 signing keys at /.well-known/jwks.json: "
    "check SOCIAL_AUTH_AUTH0_DOMAIN points at Auth0 and that the tenant answers "
    "(proxies: SOCIAL_AUTH_PROXIES, TLS: SOCIAL_AUTH_VERIFY_SSL).",
    "client": "Check SOCIAL_AUTH_AUTH0_DOMAIN and the tenant's logs "
    "(Auth0 dashboard > Monitoring > Logs).",
    "callback": "Check SOCIAL_AUTH_AUTH0_* against the application's settings "
    "and the tenant's logs (Auth0 dashboard > Monitoring > Logs).",
}


# Checked at each of the tenant's domains (DOMAIN, then CUSTOM_DOMAINS).
PER_DOMAIN = frozenset({"discovery", "jwks"})


def run_checks(doctor: Doctor) -> list[Result]:
    """Every check's result; an exception becomes that check's FAIL."""
    results: list[Result] = []
    for name, check in CHECKS:
        if name in PER_DOMAIN:
            results.extend(run_per_domain(doctor, name, check))
        else:
            results.append(run_check(doctor, name, check))
    return results


def run_per_domain(
    doctor: Doctor, name: str, check: Callable[[Doctor], Result]
) -> list[Result]:
    """``check`` at each configured domain, its summary naming the domain
    when there are several (one result when only DOMAIN is configured)."""
    try:
        domains = doctor.backend.domains()
    except SocialAuthBaseException:
        domains = ()  # the check itself reports the broken setting
    if len(domains) < 2:
        return [run_check(doctor, name, check)]
    results = []
    for domain in domains:
        doctor.backend.use_domain(domain)
        try:
            result = run_check(doctor, name, check)
        finally:
            doctor.backend.use_domain(None)
        results.append(replace(result, summary=f"{domain}: {result.summary}"))
    return results


def run_check(doctor: Doctor, name: str, check: Callable[[Doctor], Result]) -> Result:
    """One check; errors it raises are reported as its FAIL, with a fix."""
    try:
        return check(doctor)
    except SocialAuthBaseException as error:
        what = TALKING_TO.get(name, name)
        fix = TRANSPORT_FIX if error.code in TRANSPORT_CODES else FIXES.get(name, "")
        return Result(name, "FAIL", f"{what}: {describe(error)}", fix)
    except NoReverseMatch as error:
        return Result(
            name,
            "FAIL",
            f"a URL of this site cannot be built: {error}",
            'Include the URLs: path("", include("social_django.urls", '
            'namespace="social")) and path("auth0/", include("social_auth0.urls")).',
        )


def describe(error: SocialAuthBaseException) -> str:
    """What failed, from a social-core exception (its detail, never a token)."""
    parts = [error.code or type(error).__name__]
    if error.status_code:
        parts.append(f"HTTP {error.status_code}")
    if error.provider_code:
        parts.append(str(error.provider_code))
    detail = error.detail or str(error)
    return f"{', '.join(parts)}: {_quote(str(detail))}"
