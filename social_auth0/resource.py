"""Protecting the site's own API with Auth0 access tokens (RFC 6750 bearer).

::

    SOCIAL_AUTH_AUTH0_API_AUDIENCE = "https://api.example.com/"

    @token_required(scopes=["read:reports"])
    def reports(request):
        request.auth0_claims["sub"]

Tokens are verified locally (``jwt/verify.py``) with the tenant's keys from
the same deployment-wide cache as ID tokens (``jwt/keys.py``):
a warm request touches neither the network nor the cache, and a flood of
unknown ``kid`` values costs at most one JWKS fetch per refetch interval.

Settings (``SOCIAL_AUTH_AUTH0_*``, read on first use and again after any
setting change):

* ``API_AUDIENCE``: the API identifier at Auth0, or a list of them;
* ``API_SCOPES_CLAIM``: where granted scopes are read from: ``"scope"``
  (default: Auth0 always sends it, and with RBAC on it only holds what the
  user was granted), ``"permissions"`` (RBAC's "Add Permissions in the
  Access Token") or ``"both"`` (either claim grants);
* ``API_LINKED_USER``: ``True`` makes ``request.user`` the Django user linked
  to the token's identity (issuer and ``sub``, ``conf.identity_uid``) through
  ``UserSocialAuth`` (one indexed query); no linked active
  user is a 401. Default ``False``: a claims-only principal, no query;
* ``API_REALM``: the ``realm`` of ``WWW-Authenticate`` (default ``"api"``).
* ``API_ORGANIZATION_RULES``: ``True`` (default) applies the login's
  organization rules (``ORGANIZATION``, ``ALLOWED_ORGANIZATIONS``,
  ``ORGANIZATION_REQUIRED``, ``login/organizations.py``) to the token's
  ``org_id``; a refusal is a 401 ``invalid_token``, as for another tenant's.

* ``API_DPOP``: ``"allowed"`` (default) also takes ``Authorization: DPoP
  <token>`` with a ``DPoP`` proof (RFC 9449, checked by ``jwt/dpop.py``),
  ``"required"`` takes nothing else, ``"disabled"`` only bearer tokens;
* ``API_DPOP_NONCE``: ``True`` demands a server nonce in every proof.

A token bound to a key (``cnf``: DPoP, mTLS) is refused as a bearer token.

On an ``async def`` view (``aauthenticate``) a token whose key this process
holds, fresh, is verified on the event loop: no thread, no I/O. Only what
would block runs in a worker thread, through the same synchronous code as
the sync path (``REQUESTS_TIMEOUT``, proxies and TLS settings apply, and the
deployment-wide refetch limit holds): reading the shared cache or fetching
the JWKS when this process's keys are missing or stale (once per event loop
however many requests wait for it), a refetch for an unknown ``kid``, and
the linked user's query.
"""

from __future__ import annotations

import asyncio
import functools
import hashlib
import json
import logging
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar, cast

from asgiref.sync import iscoroutinefunction, sync_to_async
from django.core.exceptions import ImproperlyConfigured, SuspiciousOperation
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.encoding import escape_uri_path
from social_core.exceptions import (
    AuthConfigurationError,
    AuthResponseError,
    SocialAuthBaseException,
)

from . import clock, conf, resource_metadata
from .backend import Auth0OAuth2, backend_for
from .cache import SharedCache
from .errors import log_rejection, token_error
from .jwt import dpop
from .jwt.compact import MAX_ID_TOKEN_LENGTH
from .jwt.keys import KeysNotWarm
from .jwt.verify import REJECTIONS, rejected, verify_api_access_token
from .login.organizations import (
    OrganizationRules,
    check_token_organization,
    organization_rules,
)

if TYPE_CHECKING:
    from .jwt.compact import KeyLookup
    from .jwt.keys import IssuerKeys, TenantKeys

logger = logging.getLogger(__name__)

API_SCOPES_CLAIM = "scope"
SCOPE_CLAIMS = {
    "scope": ("scope",),
    "permissions": ("permissions",),
    "both": ("scope", "permissions"),
}
_API_REALM = "api"
# Auth0 bounds a token's custom claims to 100 KB; an Authorization header
# longer than this is not an Auth0 token, and is refused before parsing.
_MAX_TOKEN_LENGTH = 128 * 1024
# Marks views protected here (the system checks look for it).
MARKER = "social_auth0_token_required"
_GENERIC_DESCRIPTION = "The access token is invalid or has expired"

