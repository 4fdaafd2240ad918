"""Worker for flows/test_linking_postgres.py: verified look-alike addresses log in
against a local account, on PostgreSQL, where ``__iexact`` is
``UPPER() = UPPER()`` and ``UPPER('ı') = UPPER('i') = 'I'``, ``UPPER('ſ') = 'S'``.

Run in its own process, because it needs Django configured for PostgreSQL. It
creates a database of its own in UTF-8 with a Unicode-aware ``LC_CTYPE`` (what
a production database has), so the server's default locale does not matter.

    python tests/support/pg_lookalike_worker.py PORT

Prints a JSON summary on its last line: per address, whether ``__iexact``
matches the local account (the trap) and whether the login was linked to it.
"""

from __future__ import annotations

import json
import os
import secrets
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
os.environ["DJANGO_SETTINGS_MODULE"] = "tests.settings"

# local account's address -> addresses that log in, verified, through Google
CASES = {
    "bob@gmail.com": ["bob@gmaıl.com", "Bob@GMAIL.com"],  # dotless i; a case variant
    "sam@example.com": ["ſam@example.com"],  # long s
}


def create_database(port: str) -> str:
    import psycopg

    name = f"lookalike_{secrets.token_hex(4)}"
    with psycopg.connect(
        host="127.0.0.1", port=port, user="test", dbname="postgres", autocommit=True
    ) as connection:
        connection.execute(
            f"CREATE DATABASE {name} ENCODING 'UTF8' LC_COLLATE 'C.UTF-8' "
            "LC_CTYPE 'C.UTF-8' TEMPLATE template0"
        )
    return name


def configure(port: str) -> None:
    from django.conf import settings

    from tests.support.postgres_server import database

    settings.DATABASES = {"default": database(port, create_database(port))}
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def log_in(tenant, email: str) -> dict[str, object]:
    import requests
    from django.test import Client

    from social_auth0.testing import browser

    client = Client()
    authorize = client.post("/login/auth0/")["Location"]
    callback = browser.login(
        requests.Session(), tenant.base_url, authorize, email, "pw"
    )
    path, _, query = callback.removeprefix("http://testserver").partition("?")
    response = client.get(f"{path}?{query}")
    return {
        "location": response.get("Location"),
        "user": client.session.get("_auth_user_id"),
    }


def main(port: str) -> None:
    configure(port)
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from social_django.models import UserSocialAuth

    from social_auth0.pipeline import PIPELINE
    from social_auth0.testing import Auth0Tenant, TenantUser

    settings.SOCIAL_AUTH_PIPELINE = PIPELINE
    users = get_user_model().objects
    results: dict[str, dict[str, object]] = {}
    with Auth0Tenant(
        client_id="test-client-id",
        client_secret="test-client-secret",
        callback_urls=["http://testserver/complete/auth0/"],
    ) as tenant:
        settings.SOCIAL_AUTH_AUTH0_DOMAIN = tenant.domain
        for local_address, addresses in CASES.items():
            for address in addresses:
                UserSocialAuth.objects.all().delete()
                users.all().delete()
                local = users.create_user("local", local_address)
                tenant.add_user(TenantUser(address, "pw", connection="google-oauth2"))
                outcome = log_in(tenant, address)
                results[address] = {
                    "iexact_matches": users.filter(email__iexact=address).exists(),
                    "linked": outcome["user"] == str(local.pk),
                    "location": outcome["location"],
                    "users": users.count(),
                }
    sys.stdout.write(json.dumps(results) + "\n")


if __name__ == "__main__":
    main(sys.argv[1])
