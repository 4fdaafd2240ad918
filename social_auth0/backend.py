"""``Auth0OAuth2``: the python-social-auth backend for an Auth0 tenant.

The backend declares URLs and parameters and delegates: token rules live in
``jwt/``, one login's rules in ``login/``, defaults and validators in
``conf.py``. Settings are ``SOCIAL_AUTH_AUTH0_*``, read through
``self.setting()`` at call time, never at import.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import secrets
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar
from urllib.parse import urlencode

from asgiref.sync import sync_to_async
from social_core.backends.base import BaseAuth, ResponseT_co
from social_core.backends.oauth import BaseOAuth2PKCE
from social_core.exceptions import (
    AuthAssociationError,
    AuthCanceled,
    AuthConfigurationError,
    AuthPolicyError,
    AuthResponseError,
    ErrorStage,
    SocialAuthBaseException,
)

from . import clock, conf, outbound
from .cache import PROCESS_LOCAL, SharedCache
from .conf import Tenant, require_app_installed
from .errors import log_rejection, token_error
from .jwt import assertion, proof
from .jwt.claims import PARSING_ERRORS, TokenRejected, check_subject, display_value
from .jwt.compact import MAX_LOGOUT_TOKEN_LENGTH
from .jwt.keys import IssuerKeys, TenantKeys
from .jwt.verify import verify_access_token, verify_id_token, verify_logout_token
from .login import par as login_par
from .login import record as login_record
from .login import transaction as login_transaction
from .login.roles import roles_of
from .signals import login_tokens

if TYPE_CHECKING:
    from django.http import HttpRequest
    from requests import Response
    from social_core.storage import UserProtocol

logger = logging.getLogger(__name__)
T = TypeVar("T")

# Token-endpoint fields: never kept in extra_data (STORE_TOKENS: user_tokens/).
_TOKEN_FIELDS = (
    "access_token",
    "id_token",
    "refresh_token",
    "token_type",
    "expires_in",
    "dpop_jkt",
)
# What a subclass may override to answer per request (a per-site backend):
# then nothing derived from settings is kept for the process.
_SETTINGS_METHODS = (
    "setting",
    "base_url",
    "client_id",
    "leeway",
    "max_age",
    "shared_cache",
    "jwks_url",
    "id_token_issuer",
    "_seconds_setting",
    "tenant",
    "_resolve_tenant",
    "tenant_keys",
    "_build_keys",
    "domains",
    "_resolve_domains",
    "_id_token_rules",
)


class Auth0OAuth2(BaseOAuth2PKCE[ResponseT_co]):
    """Auth0 login: authorization code + PKCE, verified RS256 ID token."""

    name = "auth0"
    title = "Auth0"
    icon = "auth0.svg"
    # social-core's built-in auth0 backend stores rows with id_key "user_id"
    # (social_django 8's migrations set it on existing rows): keep it, so a
    # site switching backends keeps its users.
    ID_KEY = "user_id"
    # Keys other Auth0 integrations stored the same ``sub`` under: "id" is
    # social-core's default ID_KEY, which the hand-written Auth0(BaseOAuth2) of
    # Auth0's 2017/2019 quickstarts inherits; "sub" is the claim's own name.
    # social-core's social_user finds such rows (and unkeyed ones) and
    # migrates them to ID_KEY; see allow_unverified_legacy_uid_migration.
    LEGACY_ID_KEYS = ("id", "sub")
    # Auth0 matches Allowed Callback URLs exactly: no ?redirect_state=.
    REDIRECT_STATE = False
    STATE_PARAMETER = True
    DEFAULT_SCOPE = ["openid", "profile", "email"]
    SCOPE_SEPARATOR = " "
    EXTRA_DATA = [
        ("picture", "picture"),
        ("email_verified", "email_verified"),
        ("org_id", "org_id"),  # the organization of the last login (or None)
        ("org_name", "org_name"),
    ]
    # PKCE is always on, with S256: the only values USE_PKCE and
    # PKCE_CODE_CHALLENGE_METHOD may have ('plain' sends the verifier in clear).
    DEFAULT_USE_PKCE = True
    # social-core stamps extra_data["auth_time"] at every login, which made
    # every login re-save the association. A login that changes nothing else
    # there refreshes the stamp only when it is older than this (seconds).
    AUTH_TIME_RESOLUTION = 3600
    PKCE_DEFAULT_CODE_CHALLENGE_METHOD = "S256"

    # The defaults and bounds of the settings below: their home is conf.
    LEEWAY = conf.LEEWAY
    MAX_AGE = conf.MAX_AGE
    SHARED_CACHE = conf.SHARED_CACHE
    JWKS_CACHE_TTL = conf.JWKS_CACHE_TTL
    JWKS_REFETCH_INTERVAL = conf.JWKS_REFETCH_INTERVAL
    SECONDS_MINIMUMS: ClassVar[dict[str, int]] = conf.SECONDS_MINIMUMS
    SECONDS_MAXIMUMS: ClassVar[dict[str, int]] = conf.SECONDS_MAXIMUMS
    MIN_AUTHENTICATION_WINDOW = conf.MIN_AUTHENTICATION_WINDOW
    LOGOUT_ENDPOINT = conf.LOGOUT_ENDPOINT
    LOGOUT_ENDPOINTS = conf.LOGOUT_ENDPOINTS
    ROLES_TOKEN = conf.ROLES_TOKEN
    ROLES_TOKENS = conf.ROLES_TOKENS
    # Auth0's `name` is the email for database users: never split it into
    # first/last names unless a site opts in (social_names reads this).
    SETTING_DEFAULTS: dict[str, object] = {"FIRSTLAST_FROM_FULL": False}
    # The thumbprint of the DPoP key the last token request signed with.
    dpop_jkt_sent: str | None = None

    def setting(self, name: str, default: Any = None) -> Any:
        """Read ``SOCIAL_AUTH_AUTH0_<name>`` (social-core's order; conf's memo)."""
        default = self.SETTING_DEFAULTS.get(name, default)
        return conf.lookup(self.strategy, self, name, default)

    def invalid_setting(self, name: str, error: ValueError) -> AuthConfigurationError:
        """The configuration error for setting ``name``, which a validator refused."""
        return AuthConfigurationError(
            self,
            f"SOCIAL_AUTH_AUTH0_{name} {error}",
            code="invalid_setting",
            parameter=name,
        )

    # URLs -----------------------------------------------------------------

    def base_url(self) -> str:
        """The tenant's base URL from ``DOMAIN`` (its identity: uids, the
        default issuer); ``domain_in_use()`` is where this login or call goes."""
        try:
            return conf.normalize_domain(self.setting("DOMAIN"))
        except ValueError as error:
            raise self.invalid_setting("DOMAIN", error) from error

    def authorization_url(self) -> str:
        """``{domain in use}/authorize``."""
        return f"{self.domain_in_use()}/authorize"

    def access_token_url(self) -> str:
        """``{domain in use}/oauth/token``."""
        return f"{self.domain_in_use()}/oauth/token"

    def jwks_url(self) -> str:
        """``{domain in use}/.well-known/jwks.json``."""
        return f"{self.domain_in_use()}/.well-known/jwks.json"

    def userinfo_url(self) -> str:
        """``{domain in use}/userinfo``."""
        return f"{self.domain_in_use()}/userinfo"

    def id_token_issuer(self) -> str:
        """``{domain in use}/``: Auth0's issuer ends with a slash."""
        return f"{self.domain_in_use()}/"

    # Custom domains -------------------------------------------------------

    _pinned_domain: str | None = None  # use_domain()'s, for this backend object

    def domains(self) -> tuple[str, ...]:
        """The tenant's base URLs: ``DOMAIN``'s first, then ``CUSTOM_DOMAINS``."""
        return self._kept("domains", self._resolve_domains)

    def _resolve_domains(self) -> tuple[str, ...]:
        try:
            others = conf.custom_domains(self.setting("CUSTOM_DOMAINS"))
        except ValueError as error:
            raise self.invalid_setting("CUSTOM_DOMAINS", error) from error
        return tuple(dict.fromkeys((self.base_url(), *others)))

    def issuers(self) -> tuple[str, ...]:
        """The ``iss`` of each of the tenant's domains (with Auth0's slash)."""
        return tuple(f"{base}/" for base in self.domains())

    def domain_in_use(self) -> str:
        """The base URL this backend talks to: the domain a login was pinned
        to (at its start, or kept in its transaction), else ``DOMAIN``'s."""
        pinned = self._pinned_domain or login_transaction.pinned_domain(self)
        return pinned or self.base_url()

    def use_domain(self, base_url: str | None) -> None:
        """Pin this backend to one of ``domains()`` (None: back to ``DOMAIN``)."""
        if base_url is not None and base_url not in self.domains():
            raise ValueError(f"{base_url!r} is not one of the tenant's domains")
        self._pinned_domain = base_url

    def resolve_domain(self) -> str:
        """The domain a login starting now uses: ``DOMAIN_RESOLVER``'s answer
        for the request (it must be one of ``domains()``), else ``DOMAIN``'s."""
        try:
            resolver = conf.domain_resolver(self.setting("DOMAIN_RESOLVER"))
        except ValueError as error:
            raise self.invalid_setting("DOMAIN_RESOLVER", error) from error
        if resolver is None:
            return self.base_url()
        try:
            answer = resolver(getattr(self.strategy, "request", None))
        except Exception as error:  # a bug in the site's resolver: not a 500
            raise self._resolver_error(f"raised {type(error).__name__}") from error
        chosen = self._configured_domain(answer)
        if chosen is None:
            raise self._resolver_error(
                f"returned {display_value(answer, 100)}, which is neither DOMAIN "
                "nor one of CUSTOM_DOMAINS"
            )
        return chosen

    def _configured_domain(self, answer: object) -> str | None:
        """The base URL of ``answer`` if it names one of ``domains()``."""
        try:
            url = conf.normalize_domain(answer)
        except ValueError:
            return None
        return url if url in self.domains() else None

    def _resolver_error(self, what: str) -> AuthConfigurationError:
        return AuthConfigurationError(
            self,
            f"SOCIAL_AUTH_AUTH0_DOMAIN_RESOLVER {what}",
            code="invalid_setting",
            parameter="DOMAIN_RESOLVER",
            stage="begin",
        )

    # Authorization request ----------------------------------------------

    def get_scope(self) -> list[str]:
        """Default scope plus ``SCOPE``; ``openid`` always, no duplicates."""
        return list(dict.fromkeys(["openid", *super().get_scope()]))

    def auth_params(self, state: str | None = None) -> dict[str, str]:
        """PKCE S256 (enforced), a fresh nonce, ``audience`` and ``max_age``;
        the login is pinned to its domain (``resolve_domain``; a step-up, to
        the domain of the login it steps up)."""
        self.check_pkce()
        self.use_domain(login_transaction.step_up_domain(self) or self.resolve_domain())
        params: dict[str, str] = super().auth_params(state)  # type: ignore[no-untyped-call]
        audience = self.setting("AUDIENCE")
        if audience:
            params["audience"] = str(audience)
        max_age = self.max_age()
        if max_age is not None:
            params["max_age"] = str(max_age)
        # Nonce, allow-listed request parameters, organization, step-up.
        params.update(login_transaction.authorize_params(self, state, params))
        return params

    def auth_url(self) -> str:
        """The ``/authorize`` URL; with ``PUSHED_AUTHORIZATION_REQUESTS`` its
        parameters are pushed to ``/oauth/par`` first and the URL carries only
        ``client_id`` and the ``request_uri`` (``login/par.py``)."""
        url = super().auth_url()
        if not self.pushes_authorization_requests():
            return url
        return login_par.pushed_authorize_url(self, url)

    def pushes_authorization_requests(self) -> bool:
        """``PUSHED_AUTHORIZATION_REQUESTS`` (RFC 9126), validated."""
        return self._validated(
            "PUSHED_AUTHORIZATION_REQUESTS",
            conf.flag,
            conf.PUSHED_AUTHORIZATION_REQUESTS,
        )

    def state_token(self) -> str:
        """The ``state``: 256 bits drawn in one call (``strategy.random_string``
        makes one system call per character)."""
        return secrets.token_urlsafe(32)

    def create_code_verifier(self, state: str | None = None) -> str:
        """The PKCE verifier (``PKCE_CODE_VERIFIER_LENGTH`` characters, 43 by
        default), drawn in one call and kept with the state's transaction."""
        if state is None or self.ASSOCIATION_ONLY:  # no transaction: social-core's
            return super().create_code_verifier(state)
        length = self.setting(
            "PKCE_CODE_VERIFIER_LENGTH", self.PKCE_DEFAULT_CODE_VERIFIER_LENGTH
        )
        verifier = secrets.token_urlsafe(length)[:length]
        login_transaction.keep(self, state, {"code_verifier": verifier})
        return verifier

    def check_pkce(self) -> None:
        """Refuse to start a login without PKCE S256 (a system check says so too)."""
        if not self.setting("USE_PKCE", self.DEFAULT_USE_PKCE):
            raise AuthConfigurationError(
                self,
                "SOCIAL_AUTH_AUTH0_USE_PKCE must not be False",
                code="invalid_setting",
                parameter="USE_PKCE",
                stage="begin",
            )
        allowed = self.PKCE_DEFAULT_CODE_CHALLENGE_METHOD
        if self.setting("PKCE_CODE_CHALLENGE_METHOD", allowed) != allowed:
            raise AuthConfigurationError(
                self,
                f"SOCIAL_AUTH_AUTH0_PKCE_CODE_CHALLENGE_METHOD must be {allowed!r}",
                code="invalid_setting",
                parameter="PKCE_CODE_CHALLENGE_METHOD",
                stage="begin",
            )

    # Settings with validation -------------------------------------------

    def leeway(self) -> int:
        """Clock-skew allowance in seconds (``LEEWAY``)."""
        return self._seconds_setting("LEEWAY")

    def max_age(self) -> int | None:
        """``MAX_AGE`` in seconds, or None."""
        if self.setting("MAX_AGE", self.MAX_AGE) is None:
            return None
        return self._seconds_setting("MAX_AGE")

    def _seconds_setting(self, name: str) -> int:
        """A whole-seconds setting, validated by ``conf.seconds``."""
        try:
            return conf.seconds(name, self.setting(name, conf.SECONDS_DEFAULTS[name]))
        except ValueError as error:
            raise self.invalid_setting(name, error) from error

    def client_id(self) -> str:
        """``KEY``, the application's client id."""
        try:
            return conf.credential(self.setting("KEY"))
        except ValueError as error:
            raise AuthConfigurationError(
                self,
                f"SOCIAL_AUTH_AUTH0_KEY (the client id) {error}",
                code="missing_setting"
                if str(error) == "is not set"
                else "invalid_setting",
                parameter="KEY",
            ) from error

    # Client authentication ----------------------------------------------

    def client_authentication_method(self) -> str:
        """``"client_secret_post"`` or ``"private_key_jwt"`` (``conf``'s rule)."""
        try:
            return conf.client_authentication(
                self.setting("CLIENT_AUTHENTICATION"),
                secret=self.setting("SECRET"),
                key=self.setting("CLIENT_ASSERTION_KEY"),
            )
        except ValueError as error:
            raise self.invalid_setting("CLIENT_AUTHENTICATION", error) from error

    def client_authentication(self) -> dict[str, str]:
        """The form fields that authenticate this client at the tenant.

        The one place that decides: the code exchange, refreshes, ``/oauth/revoke``,
        ``/oauth/par`` and ``auth0check`` all send these, so none can forget the
        assertion or send the secret beside it. With ``private_key_jwt`` a fresh
        assertion (its own ``jti``) per call, never a secret.
        """
        client_id = self.client_id()
        if self.client_authentication_method() == "client_secret_post":
            secret = self.setting("SECRET")
            return {"client_id": client_id, "client_secret": str(secret or "")}
        return {
            "client_id": client_id,
            "client_assertion_type": assertion.ASSERTION_TYPE,
            "client_assertion": self.client_assertion(client_id),
        }

    def client_assertion(self, client_id: str) -> str:
        """A signed ``private_key_jwt`` assertion for this tenant's issuer."""
        key = self._validated("CLIENT_ASSERTION_KEY", assertion.load_private_key)
        alg = self._validated(
            "CLIENT_ASSERTION_ALG",
            assertion.check_algorithm,
            assertion.DEFAULT_ALGORITHM,
        )
        kid = self._validated("CLIENT_ASSERTION_KID", assertion.check_kid)
        # The issuer of the domain in use (Auth0: with its trailing slash).
        claims = assertion.assertion_claims(
            client_id, self.id_token_issuer(), int(clock.current_time())
        )
        return assertion.sign_assertion(key, claims, alg=alg, kid=kid)

    def _validated(
        self, name: str, validate: Callable[[object], T], default: object = None
    ) -> T:
        """Setting ``name`` through ``validate``; its refusal names the setting."""
        try:
            return validate(self.setting(name, default))
        except ValueError as error:
            raise self.invalid_setting(name, error) from error

    def use_basic_auth(self) -> bool:
        """Never: the client authenticates in the form (``client_authentication``)."""
        return False

    def auth_complete_params(self, state: str | None = None) -> dict[str, str]:
        """The code exchange's fields, authenticated by ``client_authentication``."""
        params: dict[str, str] = super().auth_complete_params(state)  # type: ignore[no-untyped-call]
        params.pop("client_secret", None)
        params.update(self.client_authentication())
        return params

    def refresh_token_params(
        self, token: str, *args: Any, **kwargs: Any
    ) -> dict[str, str]:
        """A refresh's fields, authenticated by ``client_authentication``;
        with ``audience`` and ``scope`` when given: a token for another API
        (Auth0's multi-resource refresh tokens)."""
        params = {
            "refresh_token": token,
            "grant_type": "refresh_token",
            **self.client_authentication(),
        }
        for name in ("audience", "scope"):
            if kwargs.get(name):
                params[name] = str(kwargs[name])
        return params

    def shared_cache(self) -> str:
        """The shared cache's alias (``SHARED_CACHE``, formerly ``JWKS_CACHE``)."""
        return conf.shared_cache(self.setting)

    def tenant(self) -> Tenant:
        """This request's tenant (resolved once per process for a stock strategy)."""
        return self._kept("tenant", self._resolve_tenant)

    def _kept(self, what: object, build: Callable[[], T]) -> T:
        """``build()``, kept for the process when no answer can differ per
        request: social_django's stock strategy, and this class reading its
        settings as declared here (a subclass may answer per site)."""
        if not _reads_settings_as_declared(type(self)):
            return build()
        return conf.resolved(type(self.strategy), self.name, (type(self), what), build)

    def keeps_resolved_settings(self) -> bool:
        """Whether what is derived from this backend's settings may be kept for
        the process (no answer can differ per request or per site)."""
        return conf.reads_django_settings(type(self.strategy)) and (
            _reads_settings_as_declared(type(self))
        )

    def _resolve_tenant(self) -> Tenant:
        """Read and validate what the tenant is."""
        return Tenant(
            base_url=self.base_url(),
            client_id=self.client_id(),
            leeway=self.leeway(),
            shared_cache=self.shared_cache(),
        )

    def tenant_keys(self, base_url: str | None = None) -> TenantKeys:
        """The signing keys as the domain ``base_url`` (default: the one in
        use) publishes them (built once per process for a stock strategy).

        The tenant's domains publish the same keys, but each is fetched from
        its own domain and cached under its own JWKS URL: a token's keys come
        from where its ``iss`` says, and only ever from a configured domain.
        """
        domain = base_url or self.domain_in_use()
        return self._kept(("keys", domain), lambda: self._build_keys(domain))

    def issuer_keys(self) -> IssuerKeys:
        """The keys of each configured domain by its issuer (logout tokens and
        the site's API take a token of any of them)."""
        return self._kept(
            "issuer_keys",
            lambda: IssuerKeys({f"{d}/": self.tenant_keys(d) for d in self.domains()}),
        )

    def _build_keys(self, base_url: str | None = None) -> TenantKeys:
        """A ``TenantKeys`` fetching through this backend, or through one
        holding no request when the keys are kept for the process."""
        fetcher = self
        if self.keeps_resolved_settings():
            fetcher = type(self)(type(self.strategy)(self.strategy.storage))
        return TenantKeys(
            fetcher,
            f"{base_url or self.domain_in_use()}/.well-known/jwks.json",
            cache_alias=self.shared_cache(),
            ttl=self._seconds_setting("JWKS_CACHE_TTL"),
            refetch_interval=self._seconds_setting("JWKS_REFETCH_INTERVAL"),
            wait=float(
                self.setting("REQUESTS_TIMEOUT") or self.setting("URLOPEN_TIMEOUT") or 5
            ),
        )

    # Callback ---------------------------------------------------------------

    def start(self) -> Any:
        """Redirect to ``/authorize``; a refusal is logged once, then re-raised."""
        require_app_installed()
        try:
            return super().start()
        except SocialAuthBaseException as error:
            log_rejection(error)
            raise

    def auth_complete(self, *args: Any, **kwargs: Any) -> UserProtocol | Any:
        """Complete the login; a rejection is logged once, then re-raised."""
        require_app_installed()
        try:
            result = super().auth_complete(*args, **kwargs)
        except SocialAuthBaseException as error:
            log_rejection(error)
            raise
        current = kwargs.get("user")
        if result is not None and current is not None and result == current:
            # Already logged in (a step-up): login() will not run, so the
            # user_logged_in receiver will not record what this login proved.
            login_record.record_after_pipeline(self.strategy)
        return result

    # Django's async auth (5.2+: request.auser(), aget_user(), an async view
    # under login_required, aauthenticate()) asks the session's backend for
    # these; social-core's BaseAuth has none. As Django's BaseBackend: the
    # sync method in a thread (the user lookup is the strategy's, a query).

    async def aget_user(self, user_id: Any) -> Any:
        """``get_user`` for Django's async auth."""
        return await sync_to_async(self.get_user)(user_id)

    async def aauthenticate(self, *args: Any, **kwargs: Any) -> Any:
        """``authenticate`` for Django's ``aauthenticate`` (None unless called
        as the pipeline does, with this backend and a strategy)."""
        return await sync_to_async(self.authenticate)(*args, **kwargs)

    def get_provider_error(
        self,
        data: object,
        *,
        stage: ErrorStage = "callback",
        status_code: int | None = None,
        retry_after: str | None = None,
    ) -> SocialAuthBaseException | None:
        """Classify Auth0 errors; ``access_denied`` from the token endpoint is
        Auth0's answer to a wrong client secret, not a user who cancelled."""
        error = super().get_provider_error(
            data, stage=stage, status_code=status_code, retry_after=retry_after
        )
        if isinstance(error, AuthCanceled) and stage in (
            "token_exchange",
            "refresh",
            "begin",  # a pushed authorization request (PAR)
        ):
            credential = self._credential_setting()
            return AuthConfigurationError(
                self,
                "the tenant refused the client credentials: "
                f"check SOCIAL_AUTH_AUTH0_{credential} (and KEY)",
                code="invalid_setting",
                parameter=credential,
                stage=stage,
                provider_code=error.provider_code,
                status_code=status_code,
            )
        if isinstance(error, AuthConfigurationError) and (
            error.provider_code == "invalid_client"
        ):
            error.parameter = self._credential_setting()  # e.g. a refused assertion
        return error

    def _credential_setting(self) -> str:
        """The setting holding the client's credential (for an error message)."""
        try:
            method = self.client_authentication_method()
        except AuthConfigurationError:
            return "SECRET"
        return "CLIENT_ASSERTION_KEY" if method == "private_key_jwt" else "SECRET"

    def user_data(self, access_token: str, *args: Any, **kwargs: Any) -> dict[str, Any]:
        """The verified ID-token claims (plus ``/userinfo`` when ``USERINFO``)."""
        response = kwargs.get("response") or {}
        claims = self.verify_id_token(response.get("id_token"))
        login_transaction.verify_callback(
            self, claims
        )  # organization, max_age, step-up
        # What the login proved, and what logout needs: the session's once
        # the login completes (sessions.py, at user_logged_in).
        login_record.leave_pending(
            self.strategy, login_record.record_from_claims(claims)
        )
        if self.setting("USERINFO", False):
            claims = self.merge_userinfo(
                claims, access_token, dpop_jkt=response.get("dpop_jkt")
            )
        return claims

    def verify_id_token(self, id_token: object) -> dict[str, Any]:
        """Verify the ID token of this login against every rule of OIDC 3.1.3.7."""
        if id_token is None:
            raise token_error(
                self,
                "token response has no id_token",
                code="missing_claim",
                claim="id_token",
            )
        tenant, max_age = self._id_token_rules()
        # The domain this login was pinned to: its keys, and its issuer only
        # (the tenant's domains share keys: iss is what tells them apart).
        claims = verify_id_token(
            self,
            id_token,
            self.tenant_keys().lookup,
            issuer=self.id_token_issuer(),
            client_id=tenant.client_id,
            nonce=login_transaction.expected_nonce(self),
            leeway=tenant.leeway,
            max_age=max_age,
        )
        self._verified_id_token = (id_token, claims)  # for get_user_details
        return claims

    def _id_token_rules(self) -> tuple[Tenant, int | None]:
        """The tenant and ``MAX_AGE``: one memo read per login for a stock
        strategy (kept like the tenant)."""
        return self._kept("id_token", lambda: (self.tenant(), self.max_age()))

    def verify_refreshed_id_token(self, id_token: object) -> dict[str, Any]:
        """Verify an ID token a refresh answered with, like a login's: the same
        keys, issuer, audience and times; no nonce (OIDC Core 12.2: a refresh
        answers no authorization request) and no ``max_age``."""
        tenant = self.tenant()
        return verify_id_token(
            self,
            id_token,
            self.tenant_keys().lookup,
            issuer=self.id_token_issuer(),
            client_id=tenant.client_id,
            nonce=None,
            nonce_required=False,
            leeway=tenant.leeway,
        )

    def verify_api_access_token(self, token: object, audience: str) -> dict[str, Any]:
        """Verify an access token a refresh got for the API ``audience``
        (Auth0's multi-resource refresh tokens): the tenant's keys, ``iss``,
        times, ``azp`` our client, and ``aud`` containing ``audience``; ``iss``
        is the domain's the exchange went to (``domain_in_use``)."""
        tenant = self.tenant()
        return verify_access_token(
            self,
            token,
            self.tenant_keys().lookup,
            issuer=self.id_token_issuer(),
            client_id=tenant.client_id,
            audience=audience,
            leeway=tenant.leeway,
        )

    def verify_access_token(
        self, token: object, subject: object = None
    ) -> dict[str, Any]:
        """Verify the login's access token, issued for ``AUDIENCE``.

        Its rules differ from an ID token's: RS256 from the same key cache,
        ``iss``, ``exp``, ``aud`` containing ``AUDIENCE``, ``azp`` the client
        id, no nonce; and its ``sub`` must be ``subject`` (the ID token's), so
        what it grants lands on the right user.
        """
        audience = self.setting("AUDIENCE")
        if not audience:
            raise AuthConfigurationError(
                self,
                "SOCIAL_AUTH_AUTH0_AUDIENCE is needed to verify the access token "
                f"(ROLES_TOKEN = {self.setting('ROLES_TOKEN')!r})",
                code="missing_setting",
                parameter="AUDIENCE",
                stage="token_validation",
            )
        tenant = self.tenant()
        claims = verify_access_token(
            self,
            token,
            self.tenant_keys().lookup,
            issuer=self.id_token_issuer(),
            client_id=tenant.client_id,
            audience=str(audience),
            leeway=tenant.leeway,
        )
        if claims["sub"] != subject:
            raise token_error(
                self,
                "access token sub differs from the ID token's",
                code="invalid_claim",
                claim="sub",
            )
        return claims

    def merge_userinfo(
        self, claims: dict[str, Any], access_token: str, dpop_jkt: str | None = None
    ) -> dict[str, Any]:
        """Add ``/userinfo`` claims; its ``sub`` must be the ID token's (OIDC 5.3.2).

        A DPoP-bound token (``dpop_jkt``) goes as ``DPoP`` with a proof."""
        headers = {"Authorization": f"Bearer {access_token}"}
        if dpop_jkt:  # the login's token: bound to DPOP_KEY
            key = self.dpop_key()
            proven = key.proof("GET", self.userinfo_url(), access_token=access_token)
            headers = {"Authorization": f"DPoP {access_token}", "DPoP": proven}
        userinfo = self.get_json(self.userinfo_url(), headers=headers)
        if not isinstance(userinfo, dict):
            raise AuthResponseError(self, code="malformed_response", stage="user_info")
        try:
            check_subject(userinfo)
        except TokenRejected as rejection:
            raise rejection.error(self, stage="user_info") from None
        if userinfo["sub"] != claims["sub"]:
            raise token_error(
                self,
                "userinfo sub differs from the ID token's",
                code="invalid_claim",
                claim="sub",
                stage="user_info",
            )
        return {**userinfo, **claims}

    # Logout -------------------------------------------------------------------

    def logout_url(
        self, return_to: str, sid: str | None = None, issuer: str | None = None
    ) -> str:
        """Auth0's logout URL, returning to ``return_to`` (an Allowed Logout URL).

        ``LOGOUT_ENDPOINT = "oidc"`` (default): OIDC RP-initiated logout with
        ``logout_hint`` = the Auth0 session id; ``"v2"``: ``/v2/logout``. At
        the domain of ``issuer`` (the session's login) when it is one of the
        tenant's, else the domain in use.
        """
        try:
            endpoint = conf.logout_endpoint(
                self.setting("LOGOUT_ENDPOINT", conf.LOGOUT_ENDPOINT)
            )
        except ValueError as error:
            raise self.invalid_setting("LOGOUT_ENDPOINT", error) from error
        params = {"client_id": self.client_id()}
        if endpoint == "oidc":
            params["post_logout_redirect_uri"] = return_to
            if sid:
                params["logout_hint"] = sid
        else:
            params["returnTo"] = return_to
        if self.setting("LOGOUT_FEDERATED", False):
            params["federated"] = ""  # also end the upstream IdP's session
        path = "oidc/logout" if endpoint == "oidc" else "v2/logout"
        base = issuer[:-1] if issuer in self.issuers() else self.domain_in_use()
        return f"{base}/{path}?{urlencode(params)}"

    def verify_logout_token(self, token: object) -> dict[str, Any]:
        """Verify a back-channel logout token (from any of the tenant's
        domains: its ``iss`` picks that domain's keys, no other is fetched)
        and refuse a replayed ``jti``."""
        tenant = self.tenant()
        try:
            issuer, keys = self.issuer_keys().route(token, MAX_LOGOUT_TOKEN_LENGTH)
        except TokenRejected as failure:
            raise failure.error(self) from None
        claims = verify_logout_token(
            self,
            token,
            keys.lookup,
            issuer=issuer,
            client_id=tenant.client_id,
            leeway=tenant.leeway,
        )
        self.claim_logout_jti(claims, tenant)
        return claims

    def claim_logout_jti(
        self, claims: dict[str, Any], tenant: Tenant | None = None
    ) -> None:
        """Record the token's ``jti`` in the shared cache; a second use fails.

        Kept until the token expires (plus leeway): after that ``exp`` refuses it.
        """
        digest = hashlib.sha256(f"{claims['iss']} {claims['jti']}".encode()).hexdigest()
        tenant = tenant or self.tenant()
        lifetime = max(int(claims["exp"] - clock.current_time()) + tenant.leeway, 1)
        alias = tenant.shared_cache
        # With the shared cache down, a replay is still refused by the process
        # that saw the token; refusing every token instead would drop logouts.
        cache = SharedCache(
            alias,
            "logout-token jti",
            consequence="a replayed logout token is refused only by the process "
            "that saw it first",
            fallback=PROCESS_LOCAL,
        )
        if not cache.add(f"social_auth0:logout-jti:{digest}", 1, timeout=lifetime):
            raise token_error(
                self,
                "logout token jti was used before (replay)",
                code="invalid_claim",
                claim="jti",
            )

    # Requests to the tenant and its answers ----------------------------------

    def request(self, url: str, *args: Any, **kwargs: Any) -> Response:
        """social-core's ``request``, guarded (``outbound.py``): no redirect
        followed, a total deadline, a bounded body. ``first_answer=True``
        returns the first response whatever its status. A token request
        carries a DPoP proof when one is due (``dpop_key_for``)."""
        send = functools.partial(outbound.send, super().request, self, url, *args)
        key = self.dpop_key_for(url, kwargs.get("method", "GET"))
        if key is None:
            return send(**kwargs)
        self.dpop_jkt_sent = key.jkt
        return proof.send_with_proof(send, key, kwargs)

    def dpop_key_for(self, url: str, method: str) -> proof.ClientKey | None:
        """The key a POST to the token endpoint signs a DPoP proof with: the
        key a refreshed token is bound to, else ``DPOP_KEY`` with ``DPOP``."""
        if method != "POST" or url != self.access_token_url():
            return None
        bound = proof.bound_key.get()
        if bound is not None:
            return bound
        return self.dpop_key() if self.setting("DPOP", False) else None

    def dpop_key(self) -> proof.ClientKey:
        """``DPOP_KEY``, loaded (a configuration error names it if unusable)."""
        try:
            return proof.load_key(self.setting("DPOP_KEY"))
        except ValueError as error:
            raise self.invalid_setting("DPOP_KEY", error) from None

    def with_binding(self, data: dict[str, Any], stage: ErrorStage) -> dict[str, Any]:
        """A token answer to a request with a DPoP proof, noting the key its
        token is bound to (``dpop_jkt``); Auth0 may answer a Bearer token
        (DPoP not enabled for the application or API): used as one, logged."""
        jkt, self.dpop_jkt_sent = self.dpop_jkt_sent, None
        if jkt is None or "access_token" not in data:
            return data
        if str(data.get("token_type", "")).lower() == "dpop":
            return {**data, "token_type": "DPoP", "dpop_jkt": jkt}
        logger.warning(
            "A DPoP proof was sent to the token endpoint (%s) but Auth0 issued "
            "a %s token: it is used as a bearer token",
            stage,
            data.get("token_type"),
        )
        return data

    def request_access_token(self, *args: Any, **kwargs: Any) -> dict[Any, Any]:
        """social-core's token exchange; the answer's fields have Auth0's types."""
        response = super().request_access_token(*args, **kwargs)
        stage = kwargs.get("stage", "token_exchange")
        return self.with_binding(
            outbound.check_token_response(self, response, stage), stage
        )

    def process_refresh_token_response(
        self, response: Response, *args: Any, **kwargs: Any
    ) -> dict[Any, Any]:
        """A refresh answer, parsed and checked like a login's."""
        data = outbound.parse_json(self, response, "refresh")
        return self.with_binding(
            outbound.check_token_response(self, data, "refresh"), "refresh"
        )

    def get_json(self, url: str, *args: Any, **kwargs: Any) -> dict[Any, Any]:
        """social-core's ``get_json``; a body too deeply nested or too large to
        parse is a malformed response too (social-core catches ValueError only,
        so ``[[[...`` from the token endpoint would be a 500)."""
        try:
            return super().get_json(url, *args, **kwargs)
        except PARSING_ERRORS as error:
            raise AuthResponseError(
                self,
                f"response could not be parsed ({type(error).__name__})",
                code="malformed_response",
                stage=kwargs.get("stage", "user_info"),
            ) from None

    # User details and storage --------------------------------------------

    def get_user_details(self, response: dict[str, Any]) -> dict[str, Any]:
        """Map verified claims to social-core's details (never splitting ``name``).

        ``email`` is the address only when Auth0 verified it (``email_verified``
        the JSON ``true``), else None: an unproven address never reaches a user
        row, an allow-list or a linking step (anyone can sign up at a database
        connection with anyone's address). The claim itself stays in ``response``.
        """
        response = self.claims_for_details(response)
        verified = response.get("email_verified") is True
        email = _string_or_none(response.get("email"))
        name = _string_or_none(response.get("name"))
        return {
            "user_id": response["sub"],
            "username": self.username_from(response, email or ""),
            "email": email if verified else None,
            "email_verified": verified,
            # Auth0 sets `name` to the email for database users: not a name.
            "fullname": name if name and "@" not in name else None,
            "first_name": _string_or_none(response.get("given_name")),
            "last_name": _string_or_none(response.get("family_name")),
            "picture": _string_or_none(response.get("picture")),
        }

    def claims_for_details(self, response: dict[str, Any]) -> dict[str, Any]:
        """The claims to map: ``response`` itself when it carries them (what
        ``user_data`` answered, merged into the token response by social-core).

        Given the token endpoint's answer alone (social-core's callers and
        tests pass one), its ID token's claims if this backend verified that
        token during the login; never an unverified token's claims.
        """
        if "sub" in response:
            return response
        verified = getattr(self, "_verified_id_token", None)
        token = response.get("id_token")
        if verified is not None and token is not None and verified[0] == token:
            return {**response, **verified[1]}
        raise AuthResponseError(
            self,
            "get_user_details takes verified ID-token claims (what user_data "
            "answers): this response has no 'sub' and its id_token was not "
            "verified by this backend",
            code="missing_claim",
            claim="sub",
            stage="user_info",
        )

    @staticmethod
    def username_from(claims: dict[str, Any], email: str) -> str:
        """``nickname``, else the email's local part, else derived from ``sub``."""
        nickname = claims.get("nickname")
        if isinstance(nickname, str) and nickname.strip():
            return nickname.strip()
        if email and "@" in email:
            return email.split("@", 1)[0]
        return str(claims["sub"]).replace("|", "_")

    def auth_allowed(self, response: Any, details: dict[str, Any]) -> bool:
        """social-core's allow-lists, matched against a verified email only.

        ``WHITELISTED_EMAILS``/``WHITELISTED_DOMAINS`` admit an address, so the
        address must be proven: an outsider who signs up as ``ceo@company.com``
        and never verifies it is refused here, with the reason, instead of
        being let into a site restricted to ``company.com``.
        """
        lists = [
            name
            for name in ("WHITELISTED_EMAILS", "WHITELISTED_DOMAINS")
            if self.setting(name)
        ]
        if lists and response.get("email_verified") is not True:
            raise AuthPolicyError(
                self,
                f"{' and '.join(lists)} admit only a verified email; "
                "this login's email_verified is not true",
                code="authentication_disallowed",
                claim="email_verified",
                parameter=lists[0],
                stage="pipeline",
            )
        return super().auth_allowed(response, details)

    def get_user_groups(self, response: Any) -> list[str] | None:
        """The user's roles (``ROLES_CLAIM``), so social-core's ``ALLOW_GROUPS``
        works; unknown roles (an absent or malformed claim) allow nothing."""
        if not self.setting("ROLES_CLAIM"):
            return None
        return roles_of(self, response) or []

    def get_user_id(self, details: dict[str, Any], response: dict[str, Any]) -> Any:
        """The identity of the ``sub`` claim at this tenant, stored under
        ``user_id`` like social-core's backend (``identity_uid``)."""
        return self.identity_uid(str(self.get_user_id_from_sources(details)))

    def identity_uid(self, sub: str) -> str:
        """The ``uid`` of (this tenant's issuer, ``sub``): the bare ``sub`` for
        the tenant ``settings.py`` names, issuer-qualified for another one."""
        return conf.identity_uid(self.tenant().issuer, sub, self.name)

    def id_key(self) -> str:
        """``user_id``: ``ID_KEY`` may only say so (a system check refuses
        others: an Auth0 identity is its tenant and ``sub``, nothing else)."""
        configured = self.setting("ID_KEY")
        if configured not in (None, "", self.ID_KEY):
            raise AuthConfigurationError(
                self,
                f"SOCIAL_AUTH_AUTH0_ID_KEY must be unset or {self.ID_KEY!r} "
                f"(is {configured!r}): the uid is always the ID token's sub",
                code="invalid_setting",
                parameter="ID_KEY",
                stage="pipeline",
            )
        return self.ID_KEY

    # Associations other integrations wrote ---------------------------------

    def get_user_id_for_key(
        self, details: dict[str, Any], response: dict[str, Any], id_key: str
    ) -> Any:
        """The identity's uid for ``ID_KEY`` and each of ``LEGACY_ID_KEYS`` (all
        held the ``sub``; another tenant's is issuer-qualified, so a legacy row
        of the ``settings.py`` tenant is never another tenant's); a key
        configured in ``LEGACY_ID_KEYS`` reads the claim it names."""
        if id_key in (self.ID_KEY, *self.LEGACY_ID_KEYS):
            sub = self.get_user_id_from_sources(details, response, id_key="user_id")
            return self.identity_uid(str(sub))
        return super().get_user_id_for_key(details, response, id_key)

    def allow_unverified_legacy_uid_migration(
        self, old_id_key: str, id_key: str
    ) -> bool:
        """Migrate a row keyed ``""``, ``"id"`` or ``"sub"`` whose ``uid`` is this
        login's ``sub``: for Auth0 that ``uid`` can only be this user's.

        social-core asks for stored evidence (``extra_data[ID_KEY]``) that no
        other Auth0 integration wrote. It is not needed here: the row was found
        by ``uid`` equal to the ``sub`` of a verified ID token, and a ``sub`` is
        unique per tenant, assigned by Auth0 and prefixed with its connection
        (``auth0|…``, ``google-oauth2|…``), never chosen by a user, which is
        what each of these integrations stored as ``uid``. A site whose old rows
        hold something else (another tenant's users, a user-chosen value) sets
        ``SOCIAL_AUTH_AUTH0_ALLOW_UNVERIFIED_LEGACY_UID_MIGRATION = False``.
        """
        default = old_id_key in ("", *self.LEGACY_ID_KEYS) and id_key == self.ID_KEY
        return bool(self.setting("ALLOW_UNVERIFIED_LEGACY_UID_MIGRATION", default))

    def get_legacy_social_auth(
        self,
        uid: str,
        id_key: str,
        response: dict[str, Any],
        user: UserProtocol | None = None,
    ) -> Any:
        """None, but refuse a row holding this ``uid`` under an unknown ``id_key``.

        Whose ``uid`` a row keyed e.g. ``"nickname"`` holds is unknown (a value
        its user chose), so it is not migrated; without this refusal the login
        would create a user and then fail on the (provider, uid) unique
        constraint: an IntegrityError (a 500) and an orphan user. A row under
        ``id_key`` itself is no legacy row: a concurrent first login committed
        it after ``social_user`` looked (the creating step continues as its user).
        """
        found = self.strategy.storage.user.get_social_auth(self.name, uid, id_key=None)
        if found is None or found.id_key == id_key:
            return None
        migrated = ["", *self.LEGACY_ID_KEYS]
        raise AuthAssociationError(
            self,
            f"association #{found.pk} holds this sub under id_key {found.id_key!r}, "
            f"which is neither this backend's {id_key!r} nor one it migrates "
            f"({', '.join(map(repr, migrated))}); if its uid is this user's "
            f"Auth0 sub, set its id_key to {id_key!r}",
            code="identifier_migration_conflict",
            stage="pipeline",
        )

    def extra_data(
        self,
        user: Any,
        uid: str,
        response: dict[str, Any],
        details: dict[str, Any],
        pipeline_kwargs: dict[str, Any],
    ) -> dict[str, Any]:
        """``picture``, ``email_verified``; never a token.

        Skips ``OAuthAuth.extra_data``, which always stores the access token.
        With ``STORE_TOKENS`` the tokens go to ``Auth0Token``, encrypted
        (``user_tokens/``); plaintext ones an older backend left here are removed.
        Empty (nothing to save) when the association holds it all already.
        """
        if isinstance(response, _StoredTokensRefresh):  # social.refresh_token()
            return self.refresh_stored_tokens(user)
        data = BaseAuth.extra_data(self, user, uid, response, details, pipeline_kwargs)
        for name in _TOKEN_FIELDS:  # GET_ALL_EXTRA_DATA would copy them too
            data.pop(name, None)
        # Names this login in its session record and on its stored tokens:
        # only this login's logout revokes them, never an older session's.
        stamp = login_record.token_stamp(self.strategy)
        if not login_record.add_to_pending(
            self.strategy, **{login_record.TOKEN_STAMP: stamp}
        ):
            stamp = ""
        login_tokens.send(
            sender=type(self),
            backend=self,
            user=user,
            uid=uid,
            response=response,
            social=pipeline_kwargs.get("social"),
            stamp=stamp,
        )
        social = pipeline_kwargs.get("social")
        if social is not None and self.already_stored(social.extra_data, data):
            return {}  # social-core's set_extra_data then saves nothing
        return data

    # Stored tokens (STORE_TOKENS) ------------------------------------------

    def disconnect(self, *args: Any, **kwargs: Any) -> Any:
        """social-core's disconnect; then the stored tokens of each identity
        it removed are deleted and their refresh tokens revoked (this site's
        tenant), so nothing keeps working for an identity that is gone."""
        out = super().disconnect(*args, **kwargs)
        if isinstance(out, dict):  # the pipeline ran to its end
            from .user_tokens.revocation import revoke_identity_tokens

            for entry in out.get("entries") or ():
                revoke_identity_tokens(self, entry.user_id, entry.uid)
        return out

    def get_refresh_token(self, extra_data: dict[str, Any]) -> str | None:
        """``social.refresh_token(strategy)``: tokens are not in ``extra_data``.

        With ``STORE_TOKENS`` the stored tokens are refreshed (single-flight,
        when they have less than ``MIN_TTL`` left: ``refresh_stored_tokens``);
        without it there is nothing to refresh, which is an error, not a no-op.
        """
        if not self.setting("STORE_TOKENS", False):
            raise AuthConfigurationError(
                self,
                "social.refresh_token() has no tokens to refresh: social_auth0 "
                "keeps none in extra_data. Set SOCIAL_AUTH_AUTH0_STORE_TOKENS "
                "and use social_auth0.access.get_access_token(request)",
                code="missing_setting",
                parameter="STORE_TOKENS",
                stage="refresh",
            )
        return _STORED_TOKENS

    def refresh_token(self, token: str, *args: Any, **kwargs: Any) -> dict[Any, Any]:
        """Exchange ``token`` at the token endpoint (social-core's), or stand
        for the stored tokens' refresh (``get_refresh_token``)."""
        if token is _STORED_TOKENS:
            return _StoredTokensRefresh()
        return super().refresh_token(token, *args, **kwargs)

    def refresh_stored_tokens(self, user: Any) -> dict[str, Any]:
        """Make ``user``'s stored access token fresh, as ``get_access_token``
        does; nothing for ``extra_data``."""
        from .user_tokens.refresh import access_token_for

        access_token_for(self, user)
        return {}

    def already_stored(self, stored: object, data: dict[str, Any]) -> bool:
        """Whether ``stored`` holds ``data`` already, its ``auth_time`` younger
        than ``AUTH_TIME_RESOLUTION``."""
        if not isinstance(stored, dict):
            return False
        stamped = stored.get("auth_time")
        if (
            isinstance(stamped, bool)
            or not isinstance(stamped, int)
            or not 0 <= data["auth_time"] - stamped < self.AUTH_TIME_RESOLUTION
        ):
            return False
        return all(
            name == "auth_time" or (name in stored and stored[name] == value)
            for name, value in data.items()
        )


