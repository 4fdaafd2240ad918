"""checks/tenant.py: domain, credentials, PKCE, whole-seconds settings and their
security ranges, TLS verification.

Each misconfiguration gives exactly its message, naming the setting as it
was found; messages are compared as whole ``checks.Error``/``checks.Warning``
objects, as Django's tests/auth_tests/test_checks.py does."""

from __future__ import annotations

import pytest
from django.core import checks
from social_core.exceptions import AuthConfigurationError
from social_django.utils import load_backend, load_strategy

from social_auth0.backend import Auth0OAuth2
from social_auth0.checks import lookup, tenant
from tests.support.check_settings import ABSENT, API_ONLY, configured, ids

NOT_BARE = "must be a bare host name, without a path"


DOMAIN_HINT_SET = (
    "Set it to your tenant's domain, e.g. 'tenant.eu.auth0.com' (or a custom domain)."
)


DOMAIN_HINT_BARE = (
    "Give the bare host, e.g. 'tenant.eu.auth0.com' or 'https://tenant.eu.auth0.com/'."
)


DOMAIN_HINT_HTTPS = (
    "Use https, or http only for a local emulator on localhost/127.0.0.1/[::1]."
)


def credentials_error(name: str, label: str, check_id: str) -> checks.Error:
    return checks.Error(
        f"{name} (the application's {label}) is missing or malformed.",
        hint=f"Copy the {label} from your Auth0 application's settings "
        "page, without surrounding spaces.",
        id=check_id,
    )


@pytest.mark.parametrize(
    "domain",
    [
        "tenant.eu.auth0.com",
        "tenant.eu.auth0.com/",
        "https://tenant.eu.auth0.com",
        "https://tenant.eu.auth0.com/",
        "login.example.com",
        "https://login.example.com:8443",
        "http://localhost:8001",
        "http://127.0.0.1:9",
        "http://[::1]:8000",
        " tenant.eu.auth0.com ",
    ],
)
def test_accepts_domain(domain):
    with configured(SOCIAL_AUTH_AUTH0_DOMAIN=domain):
        assert tenant.check_domain() == []


@pytest.mark.parametrize("domain", [ABSENT, None, "", "   "])
def test_rejects_missing_domain(domain):
    with configured(SOCIAL_AUTH_AUTH0_DOMAIN=domain):
        assert tenant.check_domain() == [
            checks.Error(
                "SOCIAL_AUTH_AUTH0_DOMAIN is not set.",
                hint=DOMAIN_HINT_SET,
                id="social_auth0.E001",
            )
        ]


@pytest.mark.parametrize(
    ("domain", "problem"),
    [
        ("https://tenant.eu.auth0.com/login", NOT_BARE),
        ("tenant.eu.auth0.com/authorize", NOT_BARE),
        ("tenant.eu.auth0.com?x=1", NOT_BARE),
        ("https://user:pw@tenant.eu.auth0.com", "must not carry credentials"),
        ("ftp://tenant.eu.auth0.com", "must use https"),
        ("https://tenant.eu.auth0.com:99999999", "is not a host name"),
        ("tenant.eu.auth0.com:https", "is not a host name"),
        # http on loopback is allowed; these fail for another reason (E002).
        ("http://localhost:8001/callback", NOT_BARE),
        ("http://user:pw@localhost:8001", "must not carry credentials"),
    ],
)
def test_rejects_domain_that_is_not_a_bare_host(domain, problem):
    with configured(SOCIAL_AUTH_AUTH0_DOMAIN=domain):
        assert tenant.check_domain() == [
            checks.Error(
                f"SOCIAL_AUTH_AUTH0_DOMAIN {domain!r} {problem}.",
                hint=DOMAIN_HINT_BARE,
                id="social_auth0.E002",
            )
        ]


@pytest.mark.parametrize("domain", [42, ["tenant.eu.auth0.com"]])
def test_rejects_domain_that_is_not_a_string(domain):
    with configured(SOCIAL_AUTH_AUTH0_DOMAIN=domain):
        assert tenant.check_domain() == [
            checks.Error(
                f"SOCIAL_AUTH_AUTH0_DOMAIN must be a string, not {domain!r}.",
                hint=DOMAIN_HINT_BARE,
                id="social_auth0.E002",
            )
        ]


