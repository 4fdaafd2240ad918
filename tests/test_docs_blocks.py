"""Every code block of README.rst and docs/*.rst is run by a test, or listed
below as deliberately not run, with the reason: what users paste cannot drift.

A test runs a block through ``doc_block(page, name)`` (tests/support/docs.py);
this file finds those calls by reading the test files."""

from __future__ import annotations

import ast
from pathlib import Path

from django.template import Context, Template
from django.test import RequestFactory

from .support.docs import PAGES, ROOT, all_blocks, doc_block

NOT_RUN = {
    ("README.rst", "example-project"): "makes a virtualenv and installs the test "
    "extras from the network; its manage.py migrate and runserver are run by "
    "tests/test_example_project.py and the browser tests",
    ("README.rst", "test-suite"): "it is this test suite",
    ("docs/auth0check.rst", "auth0check-output"): "sample output of a real "
    "tenant; auth0check itself is run by tests/checks/test_doctor.py",
    ("docs/development.rst", "bench-output"): "benchmark output, not a command",
    ("docs/access.rst", "access-token-lifetime"): "a list of the emulator's "
    "switches with '...' between them, not a program; tests/user_tokens set "
    "each one",
    ("docs/organizations.rst", "mfa-action"): "JavaScript: an Auth0 Action runs "
    "inside the Auth0 tenant",
    ("docs/pipeline.rst", "roles-action"): "JavaScript: an Auth0 Action runs "
    "inside the Auth0 tenant",
    ("docs/api.rst", "api-dpop-request"): "an HTTP request with elided tokens; "
    "tests/test_resource_dpop.py sends real ones",
}


def referenced() -> set[tuple[str, str]]:
    """(page, name) of every call in tests/ whose first two arguments are a
    page's path and a name, as literals (``doc_block("docs/api.rst", "x")``,
    or a helper that passes them on to it)."""
    found = set()
    for path in (ROOT / "tests").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Call) and len(node.args) >= 2:
                page, name = node.args[:2]
                if (
                    isinstance(page, ast.Constant)
                    and page.value in PAGES
                    and isinstance(name, ast.Constant)
                    and isinstance(name.value, str)
                ):
                    found.add((page.value, name.value))
    return found


def test_every_block_has_a_name():
    unnamed = [f"{b.page}:{b.line}" for b in all_blocks() if not b.name]
    assert not unnamed, (
        f"give these blocks a '.. code-block::' with a ':name:': {unnamed}"
    )


def test_every_block_is_run_or_listed_with_a_reason():
    blocks = {(b.page, b.name) for b in all_blocks()}
    run = referenced()
    assert not (blocks - run - NOT_RUN.keys()), (
        "no test runs these blocks (doc_block(page, name)), and NOT_RUN does not "
        f"list them: {sorted(blocks - run - NOT_RUN.keys())}"
    )
    assert not (run | NOT_RUN.keys()) - blocks, "no such blocks"
    assert not run & NOT_RUN.keys(), "run, yet listed as not run"


def test_a_block_named_twice_is_refused():
    names = [(b.page, b.name) for b in all_blocks()]
    assert len(names) == len(set(names))


def test_a_missing_block_is_found(tmp_path: Path):
    assert ("docs/api.rst", "api-protect") in referenced()
    assert ("README.rst", "no-such-block") not in referenced()


def render(template: str, path: str = "/reports/") -> str:
    request = RequestFactory().get(path)
    request.META["CSRF_COOKIE"] = "x" * 32
    return Template(template).render(Context({"request": request, "csrf_token": "t"}))


def test_the_template_blocks_render_with_the_quickstarts_urls():
    """The login and logout forms and links (tests/urls.py routes what the
    Quickstart's urls.py routes)."""
    buttons = render(doc_block("README.rst", "quickstart-buttons"))
    assert 'action="/login/auth0/"' in buttons
    assert 'action="/auth0/logout/"' in buttons
    form = render(doc_block("docs/quickstart.rst", "login-form"))
    assert 'action="/login/auth0/"' in form and 'value="/reports/"' in form
    logout = render(doc_block("docs/logout.rst", "logout-button"))
    assert 'action="/auth0/logout/"' in logout
    signup = render(doc_block("docs/organizations.rst", "signup-link"))
    assert 'href="/auth0/login/?screen_hint=signup"' in signup


def test_each_settings_label_sits_above_its_own_heading():
    """:ref:`settings-api` lands on the API settings (it sat above the
    Organizations heading)."""
    text = (ROOT / "docs" / "settings.rst").read_text()
    headings = {
        "settings-login": "Logins, keys and logout",
        "settings-pipeline": "Roles, groups and profile fields",
        "settings-api": "Protecting your API",
        "settings-auth0check": "Checking your tenant",
        "settings-social-core": "social-core settings that apply",
    }
    for label, heading in headings.items():
        assert f".. _{label}:\n\n{heading}\n" in text, label


def test_the_docs_index_starts_with_a_path_through_the_pages():
    text = (ROOT / "docs" / "index.rst").read_text()
    start = text[text.index("Start here\n") : text.index(".. toctree::")]
    steps = [start.index(f":doc:`{page}`") for page in ("quickstart", "testing", "api")]
    assert steps == sorted(steps)
