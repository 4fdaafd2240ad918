"""``Auth0Tenant``: a local Auth0 tenant on a loopback port, and its test helpers."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable
from types import TracebackType
from typing import Any

import requests

from . import browser, domains
from .apis import Api, api_token_claims, token_header
from .backchannel import is_loopback, post_logout_token
from .claims import ACCESS_TOKEN_LIFETIME, Grant, logout_token_claims
from .clientauth import JtiLedger, public_keys
from .dpop import DpopKey
from .keys import KeyRing, encode_jws
from .mfa import MFA_CODE, MfaState
from .misbehave import Misbehaviour, apply_overrides
from .organizations import Organization, Organizations
from .par import PushedRequests
from .requestlog import RequestLog, RequestRecord
from .server import TenantHTTPServer
from .state import TenantState
from .tokens import id_claims
from .transfer import SessionTransfers
from .users import Application, RefreshTokenPolicy, TenantUser
from .wire import add_query

# Bind addresses meaning "every interface" -> the loopback address that reaches them.
WILDCARD_HOSTS = {"0.0.0.0": "127.0.0.1", "": "127.0.0.1", "::": "::1"}  # noqa: S104


class Auth0Tenant:
    """An Auth0 tenant on ``http://host:port``: start with ``with`` or ``start()``.

    The constructor's ``client_id``/``client_secret``/URLs register the first
    application (none if ``client_id`` is ``None``); ``clock`` is the time seam
    used for token times and code expiry.
    """

    def __init__(
        self,
        client_id: str | None = "test-client-id",
        client_secret: str = "test-client-secret",  # noqa: S107 (a test tenant)
        callback_urls: Iterable[str] = (),
        logout_urls: Iterable[str] = (),
        users: Iterable[TenantUser] = (),
        roles_claim: str | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        backchannel_logout_urls: Iterable[str] = (),
        app_metadata_claim: str | None = None,
        clock: Callable[[], float] = time.time,
        apis: Iterable[str | Api] = (),
    ) -> None:
        self.roles_claim = roles_claim
        self.app_metadata_claim = app_metadata_claim
        self.clock = clock
        self.misbehave = Misbehaviour()
        self._dpop_key: DpopKey | None = None
        #: A nonce ``/oauth/token`` demands in DPoP proofs (400
        #: ``use_dpop_nonce`` with it as ``DPoP-Nonce`` otherwise); None: none.
        self.dpop_nonce: str | None = None
        self.applications: dict[str, Application] = {}
        self.users: dict[str, TenantUser] = {}
        #: the tenant's APIs (resource servers) by identifier
        self.apis: dict[str, Api] = {}
        self.log = RequestLog()
        self.state = TenantState(clock)
        #: Auth0 Organizations: members, invitations (organizations.py)
        self.organizations = Organizations()
        #: the MFA step (mfa.py); ``tenant.mfa.action_deployed = False``: no Action
        self.mfa = MfaState()
        #: native-to-web SSO's session transfer tokens (transfer.py)
        self.session_transfers = SessionTransfers(clock)
        #: the host names of the tenant's other (custom) domains, same port
        self.custom_hosts: list[str] = []
        #: the private_key_jwt assertions' jti seen (clientauth.py)
        self.client_auth = JtiLedger()
        #: /oauth/par (par.py); False: a tenant without the feature
        self.pushed_authorization_requests = True
        self.pushed_requests = PushedRequests(clock)
        #: (url, HTTP status or None when unreachable) of automatic back-channel logouts
        self.backchannel_deliveries: list[tuple[str, int | None]] = []
        self.keys = KeyRing(f"{host}.local-auth0-tenant")
        self._address = (host, port)
        self._server: TenantHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._base_url: str | None = None
        #: the cookie jar ``login()`` uses: it holds the tenant session cookie
        self.browser = requests.Session()
        if client_id is not None:
            self.add_application(
                Application(
                    client_id,
                    client_secret,
                    list(callback_urls),
                    list(logout_urls),
                    list(backchannel_logout_urls),
                )
            )
        for user in users:
            self.add_user(user)
        for api in apis:
            self.add_api(api)

    # -- lifecycle -------------------------------------------------------------

    def start(self) -> Auth0Tenant:
        """Bind the port and serve in a daemon thread."""
        if self._server is None:
            self._server = TenantHTTPServer(self._address, self)
            # A wildcard bind is not an address to browse to or put in an
            # issuer: it is reached through loopback.
            host = WILDCARD_HOSTS.get(self._address[0], self._address[0])
            host = f"[{host}]" if ":" in host else host  # IPv6 literal (RFC 3986)
            self._base_url = f"http://{host}:{self._server.server_port}"
            self._thread = threading.Thread(
                target=self._server.serve_forever,
                # stop() waits up to one poll interval: keep fixtures fast.
                kwargs={"poll_interval": 0.02},
                name="auth0-tenant",
                daemon=True,
            )
            self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and free the port."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        self.browser.close()

    def __enter__(self) -> Auth0Tenant:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    # -- addresses -------------------------------------------------------------

    @property
    def base_url(self) -> str:
        """``http://host:port``, no trailing slash (still known after ``stop()``):
        of the domain being served (``on_domain``, a request's ``Host``), else
        the first one."""
        served = domains.served()
        return served if served in self.domains else self.first_base_url

    @property
    def first_base_url(self) -> str:
        """The first domain's base URL (the address the tenant listens on)."""
        if self._base_url is None:
            raise RuntimeError("the tenant is not running: use 'with' or start()")
        return self._base_url

    @property
    def domains(self) -> list[str]:
        """Every domain's base URL: the first, then the custom domains."""
        port = self.first_base_url.rsplit(":", 1)[1]
        return [self.first_base_url, *(f"http://{h}:{port}" for h in self.custom_hosts)]

    def add_custom_domain(self, host: str = "localhost") -> str:
        """Serve the tenant under ``host`` too (a name that reaches the
        listening address: ``localhost`` for the default ``127.0.0.1``),
        with its own issuer; return its base URL."""
        if host.lower() not in self.custom_hosts:
            self.custom_hosts.append(host.lower())
        port = self.first_base_url.rsplit(":", 1)[1]
        return f"http://{host.lower()}:{port}"

    def on_domain(self, base_url: str) -> Any:
        """A context manager: inside it, ``issuer``, ``base_url`` and the
        tokens helpers make are those of the domain ``base_url``."""
        if base_url not in self.domains:
            raise ValueError(f"{base_url!r} is not one of {self.domains}")
        return domains.serving(base_url)

    def session_transfer_token(self, user_or_email: TenantUser | str) -> str:
        """A session transfer token for the user (native-to-web SSO: what the
        native app gets by token exchange): single use, valid 60 s."""
        return self.session_transfers.issue(self.user(user_or_email).email)

    @property
    def domain(self) -> str:
        """What ``SOCIAL_AUTH_AUTH0_DOMAIN`` is set to (the base URL)."""
        return self.base_url

    @property
    def issuer(self) -> str:
        """The ``iss`` of every token: the base URL with Auth0's trailing slash."""
        return self.base_url + "/"

    @property
    def jwks_url(self) -> str:
        """Where the signing keys are published."""
        return self.base_url + "/.well-known/jwks.json"

    # -- configuration ---------------------------------------------------------

    def add_user(self, user: TenantUser) -> TenantUser:
        """Register (or replace) a user; emails are case-insensitive, as in Auth0."""
        self.users[user.email.strip().lower()] = user
        return user

    def add_application(self, application: Application) -> Application:
        """Register another application (client)."""
        self.applications[application.client_id] = application
        return application

    def register_client_key(
        self,
        key: Any,
        client_id: str | None = None,
        *,
        accept_client_secret: bool = False,
    ) -> None:
        """Register a public key (JWKS, JWK, PEM, or a ``ClientKey``) for an
        application's ``private_key_jwt``; by default its secret is refused
        from now on, as when the dashboard switches to Private Key JWT."""
        app = self.applications[client_id or self._default_client_id()]
        app.client_keys.extend(public_keys(key))
        app.accept_client_secret = accept_client_secret

    def require_pushed_authorization_requests(
        self, client_id: str | None = None, required: bool = True
    ) -> None:
        """``/authorize`` refuses the application's requests unless pushed."""
        app = self.applications[client_id or self._default_client_id()]
        app.require_pushed_authorization_requests = required

    def require_mfa_at_refresh(self, audience: str | None = None) -> None:
        """Refreshes of tokens for ``audience`` (default: the first API) are
        answered 403 ``mfa_required`` until their user logs in with MFA."""
        self.mfa.demand_at_refresh(audience or self._api(None).identifier)

    def add_organization(
        self, name: str, *, members: Iterable[str] = (), org_id: str = ""
    ) -> Organization:
        """Register an organization (``org_id`` derived from ``name`` if not given)."""
        return self.organizations.add(Organization(name, org_id, members={*members}))

    def invitation_link(
        self,
        organization: str,
        email: str,
        login_url: str,
        client_id: str | None = None,
    ) -> str:
        """Invite ``email``; the link Auth0's email holds (the app's login route)."""
        invitation = self.organizations.invite(
            organization, email, client_id or self._default_client_id()
        )
        return self.organizations.invitation_link(invitation, login_url)

    def user(self, user_or_email: TenantUser | str) -> TenantUser:
        """The registered user for an email (or the user itself)."""
        if isinstance(user_or_email, TenantUser):
            return user_or_email
        return self.users[user_or_email.strip().lower()]

    def now(self) -> int:
        """The tenant's clock, in whole seconds."""
        return int(self.clock())

    # -- keys and tokens -------------------------------------------------------

    @property
    def signing_kid(self) -> str:
        """The ``kid`` of the key that signs new tokens."""
        return self.keys.current_kid

    @property
    def jwks(self) -> dict[str, Any]:
        """The JWKS document served at :attr:`jwks_url`."""
        return self.keys.jwks()

    def rotate_keys(self) -> str:
        """Sign with a new key from now on (returned); the old one stays published."""
        return self.keys.rotate()

    def revoke_key(self, kid: str) -> None:
        """Stop publishing an old key."""
        self.keys.revoke(kid)

    def sign(
        self,
        claims: Any,
        *,
        kid: str | None = None,
        alg: str = "RS256",
        headers: dict[str, Any] | None = None,
        key: bytes | None = None,
    ) -> str:
        """A compact JWS of ``claims``; ``headers`` merge into the JWS header.

        RS*/PS* sign with key ``kid`` (default: current). HS* sign with ``key``,
        defaulting to the client secret of the ``aud`` application, as Auth0
        signs HS256 ID tokens. ``none`` yields an unsigned token.
        """
        signing_key = self.keys.get(kid)
        header: dict[str, Any] = {"alg": alg, "typ": "JWT"}
        if alg[:2] in ("RS", "PS"):
            header["kid"] = signing_key.kid
        header.update(headers or {})
        if key is None and str(header["alg"]).startswith("HS"):
            key = self._client_secret_for(claims).encode()
        return encode_jws(claims, header, rsa_key=signing_key, hmac_secret=key)

    def _client_secret_for(self, claims: Any) -> str:
        audience = claims.get("aud") if isinstance(claims, dict) else None
        app = self.applications.get(audience) if isinstance(audience, str) else None
        app = app or next(iter(self.applications.values()), None)
        if app is None:
            raise ValueError("HS* signing needs key= or a registered application")
        return app.client_secret

    def id_token_for(
        self,
        user_or_email: TenantUser | str,
        *,
        nonce: str | None = None,
        audience: str | None = None,
        **claim_overrides: Any,
    ) -> str:
        """An Auth0-shaped ID token (scope ``openid profile email``), valid now.

        ``tenant.misbehave`` is not applied; ``claim_overrides`` merge last
        (``REMOVE`` deletes a claim). ``audience`` is the ``aud`` (client id).
        """
        grant = Grant(
            user=self.user(user_or_email),
            client_id=audience or self._default_client_id(),
            scope="openid profile email",
            sid="emulated-session-id",
            auth_time=self.now(),
            nonce=nonce,
        )
        return self.sign(apply_overrides(id_claims(self, grant), claim_overrides))

    # -- APIs and their access tokens -------------------------------------------

    def add_api(
        self, api: str | Api, scopes: Iterable[str] = (), **options: Any
    ) -> Api:
        """Register an API (resource server); a string is its identifier."""
        if isinstance(api, str):
            api = Api(api, tuple(scopes), **options)
        self.apis[api.identifier] = api
        return api

    def authorize_client(
        self, client_id: str, audience: str, scopes: Iterable[str] = ()
    ) -> None:
        """A client grant: ``client_id`` may get tokens for ``audience`` by the
        client_credentials grant, with at most ``scopes``."""
        self.applications[client_id].api_grants[audience] = list(scopes)

    def add_refresh_token_policy(
        self, client_id: str, audience: str, scopes: Iterable[str] = ()
    ) -> RefreshTokenPolicy:
        """Let ``client_id``'s refresh tokens get tokens for the API
        ``audience`` with at most ``scopes`` (its ``refresh_token.policies``,
        Auth0's multi-resource refresh tokens)."""
        policy = RefreshTokenPolicy(audience, tuple(scopes))
        self.applications[client_id].refresh_token_policies.append(policy)
        return policy

    def access_token_for(
        self,
        user_or_email: TenantUser | str | None = None,
        *,
        scopes: Iterable[str] = (),
        permissions: Iterable[str] | None = None,
        audience: str | None = None,
        client_id: str | None = None,
        sub: str | None = None,
        openid: bool = False,
        **claim_overrides: Any,
    ) -> str:
        """A signed access token for a user calling an API, valid now.

        ``audience`` defaults to the first registered API; ``permissions``
        adds RBAC's list (also added, equal to ``scopes``, when the API has
        ``add_permissions``). ``sub`` without a user names any subject.
        ``claim_overrides`` merge last (``REMOVE`` deletes a claim).
        """
        if sub is None:
            if user_or_email is None:
                raise ValueError("pass a user (or email) or sub=")
            sub = str(self.user(user_or_email).sub)
        api = self._api(audience)
        claims = api_token_claims(
            self,
            api,
            sub=sub,
            client_id=client_id or self._default_client_id(),
            scopes=list(scopes),
            permissions=None if permissions is None else list(permissions),
            openid=openid,
            lifetime=self.access_token_lifetime(client_id),
        )
        return self.sign(
            apply_overrides(claims, claim_overrides), headers=token_header(api)
        )

    def machine_token(
        self,
        client_id: str | None = None,
        *,
        audience: str | None = None,
        scopes: Iterable[str] = (),
        **claim_overrides: Any,
    ) -> str:
        """A machine-to-machine token (client credentials): ``sub`` is
        ``{client_id}@clients``, as Auth0 issues it. No client grant needed."""
        client_id = client_id or self._default_client_id()
        api = self._api(audience)
        claims = api_token_claims(
            self,
            api,
            sub=f"{client_id}@clients",
            client_id=client_id,
            scopes=list(scopes),
            permissions=None,
            machine=True,
            lifetime=self.access_token_lifetime(client_id),
        )
        return self.sign(
            apply_overrides(claims, claim_overrides), headers=token_header(api)
        )

    def access_token_lifetime(self, client_id: str | None = None) -> int:
        """Seconds the access tokens of ``client_id`` live: the application's
        ``access_token_lifetime``, else Auth0's default of 24 hours."""
        app = self.applications.get(client_id or self._default_client_id())
        lifetime = app.access_token_lifetime if app else None
        return ACCESS_TOKEN_LIFETIME if lifetime is None else lifetime

    def bearer_headers(self, *args: Any, **kwargs: Any) -> dict[str, str]:
        """``{"Authorization": "Bearer <access_token_for(...)>"}``, for
        ``client.get(url, headers=...)`` (Django's test client or requests)."""
        return {"Authorization": f"Bearer {self.access_token_for(*args, **kwargs)}"}

    def dpop_headers(
        self,
        method: str,
        url: str,
        *args: Any,
        key: DpopKey | None = None,
        nonce: str | None = None,
        **kwargs: Any,
    ) -> dict[str, str]:
        """``Authorization: DPoP <token>`` and a fresh ``DPoP`` proof for
        ``method`` ``url``: the token is ``access_token_for(*args, **kwargs)``
        bound to ``key`` (default: ``dpop_key``, one per tenant)."""
        key = key or self.dpop_key
        token = self.access_token_for(*args, cnf={"jkt": key.thumbprint}, **kwargs)
        return key.headers(method, url, token, nonce=nonce)

    @property
    def dpop_key(self) -> DpopKey:
        """The tenant's default client DPoP key (ES256), made on first use."""
        if self._dpop_key is None:
            self._dpop_key = DpopKey()
        return self._dpop_key

    def _api(self, audience: str | None) -> Api:
        if audience is None:
            if not self.apis:
                raise ValueError("register an API (add_api) or pass audience=")
            return next(iter(self.apis.values()))
        return self.apis.get(audience) or self.add_api(audience)

    def _default_client_id(self) -> str:
        if not self.applications:
            raise ValueError("register an application or pass audience=")
        return next(iter(self.applications))

    # -- sessions and logout ---------------------------------------------------

    @property
    def sessions(self) -> dict[str, str]:
        """The tenant's live sessions: ``sid`` -> email."""
        return {sid: session.email for sid, session in self.state.sessions().items()}

    def end_session(self, sid: str) -> None:
        """End a tenant session, sending back-channel logouts like Auth0 does.

        Only loopback back-channel URLs are contacted; the outcome of each is
        appended to :attr:`backchannel_deliveries`.
        """
        session = self.state.end_session(sid)
        if session is None:
            return
        for client_id in sorted(session.client_ids):
            app = self.applications.get(client_id)
            for url in app.backchannel_logout_urls if app else ():
                if is_loopback(url):
                    self._deliver_logout(
                        url, client_id, session.sid, self.user(session.email).sub
                    )

    def _deliver_logout(
        self, url: str, client_id: str, sid: str, sub: str | None
    ) -> None:
        try:
            status: int | None = self.send_backchannel_logout(
                url, sub=sub, sid=sid, client_id=client_id
            ).status_code
        except requests.RequestException:
            status = None
        self.backchannel_deliveries.append((url, status))

    def logout_token(
        self,
        *,
        sub: Any = None,
        sid: Any = None,
        client_id: str | None = None,
        **claim_overrides: Any,
    ) -> str:
        """A signed back-channel logout token (OIDC Back-Channel Logout 1.0, 2.4)."""
        claims = logout_token_claims(
            issuer=self.issuer,
            client_id=client_id or self._default_client_id(),
            now=self.now(),
            sub=sub,
            sid=sid,
        )
        return self.sign(apply_overrides(claims, claim_overrides))

    def send_backchannel_logout(
        self,
        url: str,
        *,
        sub: Any = None,
        sid: Any = None,
        client_id: str | None = None,
        **claim_overrides: Any,
    ) -> requests.Response:
        """POST a logout token to ``url`` (loopback only) and return the response."""
        token = self.logout_token(
            sub=sub, sid=sid, client_id=client_id, **claim_overrides
        )
        return post_logout_token(url, token)

    # -- request log -----------------------------------------------------------

    @property
    def requests(self) -> list[RequestRecord]:
        """Every request answered so far (secrets redacted), oldest first."""
        return self.log.all()

    def count(self, path: str, method: str | None = None) -> int:
        """How many requests went to ``path`` (optionally with ``method``)."""
        return sum(
            1
            for record in self.log.all()
            if record.path == path and (method is None or record.method == method)
        )

    def clear_requests(self) -> None:
        """Forget the request log."""
        self.log.clear()

    # -- driving the login page like a browser ---------------------------------

    def login(self, authorize_url: str, email: str, password: str | None = None) -> str:
        """Log in through the real pages; return the callback URL (code and state).

        ``password=None`` uses the page's quick-pick button for ``email``. The
        tenant cookie is kept, so a later ``prompt=none`` finds the session.
        """
        return browser.login(
            self.browser, self.base_url, authorize_url, email, password
        )

    def login_with_mfa(
        self,
        authorize_url: str,
        email: str,
        password: str | None = None,
        code: str = MFA_CODE,
    ) -> str:
        """Like :meth:`login`, then pass the MFA page with ``code``."""
        return browser.login(
            self.browser, self.base_url, authorize_url, email, password, mfa_code=code
        )

    def cancel(self, authorize_url: str) -> str:
        """Open the login page and click Cancel; return the callback URL."""
        return browser.cancel(self.browser, self.base_url, authorize_url)

    def authorize_url(self, **params: str) -> str:
        """An ``/authorize`` URL for the first application with ``params`` added."""
        defaults = {"client_id": self._default_client_id(), "response_type": "code"}
        app = self.applications.get(params.get("client_id", defaults["client_id"]))
        if app and app.callback_urls:
            defaults["redirect_uri"] = app.callback_urls[0]
        defaults["scope"] = "openid profile email"
        return add_query(f"{self.base_url}/authorize", {**defaults, **params})