@pytest.mark.parametrize(
    "domain",
    [
        "http://tenant.eu.auth0.com",
        "http://tenant.eu.auth0.com/",
        "HTTP://tenant.eu.auth0.com",
        "http://localhost.evil.example:8001",
        "http://10.0.0.1:8001",
    ],
)
def test_rejects_http_domain_that_is_not_loopback(domain):
    with configured(SOCIAL_AUTH_AUTH0_DOMAIN=domain):
        assert tenant.check_domain() == [
            checks.Error(
                f"SOCIAL_AUTH_AUTH0_DOMAIN {domain!r} must use https (http is for "
                "loopback hosts only).",
                hint=DOMAIN_HINT_HTTPS,
                id="social_auth0.E003",
            )
        ]


@pytest.mark.parametrize("name", ["SOCIAL_AUTH_DOMAIN", "DOMAIN"])
def test_finds_domain_under_a_fallback_name(name):
    with configured(SOCIAL_AUTH_AUTH0_DOMAIN=ABSENT, **{name: "tenant.eu.auth0.com"}):
        assert tenant.check_domain() == []


@pytest.mark.parametrize("name", ["SOCIAL_AUTH_DOMAIN", "DOMAIN"])
def test_names_the_fallback_setting_a_bad_domain_came_from(name):
    with configured(SOCIAL_AUTH_AUTH0_DOMAIN=ABSENT, **{name: "http://tenant.com"}):
        assert tenant.check_domain() == [
            checks.Error(
                f"{name} 'http://tenant.com' must use https (http is for loopback "
                "hosts only).",
                hint=DOMAIN_HINT_HTTPS,
                id="social_auth0.E003",
            )
        ]


def test_backend_specific_name_wins_over_the_fallbacks():
    with configured(SOCIAL_AUTH_DOMAIN="http://bad.example", DOMAIN="ftp://bad"):
        assert tenant.check_domain() == []


@pytest.mark.parametrize("name", ["SOCIAL_AUTH_KEY", "KEY"])
def test_names_the_fallback_setting_a_bad_client_id_came_from(name):
    with configured(SOCIAL_AUTH_AUTH0_KEY=ABSENT, **{name: " padded"}):
        assert tenant.check_credentials() == [
            credentials_error(name, "client id", "social_auth0.E004")
        ]


@pytest.mark.parametrize(
    ("present", "expected"),
    [
        ({"SOCIAL_AUTH_AUTH0_DOMAIN": "a.example"}, "SOCIAL_AUTH_AUTH0_DOMAIN"),
        ({"SOCIAL_AUTH_DOMAIN": "b.example"}, "SOCIAL_AUTH_DOMAIN"),
        ({"DOMAIN": "c.example"}, "DOMAIN"),
        (
            {"SOCIAL_AUTH_DOMAIN": "b.example", "DOMAIN": "c.example"},
            "SOCIAL_AUTH_DOMAIN",
        ),
    ],
)
def test_resolves_setting_names_like_the_backend(present, expected):
    with configured(**{"SOCIAL_AUTH_AUTH0_DOMAIN": ABSENT, **present}):
        value, name = lookup.resolve_setting("DOMAIN")
        backend = load_backend(load_strategy(), "auth0", None)
        assert (value, name) == (present[expected], expected)
        assert backend.setting("DOMAIN") == value


def test_names_the_backend_specific_setting_when_nothing_is_set():
    with configured(SOCIAL_AUTH_AUTH0_KEY=ABSENT):
        assert lookup.resolve_setting("KEY") == (None, "SOCIAL_AUTH_AUTH0_KEY")


@pytest.mark.parametrize(
    "value", [ABSENT, None, "", "   ", " padded ", "padded\n", 123]
)
@pytest.mark.parametrize(
    ("setting", "label", "check_id"),
    [
        ("SOCIAL_AUTH_AUTH0_KEY", "client id", "social_auth0.E004"),
        ("SOCIAL_AUTH_AUTH0_SECRET", "client secret", "social_auth0.E005"),
    ],
)
def test_rejects_missing_empty_or_padded_credentials(setting, label, check_id, value):
    with configured(**{setting: value}):
        assert tenant.check_credentials() == [
            credentials_error(setting, label, check_id)
        ]


