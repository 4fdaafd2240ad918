"""Users and applications of the emulated tenant, shaped the way Auth0 shapes them."""

from __future__ import annotations

import datetime
import hashlib
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

DATABASE_CONNECTION = "Username-Password-Authentication"

# Auth0 names a social user "<connection>|<id at the provider>"; the id's shape
# depends on the provider (Google: 21 digits, GitHub: a short integer).
SOCIAL_ID_DIGITS = {
    "google-oauth2": 21,
    "github": 8,
    "facebook": 16,
    "windowslive": 16,
    "linkedin": 10,
    "twitter": 19,
    "apple": 21,
}


def _digest(email: str) -> str:
    return hashlib.sha256(email.strip().lower().encode()).hexdigest()


def default_sub(email: str, connection: str) -> str:
    """A stable Auth0-style ``sub`` for ``email`` on ``connection``."""
    if connection not in SOCIAL_ID_DIGITS:
        return "auth0|" + _digest(email)[:24]
    digits = str(int(_digest(email), 16))
    return f"{connection}|1{digits[: SOCIAL_ID_DIGITS[connection] - 1]}"


def default_picture(email: str) -> str:
    """A gravatar URL with Auth0's initials fallback, as Auth0 fills ``picture``."""
    initials = email[:2].lower()
    fallback = quote(f"https://cdn.auth0.com/avatars/{initials}.png", safe="")
    return (
        f"https://s.gravatar.com/avatar/{_digest(email)[:32]}?s=480&r=pg&d={fallback}"
    )


def _now_iso() -> str:
    now = datetime.datetime.now(datetime.UTC)
    return now.strftime("%Y-%m-%dT%H:%M:%S.") + f"{now.microsecond // 1000:03d}Z"


def _names_from_email(email: str) -> tuple[str, str]:
    local, _, domain = email.partition("@")
    parts = local.replace("_", ".").replace("-", ".").split(".")
    family = parts[1] if len(parts) > 1 else domain.split(".")[0]
    return parts[0].title(), family.title()


@dataclass
class TenantUser:
    """A user of the tenant; unset profile fields are filled in like Auth0 does.

    Database users (``sub`` ``auth0|...``) get ``name`` = email, ``nickname`` =
    the email's local part and no ``given_name``/``family_name``; social users
    get given/family names (from the email unless given) and ``name`` "Given
    Family". ``password=None`` means the user can only log in with the login
    page's quick-pick button (or ``tenant.login(url, email)``).
    """

    email: str
    password: str | None = None
    sub: str | None = None
    connection: str = DATABASE_CONNECTION
    name: str | None = None
    nickname: str | None = None
    given_name: str | None = None
    family_name: str | None = None
    picture: str | None = None
    email_verified: bool = True
    roles: list[str] = field(default_factory=list)
    permissions: list[str] = field(default_factory=list)
    app_metadata: dict[str, Any] = field(default_factory=dict)
    extra_claims: dict[str, Any] = field(default_factory=dict)
    updated_at: str = field(default_factory=_now_iso)

    def __post_init__(self) -> None:
        self.sub = self.sub or default_sub(self.email, self.connection)
        self.nickname = self.nickname or self.email.partition("@")[0]
        self.picture = self.picture or default_picture(self.email)
        if self.is_social:
            given, family = _names_from_email(self.email)
            self.given_name = self.given_name or given
            self.family_name = self.family_name or family
            self.name = self.name or f"{self.given_name} {self.family_name}"
        self.name = self.name or self.email

    @property
    def is_social(self) -> bool:
        """Whether the user comes from a social connection, not a database."""
        return not str(self.sub).startswith("auth0|")

    def profile(self) -> dict[str, Any]:
        """Claims of the ``profile`` scope, without the unset ones."""
        claims = {
            "given_name": self.given_name,
            "family_name": self.family_name,
            "nickname": self.nickname,
            "name": self.name,
            "picture": self.picture,
            "updated_at": self.updated_at,
        }
        return {name: value for name, value in claims.items() if value is not None}


@dataclass(frozen=True)
class RefreshTokenPolicy:
    """One of an application's ``refresh_token.policies`` (Auth0's
    multi-resource refresh tokens): its refresh token may be exchanged for a
    token for the API ``audience`` with at most ``scope``."""

    audience: str
    scope: tuple[str, ...] = ()


@dataclass
class Application:
    """A regular web application registered in the tenant."""

    client_id: str
    client_secret: str
    callback_urls: list[str] = field(default_factory=list)
    logout_urls: list[str] = field(default_factory=list)
    backchannel_logout_urls: list[str] = field(default_factory=list)
    name: str = "Test Application"
    #: client grants: API identifier -> scopes the client_credentials grant may get
    api_grants: dict[str, list[str]] = field(default_factory=dict)
    #: Refresh Token Rotation (Auth0's recommended setting): every refresh
    #: answers a new refresh token; reusing a spent one revokes the family.
    refresh_token_rotation: bool = True
    #: Seconds a spent refresh token may still be exchanged (Auth0's "reuse
    #: interval"); 0, Auth0's default, means never.
    refresh_token_reuse_interval: int = 0
    #: Seconds an access token lives (None: Auth0's default of 24 hours).
    access_token_lifetime: int | None = None
    #: ``private_key_jwt``: the public keys its assertions are signed with
    #: (``Auth0Tenant.register_client_key``); empty: no assertion accepted.
    client_keys: list[Any] = field(default_factory=list)
    #: False: the client secret is refused (the application uses private_key_jwt)
    accept_client_secret: bool = True
    #: Auth0's "Require Pushed Authorization Requests": /authorize refuses a
    #: request without request_uri
    require_pushed_authorization_requests: bool = False
    #: Auth0's "Require Proof of Possession": every token request of this
    #: application needs a DPoP proof.
    require_proof_of_possession: bool = False
    #: ``refresh_token.policies``: the other APIs (and scopes) a refresh
    #: token may get tokens for. A request none covers (or naming an API the
    #: tenant lacks) gets, silently, a token for the login's audience.
    refresh_token_policies: list[RefreshTokenPolicy] = field(default_factory=list)

    def refresh_token_policy(self, audience: str) -> RefreshTokenPolicy | None:
        """The policy for ``audience``, if any."""
        found = [p for p in self.refresh_token_policies if p.audience == audience]
        return found[0] if found else None
