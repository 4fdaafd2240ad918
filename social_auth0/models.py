"""Where back-channel logout finds the sessions an Auth0 login opened."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from . import conf


class Auth0Session(models.Model):
    """One Django session opened by one Auth0 login.

    Auth0's back-channel logout names the tenant session (``sid``) and/or the
    user (``sub``), never our cookie: this row maps them to the Django session
    (``session_key``, for engines that store sessions server-side) and to a
    random ``login_id`` also kept in the session itself (for signed-cookie
    sessions, which only the middleware can end, at their next request).
    """

    login_id = models.CharField(max_length=64, unique=True)
    # The tenant that opened the login (the ID token's ``iss``): a logout
    # token ends only its own tenant's sessions. Blank on rows recorded
    # before issuers were: those of the tenant settings.py names (of_issuer).
    issuer = models.CharField(max_length=255, blank=True)
    sid = models.CharField(max_length=255, blank=True, db_index=True)
    sub = models.CharField(max_length=255, db_index=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    session_key = models.CharField(max_length=255, blank=True)
    # The stamp of the tokens this login stored (Auth0Token.login_stamp): a
    # back-channel logout of its sid revokes those, never a newer login's.
    login_stamp = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(null=True, blank=True, db_index=True)
    # When a request last kept this login alive (refreshed at most hourly) or
    # it was revoked: clearauth0sessions keeps the row while a copy of its
    # cookie could still be accepted (sessions.retention_cutoff).
    seen_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        verbose_name = "Auth0 session"

    def __str__(self) -> str:
        state = "revoked" if self.revoked_at else "active"
        return f"Auth0 session of {self.sub} ({state})"

    @staticmethod
    def of_issuer(issuer: str, backend_name: str = conf.BACKEND_NAME) -> models.Q:
        """The rows of the logins ``issuer`` opened: a blank issuer (recorded
        before issuers were) is the tenant ``settings.py`` names, whose
        identities are the bare ``sub`` (``conf.identity_uid``)."""
        if issuer and issuer == conf.default_issuer(backend_name):
            return models.Q(issuer=issuer) | models.Q(issuer="")
        return models.Q(issuer=issuer)


class Auth0Token(models.Model):
    """The tokens one user holds for one API, encrypted (see user_tokens/store.py).

    A login stores one row (``scope_key`` blank) that holds the refresh token:
    the refresh-token family. Access tokens for other APIs, or narrower
    scopes, got with that refresh token (Auth0's multi-resource refresh
    tokens) are one row per (user, audience, scope), without a refresh token,
    stamped like their family's row. ``access_token`` and ``refresh_token``
    hold Fernet ciphertexts, never the tokens themselves. ``version`` grows
    with every stored refresh, so a refresher's write only lands on the row it
    read (compare-and-set).
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    audience = models.CharField(max_length=255, blank=True)
    # The identity the tokens are for: its association's uid, i.e. (issuer,
    # sub) as conf.identity_uid writes it (the bare sub for settings.py's tenant).
    sub = models.CharField(max_length=255)
    access_token = models.TextField()
    refresh_token = models.TextField(blank=True)
    expires_at = models.DateTimeField()
    version = models.PositiveIntegerField(default=0)
    # Set while a refresh request is in flight: if its sender dies, whoever
    # takes over knows it is retrying a refresh token whose answer was lost.
    exchange_started_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)
    # A random name of the login that stored these tokens, kept in that
    # login's session record too: only its logout revokes them, never an
    # older session's (a replayed signed cookie). Blank on rows stored before.
    login_stamp = models.CharField(max_length=64, blank=True)
    # The scopes granted, space-separated and sorted (blank on a login's row);
    # any length. The unique constraint holds its SHA-256 (hex) instead: an
    # index on audience and a long text would pass MySQL's key length limit.
    scope = models.TextField(blank=True)
    scope_key = models.CharField(max_length=64, blank=True)
    # The access token's type: "Bearer", or "DPoP" with the RFC 7638
    # thumbprint of the key it is bound to (SOCIAL_AUTH_AUTH0_DPOP): only
    # that key's proofs use it, and refresh it (user_tokens/refresh.py).
    token_type = models.CharField(max_length=16, default="Bearer")
    dpop_jkt = models.CharField(max_length=64, blank=True)

    class Meta:
        verbose_name = "Auth0 token"
        constraints = [
            models.UniqueConstraint(
                fields=["user", "audience", "scope_key"],
                name="social_auth0_token_per_scope",
            )
        ]

    def __str__(self) -> str:
        return f"Auth0 tokens of {self.sub} for {self.audience or '(no audience)'}"


__all__ = ["Auth0Session", "Auth0Token"]