_ViewT = TypeVar("_ViewT", bound=Callable[..., Any])


class BearerError(Exception):
    """An RFC 6750 section 3 answer: status, ``error`` code, description."""

    def __init__(
        self,
        status: int,
        error: str | None,
        description: str,
        *,
        scope: str | None = None,
        scheme: str = "Bearer",
        nonce: str | None = None,
    ) -> None:
        super().__init__(description)
        self.status = status
        self.error = error
        self.description = description
        self.scope = scope
        self.scheme = scheme  # the scheme the error is about: Bearer or DPoP
        self.nonce = nonce  # a DPoP-Nonce to send (use_dpop_nonce)

    @property
    def no_token(self) -> bool:
        """Whether no token was sent (a 401 without ``error``)."""
        return self.status == 401 and self.error is None

    def fresh(self) -> BearerError:
        """A new instance to raise: raising one shared instance again and again
        would chain each raise's frames (and their requests) onto its
        ``__traceback__``, keeping every request alive."""
        return BearerError(
            self.status,
            self.error,
            self.description,
            scope=self.scope,
            scheme=self.scheme,
            nonce=self.nonce,
        )

    def challenge(
        self,
        realm: str,
        dpop_mode: str = "disabled",
        metadata_url: str | None = None,
    ) -> str:
        """The ``WWW-Authenticate`` value: a challenge per accepted scheme
        (RFC 6750 section 3, RFC 9449 section 7.1), the error in its scheme's,
        naming the RFC 9728 metadata URL on a 401 when one is given."""
        schemes = {"disabled": ("Bearer",), "required": ("DPoP",)}.get(
            dpop_mode, ("Bearer", "DPoP")
        )
        metadata = metadata_url if self.status == 401 else None
        return ", ".join(
            self._scheme_challenge(scheme, realm, len(schemes) == 1, metadata)
            for scheme in schemes
        )

    def _scheme_challenge(
        self, scheme: str, realm: str, only: bool, metadata_url: str | None
    ) -> str:
        params = [("realm", realm)]
        if scheme == "DPoP":
            params.append(("algs", " ".join(dpop.ALGORITHMS)))
        if self.error and (only or scheme == self.scheme):
            params += [("error", self.error), ("error_description", self.description)]
            if self.scope:
                params.append(("scope", self.scope))
        if metadata_url:
            params.append(("resource_metadata", metadata_url))
        return f"{scheme} " + ", ".join(f'{name}="{_quoted(v)}"' for name, v in params)


