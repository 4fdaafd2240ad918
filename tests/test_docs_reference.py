"""The API reference (docs/reference.rst) cannot drift from the code.

The rule, both ways:

* every module users import from (``PUBLIC``) declares ``__all__``, and the
  reference has a section for it, titled with the module's dotted name under
  "Modules", whose bullets (``* ``Name``: ...``) are exactly that ``__all__``;
* every name the reference lists exists in its module, and the reference has
  no section for a module outside ``PUBLIC``;
* every top-level module (and every ``contrib`` module) is either ``PUBLIC`` or
  named in ``NOT_API`` with the reason: a new module needs a decision;
* the URL names of ``social_auth0.urls`` and the management commands are the
  ones the reference lists.
"""

from __future__ import annotations

import ast
import importlib
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "social_auth0"
REFERENCE = ROOT / "docs" / "reference.rst"

PUBLIC = (
    "backend", "pipeline", "views", "middleware", "sessions", "signals", "models",
    "decorators", "organizations", "access", "resource", "contrib.drf", "contrib.ninja",
    "testing", "testing.pytest_plugin",
)  # fmt: skip
NOT_API = {
    "apps": "the AppConfig: INSTALLED_APPS names the package, not this module",
    "cache": "the shared cache as a dependency, used by the runtime",
    "clock": "the one clock (current_time), a seam for tests",
    "conf": "the settings home; the settings are in docs/settings.rst",
    "errors": "rejections built and logged; ReauthenticationRequired is "
    "public through social_auth0.access",
    "urls": "a URLconf: included by path, its URL names are in the reference",
    "social_urls": "a URLconf: included by path, like social_django.urls",
    "well_known": "a URLconf for the site's root (RFC 9728 metadata), included "
    "by path; in the reference's URLconfs",
    "resource_metadata": "RFC 9728 metadata read from the settings, used by "
    "resource.py and well_known",
    "outbound": "the guard on every request to the tenant, used by the backend",
}

HEADING = re.compile(r"(social_auth0(?:\.\w+)*)$")
BULLET = re.compile(r"\* ``(\w+)``:")


def sections(text: str) -> dict[str, list[str]]:
    """Module -> the names its bullets list, in the "Modules" part of ``text``."""
    lines = text.splitlines()
    found: dict[str, list[str]] = {}
    part, module = "", None
    for number, line in enumerate(lines):
        underline = lines[number + 1] if number + 1 < len(lines) else ""
        if (
            line
            and underline
            and set(underline) == {"="}
            and len(underline) >= len(line)
        ):
            part, module = line, None
        elif part == "Modules" and underline and set(underline) == {"-"}:
            match = HEADING.match(line)
            module = match.group(1) if match else None
            if module is not None:
                found.setdefault(module, [])
        elif part == "Modules" and module is not None:
            bullet = BULLET.match(line)
            if bullet:
                found[module].append(bullet.group(1))
    return found


def declared_all(module: str) -> list[str] | None:
    """``__all__`` as the module's source declares it (a literal), or None."""
    base = PACKAGE.joinpath(*module.split("."))
    path = base / "__init__.py" if base.is_dir() else base.with_suffix(".py")
    for statement in ast.parse(path.read_text()).body:
        if isinstance(statement, ast.Assign) and any(
            isinstance(target, ast.Name) and target.id == "__all__"
            for target in statement.targets
        ):
            return list(ast.literal_eval(statement.value))
    return None


def documented() -> dict[str, list[str]]:
    return sections(REFERENCE.read_text())


def test_every_module_users_may_import_is_decided():
    modules = [
        path.relative_to(PACKAGE).with_suffix("").as_posix().replace("/", ".")
        for path in [*PACKAGE.glob("*.py"), *PACKAGE.glob("contrib/*.py")]
        if path.name != "__init__.py"
    ]
    undecided = sorted(set(modules) - set(PUBLIC) - NOT_API.keys())
    assert not undecided, (
        "New modules: add each to PUBLIC (with __all__ and a section in "
        f"docs/reference.rst) or to NOT_API with the reason: {undecided}"
    )


@pytest.mark.parametrize("module", PUBLIC)
def test_each_public_module_declares_all(module):
    names = declared_all(module)
    assert names, f"social_auth0.{module} declares no __all__"
    assert len(names) == len(set(names)), f"__all__ repeats a name: {names}"


@pytest.mark.parametrize("module", PUBLIC)
def test_the_reference_lists_exactly_each_modules_all(module):
    listed = documented().get(f"social_auth0.{module}")
    assert listed is not None, (
        f"docs/reference.rst has no section social_auth0.{module}"
    )
    declared = set(declared_all(module) or ())
    assert not set(listed) - declared, (
        f"docs/reference.rst lists names social_auth0.{module}.__all__ lacks: "
        f"{sorted(set(listed) - declared)}"
    )
    assert not declared - set(listed), (
        f"social_auth0.{module}.__all__ has names docs/reference.rst does not "
        f"list: {sorted(declared - set(listed))}"
    )
    assert len(listed) == len(set(listed)), f"listed twice: {listed}"


def test_the_reference_has_no_section_for_other_modules():
    extra = sorted(set(documented()) - {f"social_auth0.{m}" for m in PUBLIC})
    assert not extra, f"docs/reference.rst documents modules outside PUBLIC: {extra}"


def test_every_listed_name_exists():
    missing = [
        f"{module}.{name}"
        for module, names in documented().items()
        for name in names
        if not hasattr(importlib.import_module(module), name)
    ]
    assert not missing, f"docs/reference.rst lists names that do not exist: {missing}"


def test_the_url_names_are_listed():
    from social_auth0 import urls

    names = {pattern.name for pattern in urls.urlpatterns}
    listed = set(re.findall(r"``social_auth0:(\w+)``", REFERENCE.read_text()))
    assert listed == names


def test_the_management_commands_are_listed():
    commands = {
        path.stem
        for path in (PACKAGE / "management" / "commands").glob("*.py")
        if path.name != "__init__.py"
    }
    text = REFERENCE.read_text()
    assert commands, "no management commands found"
    assert all(f"``{command}``" in text for command in commands), commands


def test_the_parser_reads_sections_and_bullets():
    text = (
        "Intro\n=====\n\n* ``NotAModule``: before the modules\n\n"
        "Modules\n=======\n\n"
        "social_auth0.a\n--------------\n\nSee the guide.\n\n"
        "* ``One``: first\n* ``two``: second,\n  on two lines.\n\n"
        "A subsection\n------------\n\n* ``Ignored``: not a module\n\n"
        "social_auth0.b.c\n----------------\n\n* ``Three``: third\n\n"
        "Other\n=====\n\nsocial_auth0.d\n--------------\n\n* ``Four``: after\n"
    )
    assert sections(text) == {
        "social_auth0.a": ["One", "two"],
        "social_auth0.b.c": ["Three"],
    }
