"""System checks of the tenant's custom domains (E130-E132), compared whole."""

from __future__ import annotations

import pytest
from django.core import checks
from django.test import override_settings

from social_auth0.checks import domains

CUSTOM = "SOCIAL_AUTH_AUTH0_CUSTOM_DOMAINS"
RESOLVER = "SOCIAL_AUTH_AUTH0_DOMAIN_RESOLVER"
LIST_HINT = (
    "List each of the tenant's custom domains once, as DOMAIN is written, "
    "e.g. ['login.acme.com']."
)
RESOLVER_HINT = (
    "Name a function taking the request and returning DOMAIN or one of "
    "CUSTOM_DOMAINS, e.g. 'myapp.auth.domain_for'."
)


def run() -> list[checks.CheckMessage]:
    return [*domains.check_custom_domains(), *domains.check_domain_resolver()]


def domain_for(request):
    """An importable resolver."""
    return "login.acme.com"


@override_settings(
    SOCIAL_AUTH_AUTH0_DOMAIN="tenant.eu.auth0.com",
    **{
        CUSTOM: ["login.acme.com", "https://login.globex.com/"],
        RESOLVER: f"{__name__}.domain_for",
    },
)
def test_well_formed_settings_draw_nothing():
    assert run() == []


def test_unset_draws_nothing():
    assert run() == []


@pytest.mark.parametrize(
    ("value", "detail"),
    [
        ("login.acme.com", "must be a list of host names (e.g. ['login.acme.com'])"),
        (
            ["login.acme.com/path"],
            "'login.acme.com/path' must be a bare host name, without a path",
        ),
        (
            ["http://login.acme.com"],
            "'http://login.acme.com' must use https (http is for loopback hosts only)",
        ),
        ([""], "is not set (expected e.g. 'tenant.eu.auth0.com')"),
    ],
)
def test_malformed_custom_domains(settings, value, detail):
    settings.SOCIAL_AUTH_AUTH0_CUSTOM_DOMAINS = value
    assert run() == [
        checks.Error(f"{CUSTOM} {detail}.", hint=LIST_HINT, id="social_auth0.E130")
    ]


def test_a_domain_listed_twice(settings):
    settings.SOCIAL_AUTH_AUTH0_CUSTOM_DOMAINS = ["login.acme.com", "LOGIN.acme.com/"]
    assert run() == [
        checks.Error(
            f"{CUSTOM} names 'LOGIN.acme.com/' twice.",
            hint=LIST_HINT,
            id="social_auth0.E131",
        )
    ]


def test_domain_listed_again(settings):
    settings.SOCIAL_AUTH_AUTH0_DOMAIN = "login.acme.com"
    settings.SOCIAL_AUTH_AUTH0_CUSTOM_DOMAINS = ["https://login.acme.com"]
    assert run() == [
        checks.Error(
            f"{CUSTOM} names SOCIAL_AUTH_AUTH0_DOMAIN ('login.acme.com') again.",
            hint="SOCIAL_AUTH_AUTH0_DOMAIN is the tenant's first domain already: "
            "list only the others.",
            id="social_auth0.E131",
        )
    ]


@pytest.mark.parametrize(
    ("value", "detail"),
    [
        (
            "myapp.nowhere.domain_for",
            "'myapp.nowhere.domain_for' cannot be imported (No module named 'myapp')",
        ),
        (f"{__name__}.LIST_HINT", f"'{__name__}.LIST_HINT' is not a function"),
        (42, "must be a dotted path to a function of the request"),
    ],
)
def test_unusable_resolver(settings, value, detail):
    settings.SOCIAL_AUTH_AUTH0_DOMAIN_RESOLVER = value
    assert run() == [
        checks.Error(
            f"{RESOLVER} {detail}.", hint=RESOLVER_HINT, id="social_auth0.E132"
        )
    ]


# docs/enterprise.rst's settings and resolver --------------------------------


@pytest.fixture
def documented_resolver(monkeypatch):
    """docs/enterprise.rst's ``myapp/auth.py``, importable as it says."""
    import sys
    import types

    from tests.support.docs import doc_block, files_of

    module = types.ModuleType("myapp.auth")
    source = files_of(doc_block("docs/enterprise.rst", "enterprise-domain-resolver"))
    exec(source["myapp/auth.py"], module.__dict__)  # noqa: S102 (our docs)
    monkeypatch.setitem(sys.modules, "myapp", types.ModuleType("myapp"))
    monkeypatch.setitem(sys.modules, "myapp.auth", module)
    return module


def test_documented_settings_pass_the_checks(settings, documented_resolver):
    from tests.support.docs import doc_block

    values: dict[str, object] = {}
    exec(doc_block("docs/enterprise.rst", "enterprise-domains-settings"), values)  # noqa: S102
    for name, value in values.items():
        if name.startswith("SOCIAL_AUTH_"):
            setattr(settings, name, value)
    assert run() == []


def test_documented_resolver_picks_the_brands_domain(settings, documented_resolver):
    from django.test import RequestFactory

    from social_auth0.backend import backend_for

    settings.SOCIAL_AUTH_AUTH0_DOMAIN = "login.acme.com"
    settings.SOCIAL_AUTH_AUTH0_CUSTOM_DOMAINS = ["login.globex.com"]
    settings.SOCIAL_AUTH_AUTH0_DOMAIN_RESOLVER = "myapp.auth.domain_for"
    settings.ALLOWED_HOSTS = ["www.globex.com", "www.acme.com"]
    for host, domain in [
        ("www.globex.com", "https://login.globex.com"),
        ("www.acme.com", "https://login.acme.com"),
    ]:
        backend = backend_for(RequestFactory().get("/", HTTP_HOST=host))
        backend.strategy.request = RequestFactory().get("/", HTTP_HOST=host)
        assert backend.resolve_domain() == domain