def _quoted(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"')


# Templates: raise ``.fresh()`` copies, never these instances (see ``fresh``).
NO_TOKEN = BearerError(401, None, "Authentication credentials were not provided")
UNAVAILABLE = BearerError(
    503, "temporarily_unavailable", "The token cannot be checked right now"
)
RETRY_AFTER = 10  # seconds, in a 503's Retry-After
_PROOF_DESCRIPTION = "The DPoP proof is invalid"
_NONCE_DESCRIPTION = "The DPoP proof must carry the server's nonce"


class Auth0Principal:
    """Who called: built from verified claims, no database row.

    Duck-types enough of Django's user for ``request.user`` checks
    (``is_authenticated``, ``is_anonymous``, ``get_username()``, the
    permission methods, which grant nothing). ``pk`` (and ``id``) is the
    caller's identity, stable across requests and distinct per caller: a
    digest of the issuer and, for a user, ``sub`` or, for a machine, the
    client. DRF's ``UserRateThrottle`` and other caches keyed on
    ``request.user.pk`` count each caller apart; principals with one ``pk``
    are equal. ``is_machine`` marks a client-credentials (M2M) token.
    """

    is_authenticated = True
    is_anonymous = False
    is_active = True
    is_staff = False
    is_superuser = False

    def __init__(
        self,
        claims: Mapping[str, Any],
        scopes: frozenset[str],
        *,
        tenant_issuer: str | None = None,
    ) -> None:
        self.claims = claims
        self.sub: str = claims["sub"]
        self.issuer: str = claims["iss"]
        self.client_id = _client_of(claims)
        self.is_machine = _is_client_credentials(claims, self.client_id)
        self.scopes = scopes
        subject = ("client", self.client_id) if self.is_machine else ("user", self.sub)
        # The tenant's issuer (DOMAIN's), not the custom domain the token came
        # from: the tenant's domains are one tenant, so one caller, one pk.
        self.pk = self.id = _caller_key(tenant_issuer or self.issuer, *subject)

    def get_username(self) -> str:
        """The ``sub`` claim (unique within one tenant only: ``pk`` is the key)."""
        return self.sub

    def has_scope(self, *scopes: str) -> bool:
        """Whether every one of ``scopes`` was granted."""
        return self.scopes.issuperset(scopes)

    # Django's permission API: an access token grants scopes, not Django
    # permissions, so nothing here grants anything (DRF's DjangoModelPermissions
    # answers 403, as for a user without the permission).

    def has_perm(self, perm: str, obj: object = None) -> bool:
        """False: Django permissions are not granted by an access token."""
        return False

    def has_perms(self, perm_list: Iterable[str], obj: object = None) -> bool:
        """Whether every permission of ``perm_list`` is held: only of an empty list."""
        if not isinstance(perm_list, Iterable) or isinstance(perm_list, str):
            raise ValueError("perm_list must be an iterable of permissions.")
        return all(self.has_perm(perm, obj) for perm in perm_list)

    def has_module_perms(self, app_label: str) -> bool:
        """False, as ``has_perm``."""
        return False

    def get_all_permissions(self, obj: object = None) -> set[str]:
        """No Django permission: an empty set."""
        return set()

    get_user_permissions = get_group_permissions = get_all_permissions

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Auth0Principal):
            return NotImplemented
        return self.pk == other.pk

    def __hash__(self) -> int:
        return hash(self.pk)

    def __str__(self) -> str:
        return self.sub

    def __repr__(self) -> str:
        return f"<Auth0Principal {self.sub!r}>"


def _client_of(claims: Mapping[str, Any]) -> str | None:
    """The client the token was issued to: ``azp`` (Auth0's profile) or
    ``client_id`` (RFC 9068's)."""
    for name in ("azp", "client_id"):
        value = claims.get(name)
        if isinstance(value, str) and value:
            return value
    return None


def _is_client_credentials(claims: Mapping[str, Any], client: str | None) -> bool:
    """Whether Auth0 issued the token by the client-credentials grant: ``gty``
    says so and ``sub`` is ``{client}@clients``. A ``sub`` merely ending in
    ``@clients`` is a user's (``samlp|acme|bob@clients``)."""
    return (
        claims.get("gty") == "client-credentials"
        and client is not None
        and claims["sub"] == f"{client}@clients"
    )


def _caller_key(issuer: str, kind: str, subject: str | None) -> str:
    """A short, cache-key-safe digest naming one caller of one tenant."""
    material = json.dumps([issuer, kind, subject]).encode()
    return "auth0-" + hashlib.sha256(material).hexdigest()[:32]


