"""JWKS fetches for logins spread over several processes.

Starts the tenant emulator, then worker processes (each its own Django, its own
database, like separate hosts) that log in at the same moment through the
emulator's pages, sharing one Django cache: first a file-based cache (shared,
as Redis or Memcached would be), then, as the baseline, a per-process LocMem
cache. Counts the requests the emulator saw for its JWKS. Target: 1 fetch for
the whole run with the shared cache.

    python bench/jwks.py [--processes 2] [--logins 20]
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

CLIENT_ID = "bench-client"
CLIENT_SECRET = "bench-secret"
CALLBACK = "http://testserver/complete/auth0/"
EMAIL, PASSWORD = "ada@example.com", "correct horse"


def worker(domain: str, cache: dict, logins: int, barrier) -> None:
    """One 'host': configure Django, wait for the others, log in ``logins`` times."""
    os.environ["DJANGO_SETTINGS_MODULE"] = "tests.settings"
    from django.conf import settings

    settings.CACHES = {"default": cache}
    settings.SOCIAL_AUTH_AUTH0_DOMAIN = domain
    settings.SOCIAL_AUTH_AUTH0_KEY = CLIENT_ID
    settings.SOCIAL_AUTH_AUTH0_SECRET = CLIENT_SECRET
    import django

    django.setup()
    import requests
    from django.core.management import call_command
    from django.test import Client

    from social_auth0.testing import browser

    call_command("migrate", verbosity=0)
    barrier.wait()
    for _ in range(logins):
        client = Client()
        authorize = client.post("/login/auth0/")["Location"]
        callback = browser.login(requests.Session(), domain, authorize, EMAIL, PASSWORD)
        path, _, query = callback.partition("?")
        response = client.get(f"/complete/auth0/?{query}")
        assert response.status_code == 302 and response["Location"] == "/done/"


def run(tenant, cache: dict, processes: int, logins: int) -> int:
    """JWKS requests the tenant saw for ``processes`` x ``logins`` logins."""
    tenant.clear_requests()
    context = multiprocessing.get_context("spawn")
    barrier = context.Barrier(processes)
    workers = [
        context.Process(target=worker, args=(tenant.domain, cache, logins, barrier))
        for _ in range(processes)
    ]
    for process in workers:
        process.start()
    for process in workers:
        process.join()
        assert process.exitcode == 0, "a worker failed"
    return tenant.count("/.well-known/jwks.json")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument("--logins", type=int, default=20, help="per process")
    args = parser.parse_args()

    from social_auth0.testing import Auth0Tenant, TenantUser

    with (
        tempfile.TemporaryDirectory() as cache_dir,
        Auth0Tenant(
            client_id=CLIENT_ID,
            client_secret=CLIENT_SECRET,
            callback_urls=[CALLBACK],
            users=[TenantUser(email=EMAIL, password=PASSWORD)],
        ) as tenant,
    ):
        shared = {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": cache_dir,
        }
        local = {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
        shared_fetches = run(tenant, shared, args.processes, args.logins)
        local_fetches = run(tenant, local, args.processes, args.logins)
        logins = args.processes * args.logins
    print(f"{logins} logins over {args.processes} processes, started together:")
    print(f"  JWKS fetches, shared file cache:        {shared_fetches}   (target 1)")
    print(f"  JWKS fetches, per-process LocMem cache: {local_fetches}   (baseline)")


if __name__ == "__main__":
    main()