class _StoredTokensMarker(str):
    """``get_refresh_token``'s answer with STORE_TOKENS: not a token."""

    __slots__ = ()


class _StoredTokensRefresh(dict[str, Any]):
    """``refresh_token``'s answer to the marker: ``extra_data`` refreshes."""


_STORED_TOKENS = _StoredTokensMarker("social_auth0:stored-tokens")

_declared: dict[type, bool] = {}  # backend class -> reads settings as declared


def _reads_settings_as_declared(cls: type) -> bool:
    """Whether ``cls`` reads its settings with Auth0OAuth2's own methods."""
    found = _declared.get(cls)
    if found is None:
        found = _declared[cls] = all(
            getattr(cls, method) is getattr(Auth0OAuth2, method)
            for method in _SETTINGS_METHODS
        )
    return found


_HOST_KEYS = frozenset({"HTTP_HOST", "SERVER_NAME", "HTTP_X_FORWARDED_HOST"})


def backend_for(request: HttpRequest | None) -> Auth0OAuth2[Any]:
    """The ``auth0`` backend for ``request``'s strategy (settings read through
    it), with or without a session; None: the deployment's default settings.

    An API-only site need not list the backend for logins: then a plain
    ``Auth0OAuth2`` reads the same settings. Another backend named ``auth0``
    (social-core's built-in) is a configuration error, never used as ours.
    """
    from django.core.exceptions import ImproperlyConfigured
    from social_django.utils import load_backend

    # A request without a session (a task's, a signal's) still names its site;
    # one naming no host (Client.logout()'s bare HttpRequest) names none.
    if request is not None and not _HOST_KEYS.intersection(request.META):
        request = None
    strategy = conf.strategy_for(request)
    try:
        backend = load_backend(strategy, Auth0OAuth2.name, None)  # type: ignore[no-untyped-call]
    except AuthConfigurationError as error:
        if error.code != "backend_missing":
            raise
        backend = Auth0OAuth2(strategy)
    if not isinstance(backend, Auth0OAuth2):
        raise ImproperlyConfigured(
            "the 'auth0' backend in AUTHENTICATION_BACKENDS is not social_auth0's"
        )
    return backend


def _string_or_none(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


# Listed in AUTHENTICATION_BACKENDS without the app installed, the backend is
# first imported by a request (or by the URLconf at manage.py check): say so.
require_app_installed()


__all__ = ["Auth0OAuth2", "backend_for"]