@dataclass(frozen=True)
class _ApiVerifier:
    """The API's settings, resolved once, and the tenant's keys."""

    backend: Auth0OAuth2[Any]
    keys: TenantKeys  # DOMAIN's
    issuer: str  # DOMAIN's: the tenant's identities are (this issuer, sub)
    issuer_keys: IssuerKeys  # each configured domain's keys, by its issuer
    audiences: frozenset[str]
    client_id: str | None
    leeway: int
    scope_claims: tuple[str, ...]
    linked_user: bool
    realm: str
    organizations: OrganizationRules | None  # None: API_ORGANIZATION_RULES off
    dpop_mode: str  # API_DPOP
    proof_rules: dpop.ProofRules  # the jti store and, with API_DPOP_NONCE, nonces

    def verify(self, token: str, *, key_bound: bool = False) -> dict[str, Any]:
        """The verified claims of ``token`` (social-core errors otherwise);
        ``key_bound``: sent with a DPoP proof, ``cnf`` is the proof's to check."""
        issuer, keys = self._route(token)
        return self._verify(token, issuer, keys.lookup, key_bound)

    def _route(self, token: str) -> tuple[str, TenantKeys]:
        """The configured issuer ``token`` names and its domain's keys; any
        other ``iss`` is refused here, before a key is looked up or fetched."""
        try:
            return self.issuer_keys.route(token, MAX_ID_TOKEN_LENGTH)
        except REJECTIONS as failure:
            raise rejected(self.backend, failure) from None

    async def averify(self, token: str, *, key_bound: bool = False) -> dict[str, Any]:
        """``verify`` on an event loop: inline with this process's fresh keys;
        what needs the cache or the network in a worker thread."""
        issuer, keys = self._route(token)
        try:
            return self._verify(token, issuer, keys.lookup_warm, key_bound)
        except KeysNotWarm:
            pass
        if keys.warm() is None:
            await _warm_up(keys)
            try:
                return self._verify(token, issuer, keys.lookup_warm, key_bound)
            except KeysNotWarm:
                pass
        # A kid the fresh keys lack: the refetch (rate limited) in a thread.
        refetch = sync_to_async(self.verify, thread_sensitive=False)
        return await refetch(token, key_bound=key_bound)

    def _verify(
        self, token: str, issuer: str, lookup: KeyLookup, key_bound: bool
    ) -> dict[str, Any]:
        claims = verify_api_access_token(
            self.backend,
            token,
            lookup,
            issuer=issuer,
            api_audiences=self.audiences,
            client_id=self.client_id,
            leeway=self.leeway,
            key_bound=key_bound,
        )
        if self.organizations is not None:
            check_token_organization(self.backend, claims, self.organizations)
        return claims

    def granted_scopes(self, claims: Mapping[str, Any]) -> frozenset[str]:
        """The scopes the claims named by ``API_SCOPES_CLAIM`` grant."""
        granted: set[str] = set()
        for name in self.scope_claims:
            value = claims.get(name)
            if name == "scope" and isinstance(value, str):
                granted.update(value.split())
            elif isinstance(value, list):
                granted.update(item for item in value if isinstance(item, str))
        return frozenset(granted)

    def principal(self, claims: Mapping[str, Any]) -> Auth0Principal:
        """The principal of these claims, keyed on the tenant's issuer."""
        return Auth0Principal(
            claims, self.granted_scopes(claims), tenant_issuer=self.issuer
        )

    def caller(self, claims: Mapping[str, Any]) -> Any:
        """``request.user`` for these claims: a principal, or the linked user."""
        if not self.linked_user:
            return self.principal(claims)
        # The identity is (issuer, sub): another tenant's user with the same
        # sub is another identity (conf.identity_uid), never this one's user.
        uid = conf.identity_uid(self.issuer, claims["sub"], self.backend.name)
        # One query on the (provider, uid) unique index, the user joined in.
        social = (
            self.backend.strategy.storage.user.objects.select_related("user")  # type: ignore[attr-defined]
            .filter(provider=self.backend.name, uid=uid)
            .first()
        )
        # Compared again in Python, as social_django does: a case-insensitive
        # collation must not link "auth0|ABC" to "auth0|abc".
        user = social.user if social is not None and social.uid == uid else None
        if user is None or not user.is_active:
            raise token_error(
                self.backend,
                "no active user is linked to the token's issuer and sub",
                code="invalid_claim",
                claim="sub",
            )
        return user

    async def acaller(self, claims: Mapping[str, Any]) -> Any:
        """``caller`` on an event loop: a principal inline, the linked user's
        query in a thread (``sync_to_async``, as Django's async ORM does)."""
        if not self.linked_user:
            return self.principal(claims)
        return await sync_to_async(self.caller)(claims)


# Cold keys being loaded, per event loop and JWKS URL: the requests that find
# the keys cold while a load runs wait for it instead of each taking a thread.
_warming: dict[tuple[asyncio.AbstractEventLoop, str], asyncio.Future[Any]] = {}


async def _warm_up(keys: TenantKeys) -> None:
    """Load ``keys`` (``TenantKeys.current``: the shared cache, else a fetch)
    in a worker thread, once per event loop however many requests wait."""
    loop = asyncio.get_running_loop()
    slot = (loop, keys.url)
    future = _warming.get(slot)
    if future is None:
        future = asyncio.ensure_future(
            sync_to_async(keys.current, thread_sensitive=False)()
        )
        _warming[slot] = future
        future.add_done_callback(lambda _: _warming.pop(slot, None))
    await asyncio.shield(future)