def test_reports_both_credentials_when_both_are_missing():
    with configured(SOCIAL_AUTH_AUTH0_KEY=ABSENT, SOCIAL_AUTH_AUTH0_SECRET=""):
        assert tenant.check_credentials() == [
            credentials_error(
                "SOCIAL_AUTH_AUTH0_KEY", "client id", "social_auth0.E004"
            ),
            credentials_error(
                "SOCIAL_AUTH_AUTH0_SECRET", "client secret", "social_auth0.E005"
            ),
        ]


def test_accepts_credentials():
    assert tenant.check_credentials() == []


def test_an_api_only_site_needs_no_credentials():
    with configured(
        **API_ONLY, SOCIAL_AUTH_AUTH0_KEY=ABSENT, SOCIAL_AUTH_AUTH0_SECRET=ABSENT
    ):
        assert tenant.check_credentials() == []


def test_an_api_only_site_is_told_of_a_malformed_client_id_it_sets():
    with configured(
        **API_ONLY, SOCIAL_AUTH_AUTH0_KEY=" padded ", SOCIAL_AUTH_AUTH0_SECRET=ABSENT
    ):
        assert tenant.check_credentials() == [
            credentials_error("SOCIAL_AUTH_AUTH0_KEY", "client id", "social_auth0.E004")
        ]


@pytest.mark.parametrize(
    "login",
    [{}, {"ROOT_URLCONF": "tests.support.api_urls"}],
    ids=["backend_and_login_urls", "backend_only"],
)
def test_a_login_site_with_an_api_still_needs_the_client_id(login):
    """The test settings list the backend and route social_django's login."""
    with configured(
        SOCIAL_AUTH_AUTH0_API_AUDIENCE="https://api.example.com/",
        SOCIAL_AUTH_AUTH0_KEY=ABSENT,
        **login,
    ):
        assert tenant.check_credentials() == [
            credentials_error("SOCIAL_AUTH_AUTH0_KEY", "client id", "social_auth0.E004")
        ]


@pytest.mark.parametrize("name", ["SOCIAL_AUTH_AUTH0_USE_PKCE", "SOCIAL_AUTH_USE_PKCE"])
def test_rejects_pkce_switched_off(name):
    with configured(**{name: False}):
        assert tenant.check_pkce() == [
            checks.Error(
                f"{name} switches PKCE off.",
                hint=f"Remove {name}: social_auth0 always uses PKCE (S256).",
                id="social_auth0.E006",
            )
        ]


def test_rejects_plain_pkce():
    name = "SOCIAL_AUTH_AUTH0_PKCE_CODE_CHALLENGE_METHOD"
    with configured(**{name: "plain"}):
        assert tenant.check_pkce() == [
            checks.Error(
                f"{name} is 'plain'; only 'S256' is allowed.",
                hint=f"Remove {name} ('plain' sends the verifier in clear).",
                id="social_auth0.E006",
            )
        ]


def test_accepts_pkce_left_alone_or_set_to_s256():
    assert tenant.check_pkce() == []
    with configured(
        SOCIAL_AUTH_AUTH0_USE_PKCE=True,
        SOCIAL_AUTH_AUTH0_PKCE_CODE_CHALLENGE_METHOD="S256",
    ):
        assert tenant.check_pkce() == []


@pytest.mark.parametrize(
    "setting", ["LEEWAY", "MAX_AGE", "JWKS_CACHE_TTL", "JWKS_REFETCH_INTERVAL"]
)
@pytest.mark.parametrize("value", ["60", -1, 1.5, True, [60]])
def test_rejects_seconds_that_are_not_a_non_negative_integer(setting, value):
    kind = "a positive" if setting.startswith("JWKS") else "a non-negative"
    with configured(**{f"SOCIAL_AUTH_AUTH0_{setting}": value}):
        assert tenant.check_numbers() == [
            checks.Error(
                f"SOCIAL_AUTH_AUTH0_{setting} must be {kind} integer "
                f"(seconds), not {value!r}.",
                id="social_auth0.E010",
            )
        ]


def test_names_the_fallback_setting_bad_seconds_came_from():
    with configured(LEEWAY="1m"):
        assert tenant.check_numbers() == [
            checks.Error(
                "LEEWAY must be a non-negative integer (seconds), not '1m'.",
                id="social_auth0.E010",
            )
        ]


