"""``token_required`` on ``async def`` views: warm keys verified on the event
loop (no thread hop, no blocking call), cold keys loaded in one worker thread
however many requests wait, the deployment-wide refetch limit kept. Through
Django's ``AsyncClient``, direct concurrent calls, and a live uvicorn server
on loopback."""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from unittest import mock

import pytest
import requests
from django.contrib.auth import get_user_model
from django.db.backends.utils import CursorWrapper
from django.test import AsyncClient, RequestFactory
from social_django.models import UserSocialAuth

from social_auth0.resource import aauthenticate
from tests.support.asgi import (
    asgi_server,
    blocking_calls_on_the_loop,
    run_async,
    thread_hops,
)
from tests.support.async_urls import reports
from tests.support.tenants import ADA
from tests.support.tokens import Signer

pytestmark = [pytest.mark.urls("tests.support.async_urls")]

API = "https://api.example.com/"
REPORTS, BARE = "/async/reports/", "/async/bare/"
JWKS = "/.well-known/jwks.json"


@pytest.fixture(scope="module")
def tenant_options():
    return {"apis": [API]}


@pytest.fixture(autouse=True)
def use_tenant(use_tenant, settings):
    settings.SOCIAL_AUTH_AUTH0_API_AUDIENCE = API


def token_of(tenant) -> str:
    return tenant.access_token_for(ADA, scopes=["read:reports"])


def forged(tenant, kid: str | None) -> str:
    from social_auth0.testing.apis import api_token_claims

    claims = api_token_claims(
        tenant,
        tenant.apis[API],
        sub=ADA.sub,
        client_id=tenant._default_client_id(),
        scopes=["read:reports"],
        permissions=None,
    )
    return Signer(kid).sign(claims)


def get(path: str, token: str | None = None, count: int = 1) -> list:
    """``count`` concurrent AsyncClient GETs; their responses."""
    headers = {"Authorization": f"Bearer {token}"} if token else {}

    async def run():
        client = AsyncClient()
        return await asyncio.gather(
            *(client.get(path, headers=headers) for _ in range(count))
        )

    return run_async(run)


def call_view(tokens: list[str]) -> list:
    """The decorated view called directly, once per token, all at once."""
    factory = RequestFactory()

    async def run():
        return await asyncio.gather(
            *(
                reports(factory.get(REPORTS, HTTP_AUTHORIZATION=f"Bearer {token}"))
                for token in tokens
            )
        )

    return run_async(run)


# -- warm keys: on the event loop ------------------------------------------------


@pytest.mark.django_db
def test_warm_keys_cost_no_thread_hop_no_query_no_request(
    tenant, django_assert_num_queries
):
    token = token_of(tenant)
    assert get(REPORTS, token)[0].status_code == 200  # the keys are warm
    tenant.clear_requests()

    with django_assert_num_queries(0):
        with thread_hops() as bare_hops:
            assert all(r.status_code == 200 for r in get(BARE, count=10))
        with thread_hops() as hops:
            responses = get(REPORTS, token, count=10)

    assert [r.json()["sub"] for r in responses] == [ADA.sub] * 10
    assert Counter(hops) == Counter(bare_hops)  # Django's own, none of ours
    assert tenant.requests == []


def test_warm_keys_make_no_blocking_call_on_the_event_loop(tenant):
    token = token_of(tenant)
    call_view([token])
    with blocking_calls_on_the_loop() as blocking, thread_hops() as hops:
        responses = call_view([token] * 20)
    assert [r.status_code for r in responses] == [200] * 20
    assert blocking == []
    assert hops == []


# -- cold keys: one worker thread, one fetch ------------------------------------


def test_cold_keys_are_loaded_once_in_a_worker_thread_for_many_requests(tenant):
    tenant.clear_requests()
    token = token_of(tenant)

    with blocking_calls_on_the_loop() as blocking, thread_hops() as hops:
        responses = call_view([token] * 50)

    assert [r.status_code for r in responses] == [200] * 50
    assert tenant.count(JWKS) == 1
    assert hops == ["TenantKeys.current"]
    assert blocking == []


