"""``social_auth0.contrib.ninja``: docs/api.rst's two Ninja examples, run as
they stand beside the plain ``token_required`` views of
``tests.support.api_urls``, called with the emulator's real tokens. A Ninja
operation answers exactly as the plain view does: status, challenge, body."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator

import pytest
from asgiref.sync import async_to_sync

from social_auth0.resource import Auth0Principal
from tests.support.docs import doc_block, files_of
from tests.support.tenants import ADA

API = "https://api.example.com/"
BLOCKS = {
    "ninjarouter": files_of(doc_block("docs/api.rst", "api-ninja-router")),
    "ninjaoperation": files_of(doc_block("docs/api.rst", "api-ninja-operation")),
}
PLAIN = "/plain/api/reports/"  # token_required(scopes=["read:reports"])
SITE_URLS = """
from django.urls import include, path

from {package}.urls import urlpatterns

urlpatterns += [path("plain/", include("tests.support.api_urls"))]
"""


@pytest.fixture(scope="module")
def tenant_options():
    return {"apis": [API]}


@pytest.fixture(autouse=True)
def use_tenant(use_tenant, settings):
    settings.SOCIAL_AUTH_AUTH0_API_AUDIENCE = API


def _site(package: str, settings, tmp_path) -> Iterator[None]:
    """The block's api.py and urls.py as an app, the plain views beside it."""
    root = tmp_path / package
    root.mkdir()
    (root / "__init__.py").write_text("")
    for name, text in BLOCKS[package].items():
        (root / name).write_text(text)
    (root / "siteurls.py").write_text(SITE_URLS.format(package=package))
    settings.ROOT_URLCONF = f"{package}.siteurls"
    sys.path.insert(0, str(tmp_path))
    yield
    sys.path.remove(str(tmp_path))
    for name in [m for m in sys.modules if m.startswith(package)]:
        del sys.modules[name]


@pytest.fixture
def router_site(settings, tmp_path) -> Iterator[None]:
    yield from _site("ninjarouter", settings, tmp_path)


@pytest.fixture
def operation_site(settings, tmp_path) -> Iterator[None]:
    yield from _site("ninjaoperation", settings, tmp_path)


def answer(response) -> tuple[int, str | None, object]:
    return (response.status_code, response.get("WWW-Authenticate"), response.json())


# -- the router example -------------------------------------------------------


@pytest.mark.parametrize("url", ["/api/reports/", "/api/reports/latest"])
def test_router_operations_let_a_granted_token_through(
    router_site, client, tenant, url
):
    headers = tenant.bearer_headers(ADA, scopes=["read:reports"])
    response = client.get(url, headers=headers)
    assert (response.status_code, response.json()) == (
        200,
        {"caller": tenant.user(ADA).sub},
    )


REFUSALS = {
    "no token": {},
    "another scheme": {"Authorization": "Basic YWRhOnNlY3JldA=="},
    "malformed header": {"Authorization": "Bearer two words"},
    "forged token": {"Authorization": "Bearer eyJhbGciOiJub25lIn0.e30."},
}


@pytest.mark.parametrize("ninja_url", ["/api/reports/", "/api/reports/latest"])
@pytest.mark.parametrize("headers", REFUSALS.values(), ids=REFUSALS.keys())
def test_router_refusals_are_the_plain_views(router_site, client, headers, ninja_url):
    """Ninja's own answer would be a bare 401 ``{"detail": "Unauthorized"}``."""
    plain = answer(client.get(PLAIN, headers=headers))
    assert plain[0] in (400, 401)
    assert answer(client.get(ninja_url, headers=headers)) == plain


@pytest.mark.parametrize("ninja_url", ["/api/reports/", "/api/reports/latest"])
def test_router_missing_scope_is_the_plain_views_403(
    router_site, client, tenant, ninja_url
):
    headers = tenant.bearer_headers(ADA, scopes=["write:reports"])
    plain = answer(client.get(PLAIN, headers=headers))
    assert plain[0] == 403
    assert 'scope="read:reports"' in plain[1]
    assert answer(client.get(ninja_url, headers=headers)) == plain


def test_token_in_query_string_is_refused_as_by_plain_views(
    router_site, client, tenant
):
    token = tenant.access_token_for(ADA, scopes=["read:reports"])
    plain = answer(client.get(PLAIN, {"access_token": token}))
    ninja = answer(client.get("/api/reports/", {"access_token": token}))
    assert plain[0] == 400
    assert ninja == plain


# -- the operation example ----------------------------------------------------


