"""``manage.py auth0check`` against the emulated tenant over loopback HTTP.

Each failure is produced the way it happens for real (a tenant naming another
issuer, keys down or unusable, a wrong secret, an unregistered callback, an
http site in production) and asserted by the line printed and the exit status.
No test touches the database: the doctor must write nothing.
"""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from social_core.exceptions import AuthConfigurationError

from social_auth0.checks.doctor import Answer, authorize_verdict, client_verdict
from tests.support.docs import doc_block, shell_lines
from tests.support.tenants import make_tenant, point_django_at
from tests.support.tokens import CLIENT_ID

SECRET = "test-client-secret"
SITE = "https://testserver"
CALLBACK = f"{SITE}/complete/auth0/"
CHECKS = ("discovery", "jwks", "client", "callback", "logout", "backchannel", "apis")


@pytest.fixture
def tenant(settings):
    with make_tenant(callback_urls=[CALLBACK]) as tenant:
        point_django_at(tenant, settings)
        yield tenant


def auth0check(*args: str) -> tuple[str, CommandError | None]:
    """Run the command; its output and the CommandError it ended with, if any."""
    out, err = StringIO(), StringIO()
    error = None
    try:
        call_command("auth0check", *args, stdout=out, stderr=err, no_color=True)
    except CommandError as raised:
        error = raised
    output = out.getvalue() + err.getvalue()
    assert SECRET not in output and "wrong-secret" not in output
    assert "auth0check-not-a-code-" not in output
    return output, error


def line(output: str, check: str) -> str:
    """The result line of ``check`` and, when there is one, its fix."""
    lines = output.splitlines()
    for index, text in enumerate(lines):
        if text[6:].startswith(f"{check} "):
            fix = lines[index + 1] if index + 1 < len(lines) else ""
            return text + ("\n" + fix if fix.lstrip().startswith("fix:") else "")
    raise AssertionError(f"no {check} line in:\n{output}")


def statuses(output: str) -> dict[str, str]:
    return {check: line(output, check)[:4].strip() for check in CHECKS}


def test_healthy_tenant_passes_every_check(tenant) -> None:
    output, error = auth0check("--site-url", SITE)

    assert error is None, output
    assert statuses(output) == dict.fromkeys(CHECKS, "OK")
    assert output.splitlines()[0] == (
        f"Auth0 tenant {tenant.base_url}, client {CLIENT_ID}; "
        f"this site: {SITE} (from --site-url)"
    )
    assert f"issuer {tenant.issuer} as expected" in line(output, "discovery")
    assert f"(kid: {tenant.signing_kid})" in line(output, "jwks")
    assert "invalid_grant" in line(output, "client")
    assert f"{CALLBACK} is accepted (/authorize answered with its login page)" in (
        line(output, "callback")
    )
    assert f"return URL {SITE}/done/" in line(output, "logout")
    assert f"{SITE}/auth0/backchannel-logout/" in line(output, "backchannel")
    assert output.rstrip().endswith("All 7 checks passed.")
    # One request each; the login page /authorize redirects to is not followed.
    assert [record.path for record in tenant.requests] == [
        "/.well-known/openid-configuration",
        "/.well-known/jwks.json",
        "/oauth/token",
        "/authorize",
    ]


def test_authorize_request_is_the_logins(tenant, settings) -> None:
    settings.SOCIAL_AUTH_AUTH0_AUDIENCE = "https://api.example.com"
    auth0check("--site-url", SITE)

    (record,) = [r for r in tenant.requests if r.path == "/authorize"]
    query = record.query
    assert query["redirect_uri"] == CALLBACK
    assert query["client_id"] == CLIENT_ID
    assert query["response_type"] == "code"
    assert query["code_challenge_method"] == "S256"
    assert query["audience"] == "https://api.example.com"
    assert set(query["scope"].split()) == {"openid", "profile", "email"}
    assert query["state"] and query["nonce"]


def test_issuer_mismatch_fails_discovery(tenant) -> None:
    tenant.misbehave.discovery_issuer = "https://login.example.com/"

    output, error = auth0check("--site-url", SITE)

    assert str(error) == "1 of 7 checks failed."
    discovery = line(output, "discovery")
    assert discovery.startswith("FAIL  discovery    ")
    assert (
        f"names the issuer 'https://login.example.com/', but ID tokens are "
        f"checked against '{tenant.issuer}'"
    ) in discovery
    assert "fix: Set SOCIAL_AUTH_AUTH0_DOMAIN = 'login.example.com'" in discovery


def test_jwks_down_fails_jwks(tenant) -> None:
    tenant.misbehave.jwks_down = True

    output, error = auth0check("--site-url", SITE)

    assert str(error) == "1 of 7 checks failed."
    jwks = line(output, "jwks")
    assert jwks.startswith(
        "FAIL  jwks         the signing keys (JWKS): unavailable, HTTP 503"
    )
    assert "fix: The tenant must serve RS256 signing keys" in jwks