def test_accepts_whole_seconds():
    assert tenant.check_numbers() == []
    with configured(
        SOCIAL_AUTH_AUTH0_LEEWAY=0,
        SOCIAL_AUTH_AUTH0_MAX_AGE=3600,
        SOCIAL_AUTH_AUTH0_JWKS_CACHE_TTL=600,
        SOCIAL_AUTH_AUTH0_JWKS_REFETCH_INTERVAL=10,
    ):
        assert tenant.check_numbers() == []


def backend_refuses(read) -> bool:
    """Whether the backend, reading the current settings, refuses them."""
    backend = load_backend(load_strategy(), "auth0", None)
    try:
        read(backend)
    except AuthConfigurationError:
        return True
    return False


SECONDS_READERS = {
    "LEEWAY": lambda backend: backend.leeway(),
    "MAX_AGE": lambda backend: backend.max_age(),
    "JWKS_CACHE_TTL": lambda backend: backend.tenant_keys(),
    "JWKS_REFETCH_INTERVAL": lambda backend: backend.tenant_keys(),
}


@pytest.mark.parametrize("setting", sorted(Auth0OAuth2.SECONDS_MINIMUMS))
@pytest.mark.parametrize("offset", [-1, 0, 1])
def test_e010_and_the_backend_agree_on_the_least_seconds(setting, offset):
    assert set(SECONDS_READERS) == set(Auth0OAuth2.SECONDS_MINIMUMS)
    value = Auth0OAuth2.SECONDS_MINIMUMS[setting] + offset
    with configured(**{f"SOCIAL_AUTH_AUTH0_{setting}": value}):
        reported = "social_auth0.E010" in ids(tenant.check_numbers())
        assert reported == backend_refuses(SECONDS_READERS[setting]) == (offset < 0)


@pytest.mark.parametrize("method", ["S256", "s256", "plain", None])
def test_e006_and_the_backend_agree_on_pkce_methods(method):
    with configured(SOCIAL_AUTH_AUTH0_PKCE_CODE_CHALLENGE_METHOD=method):
        reported = "social_auth0.E006" in ids(tenant.check_pkce())
        assert reported == backend_refuses(lambda backend: backend.check_pkce())
        assert reported == (method != "S256")


@pytest.mark.parametrize("setting", ["JWKS_CACHE_TTL", "JWKS_REFETCH_INTERVAL"])
def test_rejects_zero_which_would_switch_off_the_jwks_rate_limit(setting):
    with configured(**{f"SOCIAL_AUTH_AUTH0_{setting}": 0}):
        assert [m.id for m in tenant.check_numbers()] == ["social_auth0.E010"]


def tls_error(name: str, value) -> checks.Error:
    return checks.Error(
        f"{name} = {value!r} switches off TLS certificate verification.",
        hint="Anyone on the network path could then serve their own tokens and "
        f"keys. Remove {name}, or set it to the path of a CA bundle that signs "
        "the tenant's certificate.",
        id="social_auth0.E030",
    )


@pytest.mark.parametrize(
    "name", ["SOCIAL_AUTH_AUTH0_VERIFY_SSL", "SOCIAL_AUTH_VERIFY_SSL", "VERIFY_SSL"]
)
@pytest.mark.parametrize("value", [False, 0, ""])
def test_rejects_tls_verification_switched_off(name, value):
    with configured(**{name: value}):
        assert tenant.check_tls_verification() == [tls_error(name, value)]
        assert "social_auth0.E030" in ids(checks.run_checks(tags=["social_auth0"]))


@pytest.mark.parametrize(
    "domain", ["https://localhost:8443", "login.example.com", "http://evil.example"]
)
def test_rejects_tls_verification_off_for_any_tenant_but_loopback_http(domain):
    with configured(SOCIAL_AUTH_AUTH0_DOMAIN=domain, SOCIAL_AUTH_VERIFY_SSL=False):
        assert tenant.check_tls_verification() == [
            tls_error("SOCIAL_AUTH_VERIFY_SSL", False)
        ]