# Verifiers, rebuilt whenever Django reports a setting change: one per process
# for social_django's stock strategy and a backend reading its settings as
# declared (the same for every request), else one per distinct set of resolved
# settings (a per-site strategy or backend: each site's own tenant, audiences
# and keys, never another site's).
_verifiers: dict[object, _ApiVerifier] = {}
_MAX_SITE_VERIFIERS = 64  # a bound, should a strategy resolve settings per Host


# The stock strategy's verifier: the one for every request until a setting
# changes (SOCIAL_AUTH_STRATEGY among them). Never set for another strategy.
_stock_verifier: list[_ApiVerifier] = []


@receiver(setting_changed)
def _forget_verifier(**kwargs: Any) -> None:
    _verifiers.clear()
    _stock_verifier.clear()


def api_verifier(request: HttpRequest | None = None) -> _ApiVerifier:
    """The verifier for the settings that apply to ``request`` (built on first use)."""
    if _stock_verifier:
        return _stock_verifier[0]
    # The stock strategy needs no request (nor reads it: a hostile query
    # string stays unparsed on the way to its 400).
    strategy_class = conf.strategy_class()
    if conf.reads_django_settings(strategy_class):
        backend = backend_for(None)
        if backend.keeps_resolved_settings():  # not a backend answering per site
            verifier = _build_verifier(backend)
            _stock_verifier[:] = [verifier]
            return verifier
    built = _build_verifier(backend_for(request))
    key = (
        built.issuer,
        built.audiences,
        built.client_id,
        built.leeway,
        built.scope_claims,
        built.linked_user,
        built.realm,
        built.organizations,
        built.keys.document_key,
        tuple(built.issuer_keys.by_issuer),
        built.dpop_mode,
        built.proof_rules.nonce is not None,
    )
    if key not in _verifiers and len(_verifiers) >= _MAX_SITE_VERIFIERS:
        _verifiers.clear()
    return _verifiers.setdefault(key, built)


def _build_verifier(backend: Auth0OAuth2[Any]) -> _ApiVerifier:
    key = backend.setting("KEY")
    return _ApiVerifier(
        backend=backend,
        keys=backend.tenant_keys(backend.base_url()),
        issuer=f"{backend.base_url()}/",
        issuer_keys=backend.issuer_keys(),
        audiences=frozenset(api_audiences(backend.setting("API_AUDIENCE"))),
        client_id=key if isinstance(key, str) and key else None,
        leeway=backend.leeway(),
        scope_claims=_scope_claims(backend.setting("API_SCOPES_CLAIM")),
        linked_user=bool(backend.setting("API_LINKED_USER", False)),
        realm=str(backend.setting("API_REALM") or _API_REALM),
        organizations=_organization_rules(backend),
        dpop_mode=_dpop_mode(backend),
        proof_rules=_proof_rules(backend),
    )


def _dpop_mode(backend: Auth0OAuth2[Any]) -> str:
    try:
        return conf.dpop_mode(backend.setting("API_DPOP"))
    except ValueError as error:
        raise backend.invalid_setting("API_DPOP", error) from error


def _proof_rules(backend: Auth0OAuth2[Any]) -> dpop.ProofRules:
    """The jti store (the shared cache, no per-process fallback: see
    ``dpop.claim_jti``) and the nonces when ``API_DPOP_NONCE`` is on."""
    from django.conf import settings

    value = backend.setting("API_DPOP_NONCE")
    try:
        demanded = conf.flag(conf.API_DPOP_NONCE if value is None else value)
    except ValueError as error:
        raise backend.invalid_setting("API_DPOP_NONCE", error) from error
    replay = SharedCache(
        backend.shared_cache(),
        "DPoP proof jti",
        consequence="DPoP requests are refused (503)",
    )
    nonces = dpop.Nonces(settings.SECRET_KEY) if demanded else None
    return dpop.ProofRules(leeway=backend.leeway(), replay=replay, nonce=nonces)


def _organization_rules(backend: Auth0OAuth2[Any]) -> OrganizationRules | None:
    """The login's organization rules, unless ``API_ORGANIZATION_RULES`` is off."""
    value = backend.setting("API_ORGANIZATION_RULES")
    try:
        applied = conf.flag(conf.API_ORGANIZATION_RULES if value is None else value)
    except ValueError as error:
        raise backend.invalid_setting("API_ORGANIZATION_RULES", error) from error
    return organization_rules(backend) if applied else None