def test_jwks_without_rs256_key_fails_jwks(tenant) -> None:
    encryption_key = {**tenant.jwks["keys"][0], "use": "enc", "alg": "RSA-OAEP"}
    tenant.misbehave.jwks_body = json.dumps({"keys": [encryption_key]}).encode()

    output, error = auth0check("--site-url", SITE)

    assert str(error) == "1 of 7 checks failed."
    jwks = line(output, "jwks")
    assert jwks.startswith(
        "FAIL  jwks         the signing keys (JWKS): malformed_response"
    )
    assert "JWKS document holds no RS256 signing key" in jwks


def test_wrong_client_secret_fails_client(tenant, settings) -> None:
    settings.SOCIAL_AUTH_AUTH0_SECRET = "wrong-secret"

    output, error = auth0check("--site-url", SITE)

    assert str(error) == "1 of 7 checks failed."
    client = line(output, "client")
    assert client.startswith(
        "FAIL  client       the token endpoint refused the client credentials: "
        "access_denied (HTTP 401)"
    )
    assert "fix: SOCIAL_AUTH_AUTH0_KEY and SOCIAL_AUTH_AUTH0_SECRET must be" in client
    assert tenant.count("/oauth/token") == 1


def test_missing_client_secret_fails_client_without_a_request(tenant, settings):
    settings.SOCIAL_AUTH_AUTH0_SECRET = ""

    output, error = auth0check("--site-url", SITE)

    assert "SOCIAL_AUTH_AUTH0_SECRET is not set" in line(output, "client")
    assert error is not None
    assert tenant.count("/oauth/token") == 0


def test_unregistered_callback_fails_callback(tenant) -> None:
    tenant.applications[CLIENT_ID].callback_urls[:] = [f"{SITE}/other/"]

    output, error = auth0check("--site-url", SITE)

    assert str(error) == "1 of 7 checks failed."
    callback = line(output, "callback")
    assert callback.startswith(
        f"FAIL  callback     {CALLBACK} is not an Allowed Callback URL "
        "(Auth0's error page: 'Callback URL mismatch')"
    )
    # The tenant is the emulator (http): the fix is its option, not a dashboard.
    assert f"fix: Start the emulator with --callback-url {CALLBACK} " in callback
    assert "dashboard" not in callback


def test_http_site_in_production_fails_logout_and_backchannel(tenant) -> None:
    tenant.applications[CLIENT_ID].callback_urls[:] = [
        "http://testserver/complete/auth0/"
    ]

    output, error = auth0check("--site-url", "http://testserver")

    assert str(error) == "2 of 7 checks failed."
    assert line(output, "logout").startswith(
        "FAIL  logout       the logout return URL http://testserver/done/ is not https"
    )
    assert line(output, "backchannel").startswith(
        "FAIL  backchannel  the back-channel logout URL "
        "http://testserver/auth0/backchannel-logout/ is not https"
    )
    # Accepted by the tenant, but codes would cross the network in clear.
    assert line(output, "callback").startswith(
        "WARN  callback     http://testserver/complete/auth0/ is accepted, "
        "but not https"
    )


def test_loopback_site_in_production_fails_logout_and_backchannel(tenant, settings):
    settings.ALLOWED_HOSTS = ["127.0.0.1"]
    tenant.applications[CLIENT_ID].callback_urls[:] = [
        "https://127.0.0.1:8443/complete/auth0/"
    ]

    output, error = auth0check("--site-url", "https://127.0.0.1:8443")

    assert error is not None
    assert "is on a loopback host" in line(output, "logout")
    assert "is on a loopback host: Auth0 cannot POST to it" in line(
        output, "backchannel"
    )


def test_debug_site_may_use_http_on_loopback(tenant, settings) -> None:
    settings.DEBUG = True
    tenant.applications[CLIENT_ID].callback_urls[:] = [
        "http://localhost:8000/complete/auth0/"
    ]

    output, error = auth0check("--site-url", "http://localhost:8000")

    assert error is None, output
    assert statuses(output) == dict.fromkeys(CHECKS, "OK")
    assert "(DEBUG: http and loopback allowed)" in line(output, "backchannel")


def test_site_url_setting_is_used_and_named(tenant, settings) -> None:
    settings.SOCIAL_AUTH_AUTH0_SITE_URL = SITE + "/"

    output, error = auth0check()

    assert error is None, output
    assert f"this site: {SITE} (from SOCIAL_AUTH_AUTH0_SITE_URL)" in output


