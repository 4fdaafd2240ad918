"""Default credentials and URLs of the test tenant (fixture and CLI)."""

from __future__ import annotations

CLIENT_ID = "test-client-id"
CLIENT_SECRET = "test-client-secret"  # noqa: S105 (a test tenant's published secret)
CALLBACK_URL = "http://testserver/complete/auth0/"  # Django's test client host
LOGOUT_URL = "http://testserver/"
ROLES_CLAIM = "https://example.com/roles"
DEMO_EMAIL = "ada@example.com"
DEMO_PASSWORD = "correct horse"  # noqa: S105
DEMO_ROLES = ("admin",)
