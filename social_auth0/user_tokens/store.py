"""Tokens at rest: the ``Auth0Token`` rows, encrypted, read and written atomically.

Access and refresh tokens are encrypted with Fernet (AES-128-CBC with an
HMAC-SHA256 tag: authenticated, from ``cryptography``). The keys are
``SOCIAL_AUTH_AUTH0_TOKEN_ENCRYPTION_KEYS`` (Fernet keys, the first encrypts,
all decrypt) or, by default, derived from ``SECRET_KEY`` and
``SECRET_KEY_FALLBACKS`` with HKDF-SHA256 and a purpose string of their own,
so rotating ``SECRET_KEY`` the Django way keeps stored tokens readable.

A row is written at login (``save_login``) and replaced by a refresh only if
nobody replaced it since it was read (``replace``: compare-and-set on
``version``). That login row holds the refresh token: the family every
exchange rotates. Tokens for other APIs or scopes got with it (Auth0's
multi-resource refresh tokens) are rows of their own without a refresh token
(``save_api_tokens``, ``covering``), stamped like the login row, so a logout
takes them along. Nothing here logs a token, and tokens never reach the session.
"""

from __future__ import annotations

import base64
import dataclasses
import datetime
import functools
import hashlib
import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, NamedTuple

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F, Q, QuerySet
from django.utils.encoding import force_bytes

from ..models import Auth0Token

logger = logging.getLogger(__name__)

KEYS_SETTING = "SOCIAL_AUTH_AUTH0_TOKEN_ENCRYPTION_KEYS"
# HKDF "info": a key derived for this purpose is useless for anything else
# SECRET_KEY protects (sessions, signing), and vice versa. A label, not a
# module path: changing it makes every stored token unreadable.
KEY_PURPOSE = b"social_auth0.token_store.v1"
# Token-response fields social-core's built-in backend (and our STORE_TOKENS,
# before encryption) kept in UserSocialAuth.extra_data in plaintext.
PLAINTEXT_FIELDS = ("access_token", "refresh_token", "id_token")
# Token types (RFC 6750, RFC 9449): a type, not a secret.
BEARER = "Bearer"  # noqa: S105
DPOP = "DPoP"


def derive_key(secret: str | bytes) -> bytes:
    """A Fernet key derived from ``secret`` (a ``SECRET_KEY``) with HKDF-SHA256."""
    hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=KEY_PURPOSE)
    return base64.urlsafe_b64encode(hkdf.derive(force_bytes(secret)))


@functools.lru_cache(maxsize=8)
def _cipher(keys: tuple[bytes, ...]) -> MultiFernet:
    return MultiFernet([Fernet(key) for key in keys])


