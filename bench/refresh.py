"""What ``get_access_token`` costs, and how many refreshes concurrent calls cause.

1. A fresh token (no refresh): the median time per call of
   ``get_access_token(request)`` (one indexed query, one Fernet decryption)
   against, as the baseline, reading a plaintext token from
   ``UserSocialAuth.extra_data`` (what ``STORE_TOKENS`` did before: one query,
   no decryption), interleaved in the same run.
2. 1,000 concurrent calls of one user whose token is expiring, from several
   processes (each its own Django, sharing a SQLite file and a file cache, as
   hosts share a database and Redis; the file cache's add() is not atomic, so
   the claim on the row does the locking when it fails), against the emulator
   with refresh-token rotation and a reuse interval of 0: refresh requests
   Auth0 saw, its ``invalid_grant`` answers, and callers that got a token;
   with the lock (target: 1 refresh, 0 invalid_grant, 1,000 tokens) and
   without it (baseline).

    python bench/refresh.py [--processes 2] [--threads 20] [--calls 25]
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import sys
import tempfile
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

API = "https://api.example.com/"
EMAIL, PASSWORD = "ada@example.com", "correct horse"


def configure(workdir: str, domain: str) -> None:
    """Django on a SQLite file and a file cache shared by every process."""
    os.environ["DJANGO_SETTINGS_MODULE"] = "tests.settings"
    from django.conf import settings

    settings.DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": f"{workdir}/bench.sqlite3",
            "OPTIONS": {"timeout": 30},
        }
    }
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": f"{workdir}/cache",
        }
    }
    settings.SOCIAL_AUTH_AUTH0_DOMAIN = domain
    settings.SOCIAL_AUTH_AUTH0_AUDIENCE = API
    settings.SOCIAL_AUTH_AUTH0_SCOPE = ["offline_access"]
    settings.SOCIAL_AUTH_AUTH0_STORE_TOKENS = True
    import django

    django.setup()


def log_in(domain: str) -> object:
    """A real login through the emulator: the user, with tokens stored."""
    import requests
    from django.contrib.auth import get_user_model
    from django.test import Client

    from social_auth0.testing import browser

    client = Client()
    authorize = client.post("/login/auth0/")["Location"]
    callback = browser.login(requests.Session(), domain, authorize, EMAIL, PASSWORD)
    response = client.get("/complete/auth0/?" + callback.partition("?")[2])
    assert response["Location"] == "/done/", response
    return get_user_model().objects.get(pk=client.session["_auth_user_id"])


def request_for(user: object) -> object:
    from django.test import RequestFactory

    request = RequestFactory().get("/reports/")
    request.user = user
    return request


def fresh_token_cost(user: object) -> None:
    from _common import interleaved, print_table
    from social_django.models import UserSocialAuth

    from social_auth0.access import get_access_token

    request = request_for(user)
    social = UserSocialAuth.objects.get(user=user)
    social.extra_data["access_token"] = get_access_token(request)
    social.save()

    def plaintext_extra_data() -> str:
        row = UserSocialAuth.objects.get(user=request.user, provider="auth0")
        return row.extra_data["access_token"]

    medians = interleaved(
        {
            "plaintext extra_data (baseline)": plaintext_extra_data,
            "get_access_token, fresh token": lambda: get_access_token(request),
        },
        repeats=15,
        number=300,
    )
    social.extra_data.pop("access_token")
    social.save()
    print_table("1. Per call, fresh token (median of 15 x 300, interleaved):", medians)
    base, ours = medians.values()
    print(f"  added cost: {(ours - base) * 1e6:.1f} us per call ({ours / base:.2f}x)")
    print(
        "  (both: 1 query; tests/user_tokens/test_access.py asserts get_access_token's)"
    )


def caller(user_id: int, calls: int, barrier: threading.Barrier, counts: dict) -> None:
    from django.contrib.auth import get_user_model
    from django.db import connection

    from social_auth0.access import get_access_token

    request = request_for(get_user_model().objects.get(pk=user_id))
    barrier.wait()
    for _ in range(calls):
        try:
            get_access_token(request)
            outcome = "token"
        except Exception as error:  # counted, never hidden
            outcome = type(error).__name__
        with counts["lock"]:
            counts[outcome] = counts.get(outcome, 0) + 1
    connection.close()


def worker(workdir, domain, user_id, threads, calls, lock, start, results) -> None:
    """One 'host': ``threads`` threads, ``calls`` calls each, started together."""
    configure(workdir, domain)
    from social_auth0.user_tokens import refresh

    refresh.SINGLE_FLIGHT = lock
    counts: dict = {"lock": threading.Lock()}
    barrier = threading.Barrier(threads)
    start.wait()
    pool = [
        threading.Thread(target=caller, args=(user_id, calls, barrier, counts))
        for _ in range(threads)
    ]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    del counts["lock"]
    results.put(counts)


def concurrent_calls(tenant, workdir, user, args, *, lock: bool) -> dict:
    from django.core.cache import cache
    from django.utils import timezone

    from social_auth0.models import Auth0Token

    # A fresh token family, expiring now: every caller finds it stale.
    log_in(tenant.domain)
    Auth0Token.objects.update(expires_at=timezone.now())
    cache.clear()
    tenant.clear_requests()
    revoked_before = len(tenant.state.revoked_families())
    context = multiprocessing.get_context("spawn")
    start, results = context.Barrier(args.processes + 1), context.Queue()
    processes = [
        context.Process(
            target=worker,
            args=(
                workdir,
                tenant.domain,
                user.pk,
                args.threads,
                args.calls,
                lock,
                start,
                results,
            ),
        )  # fmt: skip
        for _ in range(args.processes)
    ]
    for process in processes:
        process.start()
    start.wait()
    totals: dict = {}
    for _ in processes:
        for outcome, count in results.get(timeout=300).items():
            totals[outcome] = totals.get(outcome, 0) + count
    for process in processes:
        process.join()
    answers = [
        r.status
        for r in tenant.requests
        if r.path == "/oauth/token" and r.form.get("grant_type") == "refresh_token"
    ]
    return {
        "refreshes": len(answers),
        "invalid_grant": answers.count(403),
        "families_revoked": len(tenant.state.revoked_families()) - revoked_before,
        **totals,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument("--threads", type=int, default=20, help="per process")
    parser.add_argument("--calls", type=int, default=25, help="per thread")
    args = parser.parse_args()

    from social_auth0.testing import Auth0Tenant, TenantUser

    with (
        tempfile.TemporaryDirectory() as workdir,
        Auth0Tenant(
            callback_urls=["http://testserver/complete/auth0/"],
            users=[TenantUser(EMAIL, PASSWORD)],
        ) as tenant,
    ):
        tenant.applications["test-client-id"].access_token_lifetime = 300
        configure(workdir, tenant.domain)
        from django.core.management import call_command

        call_command("migrate", verbosity=0)
        user = log_in(tenant.domain)
        fresh_token_cost(user)
        total = args.processes * args.threads * args.calls
        print(
            f"2. {total} concurrent calls of one user, expiring token, "
            f"{args.processes} processes x {args.threads} threads x {args.calls}:"
        )
        for lock in (True, False):
            counts = concurrent_calls(tenant, workdir, user, args, lock=lock)
            name = "with the lock" if lock else "without it (baseline)"
            per_1000 = counts["refreshes"] * 1000 / total
            print(f"  {name:<22} {per_1000:6.1f} refreshes per 1,000 calls; {counts}")


if __name__ == "__main__":
    main()