def api_audiences(value: object) -> list[str]:
    """``API_AUDIENCE`` as a list; raise ``AuthConfigurationError`` if unusable."""
    audiences = [value] if isinstance(value, str) else value
    if (
        not isinstance(audiences, list | tuple)
        or not audiences
        or not all(isinstance(item, str) and item for item in audiences)
    ):
        raise AuthConfigurationError(
            None,
            "SOCIAL_AUTH_AUTH0_API_AUDIENCE must be the API identifier "
            "(a non-empty string) or a list of them",
            code="missing_setting" if value is None else "invalid_setting",
            parameter="API_AUDIENCE",
        )
    return list(audiences)


def _scope_claims(value: object) -> tuple[str, ...]:
    if value is None:
        value = API_SCOPES_CLAIM
    if not isinstance(value, str) or value not in SCOPE_CLAIMS:
        raise AuthConfigurationError(
            None,
            "SOCIAL_AUTH_AUTH0_API_SCOPES_CLAIM must be one of "
            f"{', '.join(map(repr, SCOPE_CLAIMS))}",
            code="invalid_setting",
            parameter="API_SCOPES_CLAIM",
        )
    return SCOPE_CLAIMS[value]


# -- reading the request --------------------------------------------------------


def _credentials(request: HttpRequest) -> tuple[str, str]:
    """The scheme (``Bearer`` or ``DPoP``) and token of the Authorization
    header (RFC 6750 section 2.1, RFC 9449 section 7.1).

    No header (or another scheme) is ``NO_TOKEN``; a malformed one, or a token
    in the query string (section 2.3 invites leaks into logs), is a 400.
    """
    # Most API requests have no query string: don't parse an empty one.
    if request.META.get("QUERY_STRING") and _token_in_query(request):
        raise BearerError(
            400, "invalid_request", "Send the token in the Authorization header"
        )
    header = request.META.get("HTTP_AUTHORIZATION")
    if not header or not isinstance(header, str):
        raise NO_TOKEN.fresh()
    scheme, _, token = header.partition(" ")
    scheme = _SCHEMES.get(scheme.lower(), "")
    if not scheme:
        raise NO_TOKEN.fresh()
    # One b64token (RFC 6750 section 2.1): no second word. Its characters are
    # checked by the verifier, segment by segment.
    if not token or len(token) > _MAX_TOKEN_LENGTH or " " in token or "," in token:
        raise BearerError(
            400, "invalid_request", "Malformed Authorization header", scheme=scheme
        )
    return scheme, token


_SCHEMES = {"bearer": "Bearer", "dpop": "DPoP"}  # case-insensitive (RFC 9110 11.1)


def _proof(request: HttpRequest) -> str:
    """The one ``DPoP`` header (RFC 9449 section 4.3 check 1). Servers join
    repeated headers with commas, which a compact JWS never holds."""
    proof = request.META.get("HTTP_DPOP")
    if not proof or not isinstance(proof, str) or "," in proof:
        raise BearerError(
            400,
            "invalid_request",
            "Send exactly one DPoP proof header with a DPoP token",
            scheme="DPoP",
        )
    return proof


def _request_url(request: HttpRequest) -> str:
    """The URL the proof's ``htu`` must name: scheme and host as Django builds
    absolute URLs (``SECURE_PROXY_SSL_HEADER``, ``USE_X_FORWARDED_HOST``,
    ``ALLOWED_HOSTS``), the path, no query (RFC 9449 section 4.2)."""
    try:
        host = request.get_host()
    except SuspiciousOperation:
        raise BearerError(
            400, "invalid_request", "Unknown host", scheme="DPoP"
        ) from None
    return f"{request.scheme}://{host}{escape_uri_path(request.path)}"


def _token_in_query(request: HttpRequest) -> bool:
    """Whether the query string carries ``access_token``. A query string Django
    refuses to parse (more than ``DATA_UPLOAD_MAX_NUMBER_FIELDS`` fields) is
    an ``invalid_request`` too: Django would answer it with an HTML 400 and
    an ERROR log line per request."""
    try:
        return "access_token" in request.GET
    except SuspiciousOperation as error:
        logger.warning(
            "Auth0 API request rejected: unreadable query string (%s)",
            type(error).__name__,
        )
        raise BearerError(400, "invalid_request", "Malformed query string") from None