def cipher() -> MultiFernet:
    """The token cipher for the current settings (read at call time).

    Deployment-wide, never per site: ``Auth0Token`` is one table, and every
    site (a login at two sites, a disconnect, a back-channel logout, a user
    deletion without a request) must open the rows any site stored.
    """
    # The literal name (KEYS_SETTING): the settings reference test reads it.
    configured = getattr(settings, "SOCIAL_AUTH_AUTH0_TOKEN_ENCRYPTION_KEYS", None)
    if configured:
        return _cipher(tuple(force_bytes(key) for key in configured))
    secrets = (settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", ()))
    return _cipher(tuple(_derived(secret) for secret in secrets))


@functools.lru_cache(maxsize=8)
def _derived(secret: str | bytes) -> bytes:
    return derive_key(secret)


def encrypt(token: str) -> str:
    """Ciphertext of ``token`` under the first key."""
    return cipher().encrypt(token.encode()).decode("ascii")


def decrypt(ciphertext: str) -> str | None:
    """The token, or None when no current key opens it (a key was retired)."""
    try:
        return cipher().decrypt(ciphertext.encode("ascii")).decode()
    except (InvalidToken, UnicodeError):
        return None


@dataclass(frozen=True)
class StoredTokens:
    """One row: the decrypted access token, and the version it was read at.

    The refresh token is decrypted only when a refresh needs it.
    """

    pk: int
    user_id: Any
    audience: str
    sub: str
    access_token: str
    refresh_ciphertext: str
    expires_at: float
    version: int
    exchange_in_doubt: bool
    login_stamp: str = ""
    scope: str = ""
    # "Bearer", or "DPoP" bound to the key of thumbprint ``dpop_jkt``.
    token_type: str = BEARER
    dpop_jkt: str = ""

    @property
    def refresh_token(self) -> str | None:
        """The refresh token; None if there is none or no key opens it."""
        return decrypt(self.refresh_ciphertext) if self.refresh_ciphertext else None

    def seconds_left(self, now: float) -> float:
        """How long the access token stays valid (by our clock)."""
        return self.expires_at - now


def expires_at(response: Mapping[str, Any], sent_at: float, leeway: int) -> float:
    """The access token's expiry, from ``expires_in`` counted from when the
    request was sent (so network time counts against the token).

    ``expires_in`` is relative, so Auth0's clock does not matter; the API
    judges ``exp`` by its own clock, which may run ahead of ours by up to the
    leeway: that much is taken off (at most half of a short lifetime).
    """
    lifetime = response.get("expires_in")
    if isinstance(lifetime, bool) or not isinstance(lifetime, int) or lifetime < 0:
        logger.warning("Auth0 token response has no usable expires_in")
        lifetime = 0
    return sent_at - min(leeway, lifetime // 2) + lifetime


def token_binding(response: Mapping[str, Any]) -> dict[str, str]:
    """``token_type`` and ``dpop_jkt`` of a token answer (the backend notes
    the key of a DPoP-bound one: ``Auth0OAuth2.with_binding``)."""
    jkt = response.get("dpop_jkt")
    if response.get("token_type") == DPOP and isinstance(jkt, str) and jkt:
        return {"token_type": DPOP, "dpop_jkt": jkt}
    return {"token_type": BEARER, "dpop_jkt": ""}


def _as_datetime(timestamp: float) -> datetime.datetime:
    return datetime.datetime.fromtimestamp(timestamp, tz=datetime.UTC)


def load(user_id: Any, audience: str) -> StoredTokens | None:
    """The tokens the user's login stored for ``audience`` (the row holding the
    refresh token); None if none are stored (or readable)."""
    # [:1], not first(): no ORDER BY for a lookup the unique constraint makes exact.
    rows = Auth0Token.objects.filter(user_id=user_id, audience=audience, scope_key="")
    found = list(rows[:1])
    return _stored(found[0]) if found else None


def _stored(row: Auth0Token) -> StoredTokens | None:
    access_token = decrypt(row.access_token)
    if access_token is None:
        forget_undecryptable(row.pk, row.version, row.user_id)
        return None
    return StoredTokens(
        pk=row.pk,
        user_id=row.user_id,
        audience=row.audience,
        sub=row.sub,
        access_token=access_token,
        refresh_ciphertext=row.refresh_token,
        expires_at=row.expires_at.timestamp(),
        version=row.version,
        exchange_in_doubt=row.exchange_started_at is not None,
        login_stamp=row.login_stamp,
        scope=row.scope,
        token_type=row.token_type,
        dpop_jkt=row.dpop_jkt,
    )


def scope_text(scopes: Iterable[str]) -> str:
    """Scopes as stored: sorted, without duplicates, space-separated."""
    return " ".join(sorted(set(scopes)))


def _scope_key(scope: str) -> str:
    # Never blank, even for no scope at all: blank marks a login's row.
    return hashlib.sha256(scope.encode()).hexdigest()


def covering(
    user_id: Any, audience: str, scopes: Iterable[str], *, valid_until: float
) -> list[StoredTokens]:
    """The user's tokens for ``audience`` whose scopes include ``scopes`` and
    which stay valid until ``valid_until``, the fewest scopes first.

    Login rows (blank ``scope_key``) are not among them: ``load`` reads those.
    """
    wanted = set(scopes)
    rows = Auth0Token.objects.filter(
        user_id=user_id, audience=audience, expires_at__gte=_as_datetime(valid_until)
    ).exclude(scope_key="")
    fitting = [row for row in rows if wanted <= set(row.scope.split())]
    fitting.sort(key=lambda row: len(row.scope.split()))
    opened = (_stored(row) for row in fitting)
    return [stored for stored in opened if stored is not None]


def save_api_tokens(
    family: StoredTokens,
    *,
    audience: str,
    scope: str,
    response: Mapping[str, Any],
    sent_at: float,
    leeway: int,
) -> None:
    """Store an access token the family's refresh token got for ``audience``
    with ``scope`` (never its refresh token: the family row keeps that)."""
    fields: dict[str, Any] = {
        "access_token": encrypt(str(response["access_token"])),
        "expires_at": _as_datetime(expires_at(response, sent_at, leeway)),
        **token_binding(response),
    }
    fields.update(sub=family.sub, login_stamp=family.login_stamp, scope=scope)
    rows = Auth0Token.objects.filter(
        user_id=family.user_id, audience=audience, scope_key=_scope_key(scope)
    )
    if rows.update(version=F("version") + 1, **fields):
        return
    try:
        with transaction.atomic():
            Auth0Token.objects.create(
                user_id=family.user_id,
                audience=audience,
                scope_key=_scope_key(scope),
                **fields,
            )
    except IntegrityError:  # a simultaneous exchange stored its row
        rows.update(version=F("version") + 1, **fields)


def forget_undecryptable(pk: int, version: int, user_id: Any) -> None:
    """Delete a row no configured key opens: useless, and it would hide the problem."""
    logger.warning(
        "Stored Auth0 tokens of user %s cannot be decrypted (SECRET_KEY or %s "
        "changed without a fallback); dropping them",
        user_id,
        KEYS_SETTING,
    )
    Auth0Token.objects.filter(pk=pk, version=version).delete()


def _encrypted_fields(
    response: Mapping[str, Any], *, sent_at: float, leeway: int
) -> dict[str, Any]:
    return {
        "access_token": encrypt(str(response["access_token"])),
        "expires_at": _as_datetime(expires_at(response, sent_at, leeway)),
        **token_binding(response),
        **_rotated(response),
    }


def _rotated(response: Mapping[str, Any]) -> dict[str, str]:
    """The answer's new refresh token, encrypted; none without rotation."""
    refresh_token = response.get("refresh_token")
    if isinstance(refresh_token, str) and refresh_token:
        return {"refresh_token": encrypt(refresh_token)}
    return {}


def save_login(
    user: Any,
    *,
    sub: str,
    audience: str,
    response: Mapping[str, Any],
    sent_at: float,
    leeway: int,
    stamp: str = "",
) -> IssuedToken | None:
    """Store a login's tokens, replacing any earlier set of this user and API.

    Returns the refresh token replaced (for revocation), if any, with the
    identity it was issued to. A login
    without a refresh token (no ``offline_access``) clears the stored one: it
    belongs to an older grant. ``stamp`` names the login (its session record
    holds it too): only that login's logout may revoke these tokens.
    """
    fields: dict[str, Any] = {
        "refresh_token": "",
        "exchange_started_at": None,
        "login_stamp": stamp,
    }
    fields.update(_encrypted_fields(response, sent_at=sent_at, leeway=leeway))
    rows = Auth0Token.objects.filter(user=user, audience=audience, scope_key="")
    previous = rows.values_list("sub", "refresh_token", "login_stamp").first()
    if previous:
        # Tokens the replaced refresh token got for other APIs: an older grant's.
        _api_rows(user.pk, previous[0], previous[2]).delete()
    if not rows.update(sub=sub, version=F("version") + 1, **fields):
        try:
            with transaction.atomic():
                Auth0Token.objects.create(
                    user=user, audience=audience, sub=sub, **fields
                )
        except IntegrityError:  # a simultaneous first login stored its row
            rows.update(sub=sub, version=F("version") + 1, **fields)
    replaced = _opened([previous[:2]]) if previous and previous[1] else []
    return replaced[0] if replaced else None


def _api_rows(user_id: Any, sub: str, stamp: str) -> QuerySet[Auth0Token]:
    """The rows a login's refresh token (of ``sub``, ``stamp``) got for APIs."""
    return Auth0Token.objects.filter(
        user_id=user_id, sub=sub, login_stamp=stamp
    ).exclude(scope_key="")


def replace(
    stored: StoredTokens, response: Mapping[str, Any], *, sent_at: float, leeway: int
) -> bool:
    """Store a refresh's answer if the row is still the one read; True if stored.

    Without rotation the answer has no refresh token and the old one stays.
    """
    fields = _encrypted_fields(response, sent_at=sent_at, leeway=leeway)
    return bool(
        Auth0Token.objects.filter(pk=stored.pk, version=stored.version).update(
            version=F("version") + 1, exchange_started_at=None, **fields
        )
    )


def keep_refresh_token(stored: StoredTokens, response: Mapping[str, Any]) -> bool:
    """After an exchange for another API: store the rotated refresh token in
    the family's row (none in the answer, rotation off: the old one stays)
    and end its claim; the row's own access token stays. True if stored."""
    return bool(
        Auth0Token.objects.filter(pk=stored.pk, version=stored.version).update(
            version=F("version") + 1, exchange_started_at=None, **_rotated(response)
        )
    )


def claim_exchange(
    stored: StoredTokens, *, now: float, hold: int
) -> StoredTokens | None:
    """Claim the right to send this row's refresh token; the claimed row, or None.

    Atomic in the database, whatever the cache: it succeeds only on the row as
    read (same version) and when no exchange started within ``hold`` seconds
    (one whose answer was lost blocks the next for that long). The claim bumps
    the version, so whatever the claimant stores or drops is its own row.
    """
    recent = _as_datetime(now - hold)
    claimed = (
        Auth0Token.objects.filter(pk=stored.pk, version=stored.version)
        .filter(Q(exchange_started_at__isnull=True) | Q(exchange_started_at__lt=recent))
        .update(version=F("version") + 1, exchange_started_at=_as_datetime(now))
    )
    return dataclasses.replace(stored, version=stored.version + 1) if claimed else None


def clear_exchange_mark(stored: StoredTokens) -> None:
    """Auth0 answered the exchange (with an error): its token was not spent."""
    Auth0Token.objects.filter(pk=stored.pk, version=stored.version).update(
        exchange_started_at=None
    )


def drop(stored: StoredTokens) -> None:
    """Delete the login row read as ``stored`` (not a newer one written
    since), with what its refresh token got for other APIs."""
    if Auth0Token.objects.filter(pk=stored.pk, version=stored.version).delete()[0]:
        _api_rows(stored.user_id, stored.sub, stored.login_stamp).delete()


class IssuedToken(NamedTuple):
    """A refresh token and the identity (its ``uid``: the issuer in it) it
    was issued to: only that identity's tenant may ever be sent it."""

    sub: str
    token: str


def take_refresh_tokens(
    user_ids: Iterable[Any], *, sub: str | None = None, stamp: str | None = None
) -> list[IssuedToken]:
    """Delete every stored token of these users (only of the identity ``sub``,
    only those the login ``stamp`` stored, when given); their refresh tokens."""
    rows = Auth0Token.objects.filter(user_id__in=list(user_ids))
    if sub is not None:
        rows = rows.filter(sub=sub)
    if stamp is not None:
        rows = rows.filter(login_stamp=stamp)
    ciphertexts = refresh_ciphertexts(rows)
    rows.delete()
    return _opened(ciphertexts)


def refresh_tokens_of(user_id: Any) -> list[IssuedToken]:
    """The user's stored refresh tokens that a current key opens (rows kept)."""
    return _opened(refresh_ciphertexts(Auth0Token.objects.filter(user_id=user_id)))


def refresh_ciphertexts(rows: QuerySet[Auth0Token]) -> list[tuple[str, str]]:
    """(identity, encrypted refresh token) of ``rows`` (rows without one left out)."""
    return list(rows.exclude(refresh_token="").values_list("sub", "refresh_token"))


def _opened(ciphertexts: Iterable[tuple[str, str]]) -> list[IssuedToken]:
    """The refresh tokens a current key opens, each with its identity."""
    opened = ((sub, decrypt(ciphertext)) for sub, ciphertext in ciphertexts)
    return [IssuedToken(sub, token) for sub, token in opened if token]


def scrub_plaintext(extra_data: dict[str, Any]) -> bool:
    """Remove plaintext tokens from an ``extra_data`` dict; True if any were there."""
    found = [name for name in PLAINTEXT_FIELDS if name in extra_data]
    for name in found:
        del extra_data[name]
    return bool(found)