def test_unknown_kids_refetch_in_a_worker_thread_within_the_limit(tenant):
    token = token_of(tenant)
    call_view([token])
    tenant.clear_requests()
    tokens = [forged(tenant, f"forged-{index}") for index in range(20)]
    tokens.append(forged(tenant, None))  # no kid: every key, then a refetch

    with blocking_calls_on_the_loop() as blocking:
        responses = call_view(tokens)

    assert [r.status_code for r in responses] == [401] * len(tokens)
    assert tenant.count(JWKS) == 1  # one refetch per JWKS_REFETCH_INTERVAL
    assert blocking == []
    assert call_view([token])[0].status_code == 200


def test_rotated_key_is_picked_up(tenant):
    assert call_view([token_of(tenant)])[0].status_code == 200
    tenant.rotate_keys()
    assert call_view([token_of(tenant)])[0].status_code == 200


def test_tenant_down_is_503(tenant, settings):
    from tests.support.ports import free_port

    down = f"http://127.0.0.1:{free_port()}"
    settings.SOCIAL_AUTH_AUTH0_DOMAIN = down
    settings.SOCIAL_AUTH_AUTH0_REQUESTS_TIMEOUT = 1
    # A token of the down domain (another iss is refused without a request).
    token = tenant.access_token_for(ADA, iss=f"{down}/")
    with blocking_calls_on_the_loop() as blocking:
        responses = call_view([token] * 5)
    assert [r.status_code for r in responses] == [503] * 5
    assert responses[0]["Retry-After"] == "10"
    assert blocking == []


def test_aauthenticate_is_the_async_entry_point(tenant):
    request = RequestFactory().get("/", HTTP_AUTHORIZATION=f"Bearer {token_of(tenant)}")
    caller, claims = run_async(aauthenticate, request)
    assert caller.sub == claims["sub"] == ADA.sub
    assert caller.has_scope("read:reports")


# -- linked users: Django's async ORM ----------------------------------------------


@pytest.mark.django_db
def test_linked_user_costs_one_query_off_the_loop(
    tenant, settings, django_assert_num_queries
):
    settings.SOCIAL_AUTH_AUTH0_API_LINKED_USER = True
    user = get_user_model().objects.create_user("ada", "ada@example.com")
    UserSocialAuth.objects.create(user=user, provider="auth0", uid=ADA.sub)
    token = token_of(tenant)
    get(REPORTS, token)

    with django_assert_num_queries(1), blocking_calls_on_the_loop() as blocking:
        response = get(REPORTS, token)[0]

    assert response.json()["pk"] == user.pk
    assert blocking == []


# -- a live ASGI server ----------------------------------------------------------------


def many(url: str, path: str, token: str | None, count: int) -> list[int]:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    with requests.Session() as session, ThreadPoolExecutor(16) as pool:
        calls = [
            pool.submit(session.get, f"{url}{path}", headers=headers, timeout=10)
            for _ in range(count)
        ]
        return [call.result().status_code for call in calls]


@pytest.mark.django_db(transaction=True)
def test_under_uvicorn_many_concurrent_requests_one_fetch_no_query(tenant):
    tenant.clear_requests()
    token = token_of(tenant)
    queries = []
    execute = CursorWrapper.execute

    def counted(self, *args, **kwargs):
        queries.append(args[0])
        return execute(self, *args, **kwargs)

    with asgi_server() as url, mock.patch.object(CursorWrapper, "execute", counted):
        with thread_hops() as bare_hops:
            assert many(url, BARE, None, 100) == [200] * 100
        with thread_hops() as hops:
            assert many(url, REPORTS, token, 100) == [200] * 100
        assert many(url, REPORTS, "x.y.z", 5) == [401] * 5

    assert tenant.count(JWKS) == 1
    assert queries == []
    # The protected view's hops beyond the bare view's: one cold key load.
    assert Counter(hops) - Counter(bare_hops) == Counter(["TenantKeys.current"])


def test_the_async_view_of_the_api_page(tenant):
    from tests.support.docs import doc_block

    code = doc_block("docs/api.rst", "api-async")
    namespace: dict = {}
    exec(compile(code, "docs/api.rst (api-async)", "exec"), namespace)  # noqa: S102
    view = namespace["reports"]
    request = RequestFactory().get("/", HTTP_AUTHORIZATION=f"Bearer {token_of(tenant)}")
    with thread_hops() as hops:
        run_async(view, request)  # the keys are loaded: one hop
        response = run_async(view, request)
    assert response.status_code == 200
    assert json.loads(response.content) == {"caller": ADA.sub}
    assert hops == ["TenantKeys.current"]
    assert run_async(view, RequestFactory().get("/")).status_code == 401