def test_without_site_url_the_site_checks_warn(tenant) -> None:
    output, error = auth0check()

    assert error is None, output
    assert statuses(output) == {
        "discovery": "OK",
        "jwks": "OK",
        "client": "OK",
        "callback": "WARN",
        "logout": "WARN",
        "backchannel": "WARN",
        "apis": "OK",
    }
    assert "fix: Pass --site-url https://your.site" in line(output, "callback")
    assert output.rstrip().endswith("All 7 checks passed, 3 with a warning.")
    assert tenant.count("/authorize") == 0


def test_configured_apis_are_reported_as_not_checked(tenant, settings) -> None:
    """Only a user's refresh token or the Management API can tell whether the
    tenant issues tokens for an API: the doctor says so, and never guesses."""
    settings.SOCIAL_AUTH_AUTH0_APIS = {"https://billing.example.com/": []}
    tenant.clear_requests()

    output, error = auth0check("--site-url", SITE)

    assert error is None, output
    assert statuses(output)["apis"] == "WARN"
    assert "not checked: whether the tenant issues tokens for https://billing." in (
        line(output, "apis")
    )
    assert "refresh_token.policies" in line(output, "apis")
    assert len(tenant.requests) == 4  # no request of its own


def test_malformed_apis_fails_apis(tenant, settings) -> None:
    settings.SOCIAL_AUTH_AUTH0_APIS = ["https://billing.example.com/"]

    output, error = auth0check("--site-url", SITE)

    assert error is not None
    assert statuses(output)["apis"] == "FAIL"
    assert "SOCIAL_AUTH_AUTH0_APIS must be a dict" in line(output, "apis")


def test_site_host_outside_allowed_hosts_fails(tenant) -> None:
    output, error = auth0check("--site-url", "https://elsewhere.example")

    assert str(error) == "3 of 7 checks failed."
    assert line(output, "callback") == (
        "FAIL  callback     elsewhere.example is not in ALLOWED_HOSTS: Django would "
        "refuse requests to it\n"
        "                   fix: Add 'elsewhere.example' to ALLOWED_HOSTS."
    )


@pytest.mark.parametrize(
    "url",
    [
        "testserver",
        "ftp://testserver",
        "https://testserver/app",
        "https://",
        "https://testserver:port",
        "https://user:pw@testserver",
    ],
)
def test_rejects_site_url_that_is_not_a_base_url(tenant, url) -> None:
    with pytest.raises(CommandError, match="--site-url must be this site's base URL"):
        call_command("auth0check", "--site-url", url, stdout=StringIO())


def test_invalid_domain_stops_before_any_request(settings) -> None:
    settings.SOCIAL_AUTH_AUTH0_DOMAIN = "http://tenant.example.com"
    with pytest.raises(
        CommandError, match="SOCIAL_AUTH_AUTH0_DOMAIN .* must use https"
    ):
        call_command("auth0check", stdout=StringIO())


def test_exit_status_of_manage_py(tenant, tmp_path: Path) -> None:
    """A real process: exit 0 when healthy, 1 with the failing line printed."""
    (tmp_path / "doctor_settings.py").write_text(
        "from tests.settings import *\n"
        f"SOCIAL_AUTH_AUTH0_DOMAIN = {tenant.domain!r}\n"
        f"SOCIAL_AUTH_AUTH0_SITE_URL = {SITE!r}\n"
    )
    root = Path(__file__).resolve().parents[2]
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(tmp_path), str(root)]),
        "DJANGO_SETTINGS_MODULE": "doctor_settings",
    }

    def run() -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "django", "auth0check", "--no-color"],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )

    healthy = run()
    assert healthy.returncode == 0, healthy.stderr
    assert "All 7 checks passed." in healthy.stdout

    tenant.misbehave.jwks_down = True
    broken = run()
    assert broken.returncode == 1
    assert "FAIL  jwks " in broken.stdout
    assert "CommandError: 1 of 7 checks failed." in broken.stderr


# What a real tenant answers at /authorize (no cookie, redirects not followed).
AUTHORIZE = "https://tenant.eu.auth0.com/authorize?client_id=abc&state=s"


def test_real_tenant_login_page_means_accepted() -> None:
    answer = Answer(302, "/u/login?state=hKFo2SBx", "")
    assert authorize_verdict(answer, AUTHORIZE, CALLBACK).status == "OK"


def test_real_tenant_error_page_redirect_means_mismatch() -> None:
    location = (
        "https://tenant.eu.auth0.com/error?client=abc&error=unauthorized_client"
        "&error_description=Callback%20URL%20mismatch.%20https%3A%2F%2Ftestserver"
        "%2Fcomplete%2Fauth0%2F%20is%20not%20in%20the%20list%20of%20allowed"
        "%20callback%20URLs"
    )
    verdict = authorize_verdict(Answer(302, location, ""), AUTHORIZE, CALLBACK)
    assert verdict.status == "FAIL"
    assert verdict.summary.startswith(f"{CALLBACK} is not an Allowed Callback URL")
    assert verdict.fix.startswith("In the Auth0 dashboard > Applications")
    assert f"add exactly {CALLBACK} to Allowed Callback URLs" in verdict.fix


