"""The emulator's command line serves APIs: ``--api``, ``--grant``, token
lifetimes, and the ``curl`` commands it prints; docs/api.rst's "Try it
locally" run as written, against a live site with a ``token_required`` view."""

from __future__ import annotations

import json
import os
import shlex
import shutil
import subprocess
import sys
import types
from pathlib import Path

import pytest
from django.urls import reverse

from social_auth0.testing import RefreshTokenPolicy
from social_auth0.testing.__main__ import build_parser, parse_args
from social_auth0.testing.cli_api import configure
from social_auth0.testing.tenant import Auth0Tenant
from tests.support.docs import doc_block
from tests.support.ports import free_port

ROOT = Path(__file__).resolve().parents[2]
TESTING_PAGE = ROOT / "docs" / "testing.rst"
TIMEOUT = 10
DOC_DOMAIN = "http://127.0.0.1:8001"
DOC_API_URL = "http://127.0.0.1:8000/api/reports/"


def console_command(block: str) -> list[str]:
    """The first ``$`` command of a console block, continuations joined."""
    command = block.split("$ ", 1)[1].split("\n$ ")[0]
    return shlex.split(command.replace("\\\n", " ").splitlines()[0])


def serve(argv: list[str]) -> tuple[subprocess.Popen[str], list[str]]:
    """Start the CLI; return it and its printed lines up to "Press Ctrl-C"."""
    process = subprocess.Popen(  # noqa: S603
        argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    assert process.stdout is not None
    lines: list[str] = []
    while not lines or lines[-1] != "Press Ctrl-C to stop.":
        line = process.stdout.readline()
        assert line, process.stderr.read() if process.stderr else ""
        lines.append(line.rstrip("\n"))
    return process, lines


def stop(process: subprocess.Popen[str]) -> None:
    process.terminate()
    process.communicate(timeout=TIMEOUT)


@pytest.fixture
def docs_site(settings):
    """The site docs/api.rst builds: the Quickstart's urls.py with the
    docs' block added at its end, as the URLconf."""
    module = types.ModuleType("docs_api_try_urls")
    exec(doc_block("README.rst", "quickstart-urls"), module.__dict__)  # noqa: S102
    exec(doc_block("docs/api.rst", "api-try-urls"), module.__dict__)  # noqa: S102
    sys.modules[module.__name__] = module
    settings.ROOT_URLCONF = module.__name__
    yield settings
    del sys.modules[module.__name__]


def run_printed(script: str, tmp_path: Path) -> str:
    """Run the printed lines with bash, as pasted. Their ``python3`` is this
    interpreter (a Debian with only ``python3.13`` has no ``python3``)."""
    shims = tmp_path / "bin"
    shims.mkdir(exist_ok=True)
    (shims / "python3").symlink_to(sys.executable)
    path = f"{shims}{os.pathsep}{os.environ.get('PATH', '')}"
    return subprocess.run(  # noqa: S603
        ["/bin/bash", "-c", script],  # noqa: S607
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        check=True,
        env={**os.environ, "PATH": path},
    ).stdout


NEEDS_CURL = pytest.mark.skipif(
    shutil.which("curl") is None,
    reason="curl is not installed (apt-get install -y curl): the docs' curl "
    "lines are run as written",
)


@NEEDS_CURL
def test_try_it_locally_runs_as_written(docs_site, live_server, tmp_path):
    """The docs' command, on a free port and pointed at the live site; its
    output is the docs' output; the printed curl lines get a token and call
    the docs' view with it."""
    # The view is added to the Quickstart's URLs: its login stays.
    assert reverse("social_auth0:login") == "/auth0/login/"
    port = free_port()
    site_url = DOC_API_URL.replace("http://127.0.0.1:8000", live_server.url)
    command = console_command(doc_block("docs/api.rst", "api-try-emulator"))
    assert command[0] == "python"
    argv = [sys.executable, *command[1:], "--port", str(port), "--api-url", site_url]
    process, lines = serve(argv)
    try:
        domain = f"http://127.0.0.1:{port}"
        printed = "\n".join(lines).replace(domain, DOC_DOMAIN)
        assert printed.replace(site_url, DOC_API_URL) + "\n" == doc_block(
            "docs/api.rst", "api-try-output"
        )
        site_settings: dict[str, object] = {}
        exec(doc_block("docs/api.rst", "api-try-settings"), site_settings)  # noqa: S102
        del site_settings["__builtins__"]
        # The one setting to add is the one the emulator prints beyond the
        # Quickstart's three (its variables), with the same value.
        ((name, value),) = site_settings.items()
        assert f"{name} = {value!r}" in lines
        setattr(docs_site, name, value)
        docs_site.SOCIAL_AUTH_AUTH0_DOMAIN = domain
        token_line, call_line = (line.strip() for line in lines[-3:-1])
        assert token_line.startswith("TOKEN=$(curl ")
        assert call_line.startswith("curl ")
        answer = run_printed(f"{token_line}\n{call_line}", tmp_path)
    finally:
        stop(process)
    expected = doc_block("docs/api.rst", "api-try-answer").splitlines()[-1]
    assert json.loads(answer) == json.loads(expected)


@NEEDS_CURL
def test_the_printed_token_is_refused_without_the_granted_scope(
    docs_site, live_server, tmp_path
):
    """A grant of another scope: the same commands get a token the view refuses."""
    port = free_port()
    argv = [
        *(sys.executable, "-m", "social_auth0.testing", "--port", str(port)),
        *("--api", "https://api.example.com/", "read:reports", "write:reports"),
        *("--grant", "test-client-id", "https://api.example.com/", "write:reports"),
        *("--api-url", f"{live_server.url}/api/reports/"),
    ]
    process, lines = serve(argv)
    try:
        docs_site.SOCIAL_AUTH_AUTH0_DOMAIN = f"http://127.0.0.1:{port}"
        docs_site.SOCIAL_AUTH_AUTH0_API_AUDIENCE = "https://api.example.com/"
        token_line, call_line = (line.strip() for line in lines[-3:-1])
        status = run_printed(
            f"{token_line}\n{call_line} -o /dev/null -w '%{{http_code}}'", tmp_path
        )
    finally:
        stop(process)
    assert status == "403"


def test_without_a_grant_it_says_how_to_add_one():
    process, lines = serve(
        [sys.executable, "-m", "social_auth0.testing", "--port", "0", "--api", "a"]
    )
    stop(process)
    assert "SOCIAL_AUTH_AUTH0_API_AUDIENCE = 'a'" in lines
    assert "API: a (scopes: none)" in lines
    assert (
        "No client grant: add --grant CLIENT_ID API to get tokens with curl." in lines
    )


def test_several_apis_print_a_list_audience():
    process, lines = serve(
        [
            *(sys.executable, "-m", "social_auth0.testing", "--port", "0"),
            *("--api", "a", "--api", "b", "x"),
            *("--grant", "test-client-id", "a", "--grant", "test-client-id", "b"),
        ]
    )
    stop(process)
    assert "SOCIAL_AUTH_AUTH0_API_AUDIENCE = ['a', 'b']" in lines
    assert sum(line.startswith("  TOKEN=$(curl ") for line in lines) == 2


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--grant", "test-client-id"], "--grant needs CLIENT_ID API [SCOPE ...]"),
        (["--grant", "other", "a"], "--grant: no application 'other'"),
        (["--grant", "test-client-id", "a"], "--grant: no API 'a': add --api a"),
        (
            ["--api", "a", "read", "--grant", "test-client-id", "a", "write"],
            "--grant: a has no scope write (its scopes: read)",
        ),
        (["--api", "a", "--api", "a"], "--api a is given twice"),
        (
            ["--refresh-token-policy", "b"],
            "--refresh-token-policy: no API 'b': add --api",
        ),
        (["--api", " "], "--api: the identifier is empty"),
        (
            ["--access-token-lifetime", "0"],
            "argument --access-token-lifetime: expected a whole number of "
            "seconds >= 1, got '0'",
        ),
        (
            ["--refresh-token-reuse-interval", "soon"],
            "argument --refresh-token-reuse-interval: expected a whole number "
            "of seconds >= 0, got 'soon'",
        ),
    ],
)
def test_bad_options_are_usage_errors(capsys, argv, message):
    with pytest.raises(SystemExit) as exit_info:
        parse_args(argv)
    assert exit_info.value.code == 2
    assert f"error: {message}" in capsys.readouterr().err