@pytest.mark.parametrize(
    "domain", ["http://127.0.0.1:8001", "http://localhost:9", "http://[::1]:8000"]
)
def test_accepts_tls_verification_off_for_a_loopback_emulator_over_http(domain):
    with configured(
        SOCIAL_AUTH_AUTH0_DOMAIN=domain, SOCIAL_AUTH_AUTH0_VERIFY_SSL=False
    ):
        assert tenant.check_tls_verification() == []


@pytest.mark.parametrize("value", [True, None, "/etc/ssl/certs/ca-certificates.crt"])
def test_accepts_tls_verification_on_or_with_a_ca_bundle(value):
    with configured(SOCIAL_AUTH_VERIFY_SSL=value):
        assert tenant.check_tls_verification() == []


def test_backend_specific_verify_ssl_wins_over_the_global_one():
    with configured(SOCIAL_AUTH_VERIFY_SSL=False, SOCIAL_AUTH_AUTH0_VERIFY_SSL=True):
        assert tenant.check_tls_verification() == []


def test_warns_about_a_leeway_of_more_than_five_minutes():
    with configured(SOCIAL_AUTH_AUTH0_LEEWAY=301):
        assert tenant.check_security_ranges() == [
            checks.Warning(
                "SOCIAL_AUTH_AUTH0_LEEWAY is 301 seconds: expired tokens stay "
                "accepted that long.",
                hint="Keep it between 0 and 300 seconds (default 60); fix the "
                "server's clock instead (NTP).",
                id="social_auth0.W030",
            )
        ]


def test_warns_about_a_jwks_cache_ttl_of_more_than_a_day():
    with configured(SOCIAL_AUTH_JWKS_CACHE_TTL=86401):
        assert tenant.check_security_ranges() == [
            checks.Warning(
                "SOCIAL_AUTH_JWKS_CACHE_TTL is 86401 seconds: a signing key "
                "removed from the tenant keeps verifying tokens that long.",
                hint="Keep it between 1 and 86400 seconds (a day; default 600).",
                id="social_auth0.W031",
            )
        ]


@pytest.mark.parametrize(("max_age", "leeway"), [(0, 0), (29, 0), (0, 20), (10, 19)])
def test_warns_about_a_max_age_no_login_can_meet(max_age, leeway):
    with configured(SOCIAL_AUTH_AUTH0_MAX_AGE=max_age, SOCIAL_AUTH_AUTH0_LEEWAY=leeway):
        assert tenant.check_security_ranges() == [
            checks.Warning(
                f"SOCIAL_AUTH_AUTH0_MAX_AGE is {max_age} seconds with "
                f"SOCIAL_AUTH_AUTH0_LEEWAY {leeway}: a user who has just signed in "
                "is rejected, since the redirect back and the code exchange take "
                "longer.",
                hint="Make SOCIAL_AUTH_AUTH0_MAX_AGE + SOCIAL_AUTH_AUTH0_LEEWAY at "
                "least 30 seconds (MAX_AGE = 0 forces a fresh sign-in only with the "
                "default LEEWAY).",
                id="social_auth0.W032",
            )
        ]


def test_max_age_zero_with_the_default_leeway_is_accepted():
    # max_age=0 is how a site forces a fresh sign-in: the default leeway covers it.
    with configured(SOCIAL_AUTH_AUTH0_MAX_AGE=0):
        assert tenant.check_security_ranges() == []


def test_accepts_settings_at_the_edges_of_their_ranges():
    with configured(
        SOCIAL_AUTH_AUTH0_LEEWAY=300,
        SOCIAL_AUTH_AUTH0_JWKS_CACHE_TTL=86400,
        SOCIAL_AUTH_AUTH0_MAX_AGE=0,
    ):
        assert tenant.check_security_ranges() == []
    with configured(SOCIAL_AUTH_AUTH0_LEEWAY=0, SOCIAL_AUTH_AUTH0_MAX_AGE=30):
        assert tenant.check_security_ranges() == []


@pytest.mark.parametrize("value", ["600", -5, True, None])
def test_range_checks_leave_malformed_seconds_to_e010(value):
    with configured(
        SOCIAL_AUTH_AUTH0_LEEWAY=value,
        SOCIAL_AUTH_AUTH0_JWKS_CACHE_TTL=value,
        SOCIAL_AUTH_AUTH0_MAX_AGE=value,
    ):
        assert tenant.check_security_ranges() == []
