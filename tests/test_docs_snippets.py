"""The short snippets of docs/pipeline.rst, docs/organizations.rst,
docs/logout.rst, docs/access.rst and docs/testing.rst, run as they stand: the
settings are what the code uses and draw no system check message, the views
answer an anonymous visitor as the pages say, the emulator's command line
starts with the page's users file."""

from __future__ import annotations

import json
import shlex
import subprocess
import sys

import pytest
from django.contrib.auth.models import AnonymousUser
from django.contrib.sessions.backends.db import SessionStore
from django.core import checks
from django.test import RequestFactory, override_settings

from social_auth0 import pipeline

from .support.docs import ROOT, doc_block, shell_lines


def run_block(page: str, name: str, **namespace: object) -> dict[str, object]:
    exec(compile(doc_block(page, name), f"{page} ({name})", "exec"), namespace)  # noqa: S102
    return namespace


def anonymous_request(path: str = "/account/"):
    request = RequestFactory().get(path)
    request.user = AnonymousUser()
    request.session = SessionStore()
    return request


def test_the_pipeline_page_shows_the_pipeline_the_code_has():
    assert (
        run_block("docs/pipeline.rst", "pipeline-setting")["SOCIAL_AUTH_PIPELINE"]
        == pipeline.PIPELINE
    )
    assert run_block("docs/pipeline.rst", "pipeline-steps")["PIPELINE"] == (
        pipeline.PIPELINE
    )


def test_the_organization_groups_settings_draw_no_check_message():
    values = run_block(
        "docs/organizations.rst",
        "organization-groups-pipeline",
        PIPELINE=pipeline.PIPELINE,
    )
    before = checks.run_checks(tags=["social_auth0"])  # tests/settings.py's own
    with override_settings(**{k: v for k, v in values.items() if k.isupper()}):
        assert checks.run_checks(tags=["social_auth0"]) == before


def test_the_back_channel_middleware_line_is_the_quickstarts():
    (line,) = run_block("docs/logout.rst", "logout-middleware")["MIDDLEWARE"]
    assert f'"{line}",' in doc_block("README.rst", "quickstart-settings")


@pytest.mark.django_db
def test_current_organization_without_a_login_is_none():
    found = run_block(
        "docs/organizations.rst", "current-organization", request=anonymous_request()
    )
    assert found["org"] is None


@pytest.mark.django_db
@pytest.mark.parametrize(
    "view", ["change_email", "delete_account", "Billing", "Export"]
)
def test_the_step_up_views_send_a_visitor_to_log_in(view):
    views = run_block("docs/organizations.rst", "step-up-views")
    callable_ = views[view]
    callable_ = callable_.as_view() if isinstance(callable_, type) else callable_
    response = callable_(anonymous_request())
    assert response.status_code == 302
    assert response["Location"].startswith("/auth0/login/?next=")


@pytest.mark.django_db
def test_the_access_view_sends_a_visitor_without_tokens_to_log_in():
    reports = run_block("docs/access.rst", "access-view")["reports"]
    response = reports(anonymous_request("/reports/"))
    assert (response.status_code, response["Location"]) == (
        302,
        "/auth0/login/?next=/reports/",
    )


def test_the_emulator_command_line_serves_the_pages_users(tmp_path):
    (tmp_path / "users.json").write_text(
        doc_block("docs/testing.rst", "emulator-users-file")
    )
    (command,) = shell_lines(doc_block("docs/testing.rst", "emulator-cli"))
    python, *args = shlex.split(command.replace("--port 8001", "--port 0"))
    assert python == "python"
    emulator = subprocess.Popen(  # noqa: S603
        [sys.executable, *args, "--users-file", "users.json"],
        cwd=tmp_path, env={"PYTHONPATH": str(ROOT)}, text=True,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )  # fmt: skip
    try:
        printed = []
        for line in emulator.stdout:  # type: ignore[union-attr]
            printed.append(line)
            if line.startswith("Press Ctrl-C"):
                break
    finally:
        emulator.terminate()
        emulator.wait(timeout=10)
    users = json.loads(doc_block("docs/testing.rst", "emulator-users-file"))
    text = "".join(printed)
    assert "Allowed Callback URLs: http://127.0.0.1:8000/complete/auth0/" in text
    for user in users:
        assert user["email"] in text


@pytest.mark.django_db(transaction=True)
def test_the_async_access_view_sends_a_visitor_without_tokens_to_log_in():

    from tests.support.asgi import run_async

    reports = run_block("docs/access.rst", "access-async")["reports"]
    response = run_async(reports, anonymous_request("/reports/"))
    assert (response.status_code, response["Location"]) == (
        302,
        "/auth0/login/?next=/reports/",
    )
