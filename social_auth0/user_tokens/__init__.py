"""The user's tokens: stored encrypted at rest (``store``), refreshed under a
deployment-wide lock (``refresh``), revoked at logout (``revocation``).
``access.py`` is the public face. The helpers take what they need from the
backend through ``TokenBackend`` and never import ``backend.py``.
"""

from __future__ import annotations

from typing import Any, Protocol

from ..outbound import TenantClient


class TokenBackend(TenantClient, Protocol):
    """What the token helpers use of ``Auth0OAuth2``."""

    @property
    def name(self) -> str: ...

    def setting(self, name: str, default: Any = None) -> Any: ...

    def leeway(self) -> int: ...

    def get_scope(self) -> list[str]: ...

    def base_url(self) -> str: ...

    def issuers(self) -> tuple[str, ...]: ...

    def shared_cache(self) -> str: ...

    def get_key_and_secret(self) -> tuple[str, str]: ...

    def refresh_token(
        self, token: str, *args: Any, **kwargs: Any
    ) -> dict[Any, Any]: ...

    def verify_refreshed_id_token(self, id_token: object) -> dict[str, Any]: ...

    def verify_api_access_token(
        self, token: object, audience: str
    ) -> dict[str, Any]: ...