def authenticate(request: HttpRequest) -> tuple[Any, dict[str, Any]]:
    """Verify the request's bearer token: ``(caller, claims)`` or ``BearerError``.

    A rejected token is logged once (what failed, never the token); the
    response says only ``invalid_token``.
    """
    scheme, token = _credentials(request)
    with _bearer_errors(scheme):
        verifier = api_verifier(request)
        key_bound = _dispatch(verifier.dpop_mode, scheme)
        claims = verifier.verify(token, key_bound=key_bound)
        if key_bound:
            _check_proof(request, verifier, token, claims)
        return verifier.caller(claims), claims


async def aauthenticate(request: HttpRequest) -> tuple[Any, dict[str, Any]]:
    """``authenticate`` for async code (``async def`` views, Ninja's async
    operations): ``(caller, claims)`` or ``BearerError``.

    With this process's keys fresh (every request after the first, until
    ``JWKS_CACHE_TTL``) it runs on the event loop: no thread, no I/O.
    """
    scheme, token = _credentials(request)
    with _bearer_errors(scheme):
        verifier = api_verifier(request)
        key_bound = _dispatch(verifier.dpop_mode, scheme)
        claims = await verifier.averify(token, key_bound=key_bound)
        if key_bound:
            # Claiming the proof's jti writes to the shared cache: a thread.
            check = sync_to_async(_check_proof, thread_sensitive=False)
            await check(request, verifier, token, claims)
        return await verifier.acaller(claims), claims


@contextmanager
def _bearer_errors(scheme: str) -> Iterator[None]:
    """Verification failures as ``BearerError`` (logged once) or, for the
    settings, ``ImproperlyConfigured``."""
    try:
        yield
    except AuthResponseError as error:
        log_rejection(error, "API request")
        raise BearerError(
            401, "invalid_token", _GENERIC_DESCRIPTION, scheme=scheme
        ) from error
    except AuthConfigurationError as error:
        raise ImproperlyConfigured(error.detail or str(error)) from error
    except SocialAuthBaseException as error:  # the JWKS could not be fetched
        log_rejection(error, "API request")
        raise UNAVAILABLE.fresh() from error


def _dispatch(mode: str, scheme: str) -> bool:
    """Whether the request is a DPoP one, as ``API_DPOP`` lets ``scheme`` in."""
    if scheme == "Bearer":
        if mode == "required":
            logger.warning("Auth0 API request rejected: a bearer token (DPoP required)")
            raise BearerError(
                401, "invalid_token", "A DPoP-bound token is required", scheme="DPoP"
            )
        return False
    if mode == "disabled":
        raise NO_TOKEN.fresh()  # as any other scheme: unknown here
    return True


def _check_proof(
    request: HttpRequest, verifier: _ApiVerifier, token: str, claims: dict[str, Any]
) -> None:
    """Check the request's DPoP proof for ``token`` (``jwt/dpop.py``)."""
    proof = _proof(request)
    rules = verifier.proof_rules
    now = clock.current_time()
    try:
        dpop.check_proof(
            proof,
            method=str(request.method),
            url=_request_url(request),
            access_token=token,
            token_claims=claims,
            now=now,
            rules=rules,
        )
    except dpop.ProofRejected as error:
        raise _proof_error(error, rules, now) from None
    except dpop.ReplayStoreUnavailable:
        raise UNAVAILABLE.fresh() from None


def _proof_error(
    error: dpop.ProofRejected, rules: dpop.ProofRules, now: float
) -> BearerError:
    # repr, cut: the detail may quote a value the client sent.
    logger.warning(
        "Auth0 API request rejected: DPoP %s: %s",
        error.error,
        repr(error.detail)[:200],
    )
    if error.error == "use_dpop_nonce":
        nonce = rules.nonce.current(now)
        return BearerError(
            401, error.error, _NONCE_DESCRIPTION, scheme="DPoP", nonce=nonce
        )
    description = (
        _GENERIC_DESCRIPTION if error.error == "invalid_token" else _PROOF_DESCRIPTION
    )
    return BearerError(401, error.error, description, scheme="DPoP")


def check_scopes(
    granted: frozenset[str],
    required: Iterable[str],
    claims: Mapping[str, Any] | None = None,
) -> None:
    """Raise a 403 ``insufficient_scope`` naming every scope ``required``, in
    the challenge of the token's scheme (only a DPoP request passes with ``cnf``)."""
    needed = tuple(required)
    if not granted.issuperset(needed):
        raise BearerError(
            403,
            "insufficient_scope",
            "The access token does not grant the scope this request needs",
            scope=" ".join(needed),
            scheme="DPoP" if claims and "cnf" in claims else "Bearer",
        )