def test_operation_puts_the_principal_on_request_auth(operation_site, client, tenant):
    headers = tenant.bearer_headers(ADA, scopes=["read:reports"])
    response = client.get("/api/profile", headers=headers)
    assert response.json() == {
        "caller": tenant.user(ADA).sub,
        "scopes": ["read:reports"],
    }


def test_async_operation_checks_its_own_scope(operation_site, client, tenant):
    reader = tenant.bearer_headers(ADA, scopes=["read:reports"])
    refused = client.post("/api/reports", headers=reader)
    assert refused.status_code == 403
    assert 'error="insufficient_scope", ' in refused["WWW-Authenticate"]
    assert refused.json()["error"] == "insufficient_scope"
    writer = tenant.bearer_headers(ADA, scopes=["write:reports"])
    created = client.post("/api/reports", headers=writer)
    assert created.json() == {"created_by": tenant.user(ADA).sub}


def test_public_operation_needs_no_token(operation_site, client):
    assert client.get("/api/status").json() == {"ok": True}


def test_async_operation_under_async_client(operation_site, async_client, tenant):
    headers = tenant.bearer_headers(ADA, scopes=["write:reports"])
    response = async_to_sync(async_client.post)("/api/reports", headers=headers)
    assert response.json() == {"created_by": tenant.user(ADA).sub}
    anonymous = async_to_sync(async_client.post)("/api/reports")
    assert anonymous.status_code == 401
    assert anonymous["WWW-Authenticate"] == (
        'Bearer realm="api", DPoP realm="api", algs="ES256 ES384 RS256 PS256 EdDSA"'
    )


def test_request_auth_is_an_auth0_principal(rf, tenant):
    from social_auth0.contrib.ninja import Auth0Bearer

    request = rf.get("/", headers=tenant.bearer_headers(ADA, scopes=["a"]))
    caller = Auth0Bearer(scopes=["a"])(request)
    assert isinstance(caller, Auth0Principal)
    assert request.user is caller
    assert request.auth0_claims["sub"] == tenant.user(ADA).sub


def test_a_subclass_calling_super_answers_sync_and_async_operations(tenant):
    """A subclass adding to ``__call__`` (an audit line, say) and calling
    ``super()`` gets the caller on a sync operation and an awaitable on an
    async one: whether to answer a coroutine is asked of Ninja's frame, past
    the subclass's own ``__call__``."""
    from ninja import NinjaAPI
    from ninja.testing import TestAsyncClient, TestClient

    from social_auth0.contrib.ninja import Auth0Bearer, add_error_handler

    class Audited(Auth0Bearer):
        def __call__(self, request):
            return super().__call__(request)

    api = NinjaAPI(urls_namespace="audited-api")
    add_error_handler(api)

    @api.get("/sync", auth=Audited())
    def sync_operation(request):
        return {"sub": request.auth.sub}

    @api.get("/async", auth=Audited())
    async def async_operation(request):
        return {"sub": request.auth.sub}

    meta = {"HTTP_AUTHORIZATION": f"Bearer {tenant.access_token_for(ADA)}"}
    sync_answer = TestClient(api).get("/sync", META=meta)
    async_answer = async_to_sync(TestAsyncClient(api).get)("/async", META=meta)
    for response in (sync_answer, async_answer):
        assert (response.status_code, json.loads(response.content)) == (
            200,
            {"sub": tenant.user(ADA).sub},
        )


# -- without add_error_handler ------------------------------------------------


def test_without_the_handler_the_status_is_still_right(tenant):
    """Ninja's stock HttpError handler answers: the status, never a 500."""
    from ninja import NinjaAPI
    from ninja.testing import TestClient

    from social_auth0.contrib.ninja import Auth0Bearer

    api = NinjaAPI(urls_namespace="bare-api")

    @api.get("/x", auth=Auth0Bearer(scopes=["read:reports"]))
    def x(request):
        return {}

    ninja_client = TestClient(api)
    response = ninja_client.get("/x")
    assert (response.status_code, json.loads(response.content)) == (
        401,
        {"detail": "Authentication credentials were not provided"},
    )
    token = tenant.access_token_for(ADA, scopes=["write:reports"])
    meta = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    assert ninja_client.get("/x", META=meta).status_code == 403


# -- Ninja is optional ----------------------------------------------------------