def test_a_bad_option_stops_the_command_with_its_usage():
    result = subprocess.run(  # noqa: S603
        [sys.executable, "-m", "social_auth0.testing", "--grant", "x", "y"],
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
    )
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.startswith("usage: python -m social_auth0.testing")
    assert "error: --grant: no application 'x'" in result.stderr


def test_token_options_configure_the_application():
    args = parse_args(
        [
            *("--access-token-lifetime", "600", "--no-refresh-token-rotation"),
            *("--refresh-token-reuse-interval", "30", "--api", "a", "r", "w"),
            *("--grant", "test-client-id", "a", "r"),
        ]
    )
    tenant = Auth0Tenant()
    configure(tenant, args)
    app = tenant.applications["test-client-id"]
    assert app.access_token_lifetime == 600
    assert app.refresh_token_rotation is False
    assert app.refresh_token_reuse_interval == 30
    assert tenant.apis["a"].scopes == ("r", "w")
    assert app.api_grants == {"a": ["r"]}
    assert app.refresh_token_policies == []
    assert (tenant.dpop_nonce, app.require_proof_of_possession) == (None, False)
    dpop = parse_args(["--dpop-nonce", "n-1", "--require-dpop"])
    configure(tenant, dpop)
    assert (tenant.dpop_nonce, app.require_proof_of_possession) == ("n-1", True)
    defaults = parse_args([])
    assert (defaults.access_token_lifetime, defaults.refresh_token_rotation) == (
        None,
        True,
    )


def test_refresh_token_policies_go_to_every_application():
    args = parse_args(
        [
            *("--api", "a", "r", "w", "--api", "b", "x"),
            *("--refresh-token-policy", "a", "r", "--refresh-token-policy", "b"),
        ]
    )
    tenant = Auth0Tenant()
    configure(tenant, args)
    assert tenant.applications["test-client-id"].refresh_token_policies == [
        RefreshTokenPolicy("a", ("r",)),
        RefreshTokenPolicy("b", ("x",)),
    ]


def test_every_option_is_documented():
    section = TESTING_PAGE.read_text().split(".. _testing-cli:")[1]
    section = section.split(".. _testing-constructor:")[0]
    for action in build_parser()._actions:
        for option in action.option_strings:
            if option not in ("-h", "--help"):
                assert f"``{option}" in section, option