def _error_response(error: BearerError, request: HttpRequest) -> HttpResponse:
    """The RFC 6750 answer to ``error``: status, challenge, small JSON body."""
    body = {"error": error.error} if error.error else {}
    body["error_description"] = error.description
    response = JsonResponse(body, status=error.status)
    if error.status in (401, 403, 400):
        response["WWW-Authenticate"] = challenge(error, request)
    if error.nonce:
        response["DPoP-Nonce"] = error.nonce
    if error.status == 503:
        response["Retry-After"] = str(RETRY_AFTER)
    return response


def challenge(error: BearerError, request: HttpRequest) -> str:
    """``WWW-Authenticate`` for ``error``: the realm, the schemes ``API_DPOP``
    takes and, with ``API_RESOURCE_METADATA``, the metadata URL (RFC 9728
    section 5.1)."""
    metadata = resource_metadata.challenge_url(request) if error.status == 401 else None
    try:
        verifier = api_verifier(request)
    except (ImproperlyConfigured, SocialAuthBaseException):
        return error.challenge(realm(request), metadata_url=metadata)
    return error.challenge(verifier.realm, verifier.dpop_mode, metadata)


def realm(request: HttpRequest) -> str:
    """The ``realm`` of the challenge (``API_REALM``), whatever else is wrong."""
    try:
        return api_verifier(request).realm
    except (ImproperlyConfigured, SocialAuthBaseException):
        pass
    try:  # the site's backend (a per-site subclass), as the verifier asks
        value = backend_for(request).setting("API_REALM")
    except (ImproperlyConfigured, SocialAuthBaseException):
        value = conf.setting("API_REALM", request=request)
    return str(value or _API_REALM)


# -- the decorator ---------------------------------------------------------------


def _protect(request: HttpRequest, scopes: tuple[str, ...]) -> None:
    _admit(request, scopes, *authenticate(request))


async def _aprotect(request: HttpRequest, scopes: tuple[str, ...]) -> None:
    _admit(request, scopes, *await aauthenticate(request))


def _admit(
    request: HttpRequest, scopes: tuple[str, ...], caller: Any, claims: dict[str, Any]
) -> None:
    granted = (
        caller.scopes
        if isinstance(caller, Auth0Principal)
        else api_verifier(request).granted_scopes(claims)
    )
    check_scopes(granted, scopes, claims)
    request.user = caller
    request.auth0_claims = claims  # type: ignore[attr-defined]


def token_required(view: _ViewT | None = None, *, scopes: Iterable[str] = ()) -> Any:
    """Let a view through only with a valid Auth0 access token for the API.

    ``request.auth0_claims`` holds the verified claims and ``request.user`` the
    caller (see ``API_LINKED_USER``). Errors are RFC 6750 responses, never a
    login redirect. The view is CSRF-exempt and exempt from
    ``LoginRequiredMiddleware``: no cookie authenticates it.
    """
    required = (scopes,) if isinstance(scopes, str) else tuple(scopes)

    def decorate(func: _ViewT) -> _ViewT:
        if iscoroutinefunction(func):
            wrapper = _async_wrapper(func, required)
        else:
            wrapper = _sync_wrapper(func, required)
        wrapper.csrf_exempt = True
        wrapper.login_required = False
        setattr(wrapper, MARKER, required)
        return cast("_ViewT", wrapper)

    return decorate(view) if view is not None else decorate


def _sync_wrapper(func: Callable[..., Any], required: tuple[str, ...]) -> Any:
    @functools.wraps(func)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        try:
            _protect(request, required)
        except BearerError as error:
            return _error_response(error, request)
        return func(request, *args, **kwargs)

    return wrapper


def _async_wrapper(func: Callable[..., Any], required: tuple[str, ...]) -> Any:
    @functools.wraps(func)
    async def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        try:
            await _aprotect(request, required)
        except BearerError as error:
            return _error_response(error, request)
        return await func(request, *args, **kwargs)

    return wrapper


__all__ = ["Auth0Principal", "aauthenticate", "token_required"]
