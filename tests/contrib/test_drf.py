"""Django REST framework's own classes over ``Auth0TokenAuthentication``:
its per-user throttle and its Django model permissions, with real signed
tokens from the tenant emulator (one tenant, then two sites on two tenants)."""

from __future__ import annotations

import logging

import pytest
import requests
import social_django.utils
from django.contrib.auth.models import Group
from django.test import Client

from tests.support.sites import SITES, STRATEGY
from tests.support.tenants import ADA, make_tenant

pytestmark = [pytest.mark.urls("tests.support.api_urls")]

API = "https://api.example.com/"
GRACE_SUB = "auth0|grace"
THROTTLED = "/drf/throttled/"


@pytest.fixture(scope="module")
def tenant_options():
    return {"apis": [API]}


@pytest.fixture(autouse=True)
def use_tenant(use_tenant, settings):
    settings.SOCIAL_AUTH_AUTH0_API_AUDIENCE = API


def get(live_server, path, token, method="get"):
    return requests.request(
        method,
        f"{live_server.url}{path}",
        headers={"Authorization": f"Bearer {token}"},
        timeout=10,
    )


# -- UserRateThrottle: one bucket per caller ------------------------------------


def test_user_rate_throttle_counts_each_caller_apart(live_server, tenant):
    """DRF's UserRateThrottle keys on ``request.user.pk``: one caller using up
    its rate must not get every other caller answered 429."""
    ada = tenant.access_token_for(ADA)
    grace = tenant.access_token_for(sub=GRACE_SUB)
    assert [get(live_server, THROTTLED, ada).status_code for _ in range(4)] == [
        200,
        200,
        200,
        429,
    ]
    assert get(live_server, THROTTLED, grace).status_code == 200
    # A new token of the same caller is the same caller: still throttled.
    assert get(live_server, THROTTLED, tenant.access_token_for(ADA)).status_code == 429


def test_user_rate_throttle_counts_each_machine_client_apart(live_server, tenant):
    first = tenant.machine_token("client-one")
    second = tenant.machine_token("client-two")
    codes = [get(live_server, THROTTLED, first).status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    assert get(live_server, THROTTLED, second).status_code == 200


# Two sites, each on its own tenant, one process and one cache: the same
# ``sub`` at two tenants is two people.


@pytest.fixture(scope="module")
def two_tenants():
    with (
        make_tenant(client_id="site-a-client", apis=[API]) as a,
        make_tenant(client_id="site-b-client", apis=[API]) as b,
    ):
        yield a, b


@pytest.fixture
def two_sites(two_tenants, settings, monkeypatch):
    monkeypatch.setattr(social_django.utils, "STRATEGY", STRATEGY)
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "site-a.test", "site-b.test"]
    for host, tenant in zip(("site-a.test", "site-b.test"), two_tenants, strict=True):
        SITES[host] = {
            "SOCIAL_AUTH_AUTH0_DOMAIN": tenant.domain,
            "SOCIAL_AUTH_AUTH0_KEY": f"{host.split('.')[0]}-client",
        }
    yield two_tenants
    SITES.clear()


def test_same_sub_at_two_tenants_is_two_callers(two_sites):
    a, b = two_sites
    site_a, site_b = Client(HTTP_HOST="site-a.test"), Client(HTTP_HOST="site-b.test")
    at_a = {"Authorization": f"Bearer {a.access_token_for(sub=ADA.sub)}"}
    at_b = {"Authorization": f"Bearer {b.access_token_for(sub=ADA.sub)}"}
    codes = [site_a.get(THROTTLED, headers=at_a).status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    assert site_b.get(THROTTLED, headers=at_b).status_code == 200
    # and each site still refuses the other tenant's token
    assert site_b.get(THROTTLED, headers=at_a).status_code == 401


# -- DjangoModelPermissions: 403, never 500 ---------------------------------------


@pytest.mark.django_db(transaction=True)
def test_django_model_permissions_refuse_a_token_caller_with_403(
    live_server, tenant, caplog
):
    """The principal holds no Django permission: DRF's DjangoModelPermissions
    lets it read (no permission needed, as for any authenticated user) and
    refuses a write with 403, without an error logged."""
    Group.objects.create(name="staff")
    token = tenant.access_token_for(ADA, scopes=["read:reports", "write:reports"])
    with caplog.at_level(logging.WARNING):
        read = get(live_server, "/drf/groups/", token)
        write = get(live_server, "/drf/groups/", token, method="post")
        machine = get(
            live_server, "/drf/groups/", tenant.machine_token("m2m"), method="post"
        )
    assert (read.status_code, read.json()) == (200, {"groups": ["staff"]})
    assert write.status_code == 403, write.text
    assert machine.status_code == 403, machine.text
    assert list(Group.objects.values_list("name", flat=True)) == ["staff"]
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


def test_each_site_applies_its_own_organization_rules(two_sites, settings):
    """Two sites on one tenant, differing only in ORGANIZATION: each API
    accepts its own organization's tokens (whichever site is served first)."""
    a, _ = two_sites
    SITES["site-b.test"] = dict(SITES["site-a.test"])
    SITES["site-a.test"]["SOCIAL_AUTH_AUTH0_ORGANIZATION"] = "org_acme"
    SITES["site-b.test"]["SOCIAL_AUTH_AUTH0_ORGANIZATION"] = "org_globex"
    acme = {
        "Authorization": f"Bearer {a.access_token_for(sub=ADA.sub, org_id='org_acme')}"
    }
    for host, expected in [("site-a.test", 200), ("site-b.test", 401)] * 2:
        response = Client(HTTP_HOST=host).get("/drf/whoami/", headers=acme)
        assert response.status_code == expected, host
