"""One login: what it asks Auth0 for and what its callback must find.

``params`` (the allow-listed request parameters), ``transaction`` (what is kept
with the ``state``: nonce, organization, ``max_age``, step-up), the rules of
``organizations`` and ``stepup``, ``record`` (what the session's login proved),
``roles`` and ``fields`` (claims to user rows). The helpers take what they need
from the backend through ``LoginBackend`` and never import ``backend.py``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from social_core.strategy import BaseStrategy


class LoginBackend(Protocol):
    """What the login helpers use of ``Auth0OAuth2``."""

    ROLES_TOKEN: str
    _oauth2_transaction: dict[str, Any] | None

    @property
    def strategy(self) -> BaseStrategy[Any]: ...

    @property
    def data(self) -> Any: ...

    def setting(self, name: str, default: Any = None) -> Any: ...

    def leeway(self) -> int: ...

    def domains(self) -> tuple[str, ...]: ...

    def domain_in_use(self) -> str: ...

    def transaction_key(self, state: str) -> str: ...

    def verify_access_token(
        self, token: object, *, subject: object
    ) -> dict[str, Any]: ...
