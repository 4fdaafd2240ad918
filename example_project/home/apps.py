"""The example app; starts the tenant emulator when no tenant is configured."""

from __future__ import annotations

import os
import sys

from django.apps import AppConfig
from django.conf import settings

from social_auth0.testing.defaults import DEMO_EMAIL, DEMO_PASSWORD

# The emulator's demo login (the Quickstart's, README.rst) as an admin, and two
# more with the same password.
DEMO_USERS = [
    # (email, password, roles, connection)
    (DEMO_EMAIL, DEMO_PASSWORD, ["admin", "staff"], "Username-Password-Authentication"),
    ("editor@example.com", DEMO_PASSWORD, ["editor"], "google-oauth2"),
    ("reader@example.com", DEMO_PASSWORD, [], "Username-Password-Authentication"),
]


def serving_with_runserver() -> bool:
    """True in the process that serves requests (not runserver's reloader)."""
    if len(sys.argv) < 2 or sys.argv[1] != "runserver":
        return False
    return os.environ.get("RUN_MAIN") == "true" or "--noreload" in sys.argv


def site_address() -> tuple[str, str]:
    """(host, port) runserver listens on, as given on its command line."""
    for argument in sys.argv[2:]:
        if not argument.startswith("-"):
            host, _, port = argument.rpartition(":")
            return host or "127.0.0.1", port
    return "127.0.0.1", "8000"


class HomeConfig(AppConfig):
    name = "home"

    def ready(self) -> None:
        if settings.AUTH0_EMULATOR and serving_with_runserver():
            start_emulator(settings.AUTH0_EMULATOR)


def start_emulator(config: dict) -> None:
    """Serve a local Auth0 tenant for this site, with demo users."""
    from social_auth0.testing import Auth0Tenant, TenantUser

    _host, port = site_address()
    sites = [f"http://{host}:{port}" for host in ("127.0.0.1", "localhost")]
    tenant = Auth0Tenant(
        client_id=config["client_id"],
        client_secret=config["client_secret"],
        callback_urls=[f"{site}/complete/auth0/" for site in sites],
        logout_urls=[f"{site}/" for site in sites],
        backchannel_logout_urls=[f"{sites[0]}/auth0/backchannel-logout/"],
        users=[
            TenantUser(
                email=email, password=password, roles=roles, connection=connection
            )
            for email, password, roles, connection in DEMO_USERS
        ],
        roles_claim=settings.AUTH0_ROLES_CLAIM,
        port=config["port"],
    )
    # Short-lived API tokens, so the reports page shows refreshes happening.
    tenant.applications[config["client_id"]].access_token_lifetime = 300
    organization = config["organization"]
    tenant.add_organization(
        organization["name"], org_id=organization["id"], members=[DEMO_EMAIL]
    )
    try:
        tenant.start()  # a daemon thread: it ends with the server
    except OSError as error:
        sys.exit(
            f"The Auth0 tenant emulator cannot listen on 127.0.0.1:{config['port']} "
            f"({error.strerror}): set AUTH0_EMULATOR_PORT to a free port, e.g. "
            f"AUTH0_EMULATOR_PORT={config['port'] + 10}, or stop what uses it."
        )
    lines = [
        f"Auth0 tenant emulator: {tenant.base_url} (no AUTH0_DOMAIN set)",
        f"Open {sites[0]}/ and log in as:",
        *(
            f"  {email} / {password}   roles: {', '.join(roles) or '-'}"
            for email, password, roles, _ in DEMO_USERS
        ),
        f"Organization {organization['name']!r} (member: {DEMO_EMAIL}); "
        "MFA code: 123456.",
        "Set AUTH0_DOMAIN, AUTH0_CLIENT_ID, AUTH0_CLIENT_SECRET to use a real tenant.",
    ]
    sys.stdout.write("\n".join(lines) + "\n")