def test_real_tenant_error_sent_to_the_callback_names_it() -> None:
    location = (
        f"{CALLBACK}?error=access_denied&error_description="
        "Service%20not%20found%3A%20https%3A%2F%2Fapi&state=s"
    )
    verdict = authorize_verdict(Answer(302, location, ""), AUTHORIZE, CALLBACK)
    assert verdict.status == "FAIL"
    assert "refused the login: access_denied: 'Service not found: https://api'" in (
        verdict.summary
    )
    assert "SOCIAL_AUTH_AUTH0_AUDIENCE" in verdict.fix


def test_unknown_client_id_fails_client_and_callback(tenant, settings) -> None:
    settings.SOCIAL_AUTH_AUTH0_KEY = "not-an-application"

    output, error = auth0check("--site-url", SITE)

    assert str(error) == "2 of 7 checks failed."
    assert "access_denied (HTTP 401)" in line(output, "client")
    assert line(output, "callback").startswith(
        "FAIL  callback     /authorize showed its error page: HTTP 400: "
        "'Unknown client'"
    )


def test_token_endpoint_down_fails_client(tenant) -> None:
    tenant.misbehave.token_status = 503

    output, error = auth0check("--site-url", SITE)

    assert str(error) == "1 of 7 checks failed."
    assert line(output, "client").startswith(
        "FAIL  client       the token endpoint: unavailable, HTTP 503, "
        "temporarily_unavailable"
    )


def test_grant_type_not_allowed_names_the_dashboard_switch() -> None:
    """Auth0's answer when the application may not use the code grant."""
    error = AuthConfigurationError(
        None,
        "Grant type 'authorization_code' not allowed for the client.",
        provider_code="unauthorized_client",
        status_code=403,
        stage="token_exchange",
    )
    verdict = client_verdict(error)
    assert verdict.status == "FAIL"
    assert "Grant Types, enable Authorization Code" in verdict.fix


def test_unreachable_tenant_fails_every_tenant_check(settings) -> None:
    with make_tenant() as stopped:
        domain = stopped.domain  # a loopback port nobody listens on any more
    settings.SOCIAL_AUTH_AUTH0_DOMAIN = domain

    output, error = auth0check("--site-url", SITE)

    assert str(error) == "4 of 7 checks failed."
    for check in ("discovery", "jwks", "client", "callback"):
        text = line(output, check)
        assert "connection_failed" in text
        assert "fix: The tenant did not answer: check SOCIAL_AUTH_AUTH0_DOMAIN" in text


def test_the_pages_emulator_example_passes_against_the_quickstarts_emulator(
    settings,
):
    """docs/auth0check.rst's command, against an emulator registered as the
    Quickstart's command line registers it."""
    (emulator,) = shell_lines(doc_block("README.rst", "quickstart-emulator"))
    args = shlex.split(emulator)
    registered = [args[i + 1] for i, a in enumerate(args) if a.endswith("-url")]
    python, manage, *command = shlex.split(
        doc_block("docs/auth0check.rst", "auth0check-emulator")
    )
    assert (python, manage, command[0]) == ("python", "manage.py", "auth0check")
    settings.DEBUG = True
    with make_tenant(callback_urls=registered[:1], logout_urls=registered[1:]) as t:
        point_django_at(t, settings)
        output, error = auth0check(*command[1:])
    assert error is None, output
    assert line(output, "callback").startswith("OK")


def check_lines(output: str, check: str) -> list[str]:
    return [text for text in output.splitlines() if text[6:].startswith(f"{check} ")]


def test_every_custom_domain_is_checked(tenant, settings) -> None:
    second = tenant.add_custom_domain("localhost")
    settings.SOCIAL_AUTH_AUTH0_CUSTOM_DOMAINS = [second, "http://localhost:1"]
    output, error = auth0check("--site-url", SITE)

    assert error is not None
    discovery = check_lines(output, "discovery")
    assert [text[:4].strip() for text in discovery] == ["OK", "OK", "FAIL"]
    assert f"{tenant.domain}: issuer {tenant.issuer} as expected" in discovery[0]
    assert f"{second}: issuer {second}/ as expected" in discovery[1]
    assert (
        "http://localhost:1: the discovery document: connection_failed"
        in (discovery[2])
    )
    jwks = check_lines(output, "jwks")
    assert [text[:4].strip() for text in jwks] == ["OK", "OK", "FAIL"]
    hosts = [r.headers["Host"] for r in tenant.requests if r.path.startswith("/.well")]
    assert sorted(set(hosts)) == sorted(
        {tenant.domain.removeprefix("http://"), second.removeprefix("http://")}
    )
