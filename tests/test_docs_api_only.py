"""docs/migrating.rst's "API only": Auth0's Django API sample with the page's
settings appended (no Auth0 backend, no client id or secret, no login URLs)
passes ``manage.py check``, run as a user runs it, and serves its API with the
emulator's client-credentials tokens; a site that logs in and forgets the
backend or the client id is still told."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from tests.support.docs import doc_block

ROOT = Path(__file__).resolve().parent.parent
OURS = re.compile(r"social_auth0\.[EW]\d{3}")
API = "https://api.example.com/"
CLIENT_ID, CLIENT_SECRET = "test-client-id", "test-client-secret"

# The parts of the sample's settings.py the page keeps (JWT_AUTH, PUBLIC_KEY
# and JWT_ISSUER deleted, as it says); AUTH0_DOMAIN and API_IDENTIFIER as the
# sample reads them.
SAMPLE_SETTINGS = """
import os

SECRET_KEY = "sample-only-not-a-secret"
DEBUG = False
ALLOWED_HOSTS = ["testserver", "127.0.0.1"]
ROOT_URLCONF = "sample_urls"
INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "rest_framework",
]
MIDDLEWARE = [
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.auth.middleware.RemoteUserMiddleware",
]
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "django.contrib.auth.backends.RemoteUserBackend",
]
DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}}
DEFAULT_AUTO_FIELD = "django.db.models.AutoField"
AUTH0_DOMAIN = os.environ["AUTH0_DOMAIN"]
API_IDENTIFIER = os.environ["API_IDENTIFIER"]
"""

# The sample's views, as the page's bullets move them: its private view under
# the DRF defaults, its scoped one with token_required.
SAMPLE_URLS = """
from django.http import JsonResponse
from django.urls import include, path
from rest_framework.decorators import api_view
from rest_framework.response import Response

from social_auth0.resource import token_required


@api_view(["GET"])
def private(request):
    return Response({"caller": request.user.sub})


@token_required(scopes=["read:messages"])
def private_scoped(request):
    return JsonResponse({"caller": request.auth0_claims["sub"]})


urlpatterns = [
    path("api/private", private),
    path("api/private-scoped", private_scoped),
]
"""

MANAGE_PY = """
import os, sys
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sample_settings")
from django.core.management import execute_from_command_line
execute_from_command_line(sys.argv)
"""

# What a site that logs in adds, and forgets one thing of.
LOGIN_URLS = 'urlpatterns += [path("", include("social_django.urls"))]\n'
OUR_BACKEND = 'AUTHENTICATION_BACKENDS += ["social_auth0.backend.Auth0OAuth2"]\n'


def settings_block() -> str:
    return doc_block("docs/migrating.rst", "migrating-api-only-settings")


def write_site(where: Path, settings: str = "", urls: str = "") -> None:
    site_settings = SAMPLE_SETTINGS + settings_block() + settings
    (where / "sample_settings.py").write_text(site_settings)
    (where / "sample_urls.py").write_text(SAMPLE_URLS + urls)
    (where / "manage.py").write_text(MANAGE_PY)


def run(where: Path, *command: str, **env: str) -> subprocess.CompletedProcess[str]:
    """``python *command`` in the sample's project, with its environment."""
    return subprocess.run(  # noqa: S603
        [sys.executable, *command],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=where,
        env={
            **os.environ,
            "AUTH0_DOMAIN": "tenant.eu.auth0.com",
            "API_IDENTIFIER": API,
            **env,
            "PYTHONPATH": f"{ROOT}{os.pathsep}{where}",
            "DJANGO_SETTINGS_MODULE": "sample_settings",
        },
    )


def manage_check(where: Path) -> tuple[int, set[str]]:
    """``python manage.py check``: its return code and our check ids."""
    result = run(where, "manage.py", "check")
    return result.returncode, set(OURS.findall(result.stdout + result.stderr))


def test_the_api_only_site_passes_check(tmp_path):
    """Only W004, which an API needs too: each worker would fetch the keys."""
    write_site(tmp_path)
    assert manage_check(tmp_path) == (0, {"social_auth0.W004"})


def test_a_site_that_lists_the_backend_still_needs_the_client_id(tmp_path):
    write_site(tmp_path, settings=OUR_BACKEND, urls=LOGIN_URLS)
    status, found = manage_check(tmp_path)
    assert status == 1
    assert {"social_auth0.E004", "social_auth0.E005"} <= found
    assert "social_auth0.E007" not in found


def test_a_site_that_routes_a_login_still_needs_the_backend(tmp_path):
    write_site(tmp_path, urls=LOGIN_URLS)
    status, found = manage_check(tmp_path)
    assert status == 1
    assert {"social_auth0.E004", "social_auth0.E005", "social_auth0.E007"} <= found


# Calls the sample's API in its own process (its settings read at start, as
# DRF reads its defaults), with and without the token; prints the answers and
# the backends social-core loaded.
CALL_THE_API = """
import json, os

import django

django.setup()
import social_core.backends.utils
from django.test import Client

answers = {}
for url in ("/api/private", "/api/private-scoped"):
    bearer = {"Authorization": "Bearer " + os.environ["TOKEN"]}
    granted, anonymous = Client().get(url, headers=bearer), Client().get(url)
    answers[url] = [granted.status_code, granted.json(), anonymous.status_code]
loaded = sorted(social_core.backends.utils.BACKENDSCACHE)
print(json.dumps({"answers": answers, "loaded": loaded}))
"""


@pytest.fixture
def api_grant(tenant) -> Iterator[None]:
    """The emulator serves the sample's API to the test client, by the
    client-credentials grant."""
    tenant.add_api(API, ["read:messages"])
    tenant.authorize_client(CLIENT_ID, API, ["read:messages"])
    yield
    tenant.apis.pop(API)
    tenant.applications[CLIENT_ID].api_grants.pop(API)


def client_credentials_token(tenant) -> str:
    answer = requests.post(
        f"{tenant.base_url}/oauth/token",
        json={
            "grant_type": "client_credentials",
            "client_id": CLIENT_ID,
            "client_secret": CLIENT_SECRET,
            "audience": API,
        },
        timeout=10,
    )
    assert answer.status_code == 200, answer.text
    return str(answer.json()["access_token"])


def test_the_api_only_site_answers_with_a_client_credentials_token(
    tenant, api_grant, tmp_path
):
    write_site(tmp_path)
    (tmp_path / "call_the_api.py").write_text(CALL_THE_API)
    token = client_credentials_token(tenant)
    result = run(tmp_path, "call_the_api.py", AUTH0_DOMAIN=tenant.domain, TOKEN=token)
    assert result.returncode == 0, result.stderr
    caller = {"caller": f"{CLIENT_ID}@clients"}
    assert json.loads(result.stdout) == {
        "answers": {
            "/api/private": [200, caller, 401],
            "/api/private-scoped": [200, caller, 401],
        },
        # Served without an Auth0 backend: social-core never loaded one.
        "loaded": [],
    }