def test_nothing_imports_ninja_unless_contrib_ninja_is_imported():
    code = (
        "import os, sys, json, django;"
        "os.environ['DJANGO_SETTINGS_MODULE'] = 'tests.settings';"
        "django.setup();"
        "import social_auth0, social_auth0.resource, social_auth0.checks,"
        " social_auth0.urls, social_auth0.well_known, social_auth0.contrib;"
        "from django.core.management import call_command;"
        "call_command('check');"
        "print(json.dumps(sorted(m for m in sys.modules if m.startswith('ninja'))))"
    )
    result = subprocess.run(  # noqa: S603
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout.strip().splitlines()[-1]) == []


def test_contrib_ninja_without_ninja_says_how_to_install():
    code = (
        "import sys; sys.modules['ninja'] = None\n"
        "try:\n    import social_auth0.contrib.ninja\n"
        "except ImportError as error:\n    print(error)\n"
    )
    result = subprocess.run(  # noqa: S603
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60
    )
    assert "pip install 'social-auth0[ninja]'" in result.stdout, result.stderr


# -- where verification runs ----------------------------------------------------


@pytest.mark.django_db
def test_async_operation_reads_the_linked_user_off_the_event_loop(settings, tenant):
    """The linked user is a database query: on the event loop Django refuses
    it (SynchronousOnlyOperation), so an async operation must verify in a
    worker thread, and a sync one where it runs."""
    from django.contrib.auth import get_user_model
    from ninja import NinjaAPI
    from ninja.testing import TestAsyncClient, TestClient
    from social_django.models import UserSocialAuth

    from social_auth0.contrib.ninja import Auth0Bearer, add_error_handler

    settings.SOCIAL_AUTH_AUTH0_API_LINKED_USER = True
    user = get_user_model().objects.create_user("ada", "ada@example.com")
    UserSocialAuth.objects.create(user=user, provider="auth0", uid=ADA.sub)
    api = NinjaAPI(urls_namespace="linked-api")
    add_error_handler(api)

    @api.get("/me", auth=Auth0Bearer())
    async def me(request):
        return {"pk": request.auth.pk}

    @api.get("/me-sync", auth=Auth0Bearer())
    def me_sync(request):
        return {"pk": request.auth.pk}

    meta = {"HTTP_AUTHORIZATION": f"Bearer {tenant.access_token_for(ADA)}"}
    answer = async_to_sync(TestAsyncClient(api).get)("/me", META=dict(meta))
    assert (answer.status_code, answer.json()) == (200, {"pk": user.pk})
    answer = TestClient(api).get("/me-sync", META=dict(meta))
    assert (answer.status_code, answer.json()) == (200, {"pk": user.pk})


def test_sync_operation_verifies_in_place_beside_a_running_event_loop(tenant):
    """A sync operation called where an event loop runs (a sync test client
    beside Playwright's sync API, a notebook) still answers: Ninja cannot run
    a coroutine there, so the class must not hand it one."""
    import asyncio

    from ninja import NinjaAPI
    from ninja.testing import TestClient

    from social_auth0.contrib.ninja import Auth0Bearer, add_error_handler

    api = NinjaAPI(urls_namespace="loop-api")
    add_error_handler(api)

    @api.get("/me", auth=Auth0Bearer())
    def me(request):
        return {"sub": request.auth.sub}

    meta = {"HTTP_AUTHORIZATION": f"Bearer {tenant.access_token_for(ADA)}"}

    async def call_sync_client():
        return TestClient(api).get("/me", META=meta)

    answer = asyncio.run(call_sync_client())
    assert (answer.status_code, answer.json()) == (200, {"sub": tenant.user(ADA).sub})


# -- DPoP -----------------------------------------------------------------------


@pytest.mark.parametrize("url", ["/api/reports/", "/api/reports/latest"])
def test_router_operations_take_a_dpop_bound_token_with_its_proof(
    router_site, client, tenant, url
):
    """The Ninja class accepts DPoP as the plain views do, proof checked."""
    absolute = f"http://testserver{url}"
    headers = tenant.dpop_headers("GET", absolute, ADA, scopes=["read:reports"])
    assert client.get(url, headers=headers).json() == {"caller": tenant.user(ADA).sub}
    replayed = answer(client.get(url, headers=headers))
    assert replayed[0] == 401
    assert 'error="invalid_dpop_proof"' in replayed[1]


def test_a_dpop_bound_token_as_bearer_is_refused_by_ninja(router_site, client, tenant):
    headers = tenant.dpop_headers(
        "GET", "http://testserver/api/reports/", ADA, scopes=["read:reports"]
    )
    stolen = {"Authorization": headers["Authorization"].replace("DPoP ", "Bearer ", 1)}
    status, challenge, _ = answer(client.get("/api/reports/", headers=stolen))
    assert status == 401
    assert 'Bearer realm="api", error="invalid_token"' in challenge
