"""The package's architecture, checked on its source: imports run one way.

Views, pipeline, middleware and the other public faces use ``login/`` and
``user_tokens/``; those use ``jwt/``; ``jwt/`` uses only ``conf``, ``errors``
and ``cache``. Nothing in the runtime imports the emulator (``testing/``), and
no import ring exists among the runtime modules. Every import counts:
module-level, inside functions, and under ``if TYPE_CHECKING:`` (a ring there
is a ring a reader must hold in their head).

``FORBIDDEN`` is the architecture as a table: a module under the prefix on the
left never imports a module under a prefix on the right. A prefix covers the
module of that name and, for a package, everything in it. Modules that do not
exist (yet) simply match nothing.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "social_auth0"

# Names are relative to ``social_auth0`` ("" is the whole package).
# The top-level modules that face the user or Django, and the packages above
# the helpers: what login/, user_tokens/ and jwt/ must never reach back into.
FACES = (
    "backend", "views", "urls", "social_urls", "middleware", "pipeline",
    "decorators", "organizations", "access", "resource", "sessions", "apps",
    "checks", "contrib", "management",
)  # fmt: skip
HELPERS = ("login", "user_tokens")

FORBIDDEN: dict[str, tuple[str, ...]] = {
    # the runtime never imports the emulator (a module may import its own package)
    "": ("testing",),
    # one login's rules and the stored tokens: typed against protocols, never
    # importing the backend or anything else above them; siblings stay apart
    "login": (*FACES, "user_tokens"),
    "user_tokens": (*FACES, "login"),
    # JWT rules and the tenant's keys: only conf, errors and cache below them
    "jwt": (*FACES, *HELPERS, "models", "signals"),
    # settings, errors, the clock and the shared cache: the floor
    **{
        floor: (*FACES, *HELPERS, "jwt", "models", "signals")
        for floor in ("conf", "errors", "clock", "cache", "outbound")
    },
}


def under(module: str, prefix: str) -> bool:
    """``module`` is ``social_auth0.<prefix>`` or inside it."""
    prefix = f"social_auth0.{prefix}".rstrip(".")
    return module == prefix or module.startswith(prefix + ".")


def module_name(path: Path, root: Path) -> str:
    parts = path.relative_to(root.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def import_graph(root: Path = PACKAGE) -> dict[str, set[str]]:
    """Module -> the package's modules it imports, wherever the import sits
    (``TYPE_CHECKING`` blocks and function bodies included)."""
    paths = {module_name(path, root): path for path in root.rglob("*.py")}
    known = set(paths)
    return {
        name: set(_imported(name, path, known)) - {name} for name, path in paths.items()
    }


def _imported(name: str, path: Path, known: set[str]) -> Iterator[str]:
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            targets = [(alias.name, "") for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = _absolute(package, node.level, node.module)
            targets = [(base, alias.name) for alias in node.names]
        else:
            continue
        for target, attribute in targets:
            if f"{target}.{attribute}" in known:  # from . import store
                yield f"{target}.{attribute}"
            elif target in known:
                yield target


def _absolute(package: str, level: int, module: str | None) -> str:
    if not level:
        return module or ""
    parts = package.split(".")
    base = parts[: len(parts) - level + 1]
    return ".".join(base + ([module] if module else []))


def breaches(graph: dict[str, set[str]]) -> set[tuple[str, str]]:
    """(importer, imported) pairs that break a rule of ``FORBIDDEN``."""
    found = set()
    for importer, imported in sorted(graph.items()):
        for prefix, forbidden in FORBIDDEN.items():
            if not under(importer, prefix):
                continue
            for target in imported:
                if any(under(target, f) and not under(importer, f) for f in forbidden):
                    found.add((importer, target))
    return found


def rings(graph: dict[str, set[str]]) -> list[list[str]]:
    """Every import ring found by a depth-first walk (one per back edge)."""
    state: dict[str, str] = {}
    found: list[list[str]] = []

    def visit(name: str, path: list[str]) -> None:
        state[name] = "open"
        for module in sorted(graph.get(name, ())):
            if state.get(module) == "open":
                found.append([*path[path.index(module) :], module])
            elif module not in state:
                visit(module, [*path, module])
        state[name] = "done"

    for name in sorted(graph):
        if name not in state:
            visit(name, [name])
    return found


def runtime(graph: dict[str, set[str]]) -> dict[str, set[str]]:
    """The graph without the emulator (``testing/`` is not the runtime)."""
    outside = {name for name in graph if not under(name, "testing")}
    return {name: graph[name] & outside for name in outside}


def test_imports_run_one_way():
    found = breaches(import_graph())
    assert not found, (
        "These imports go against the layout (see FORBIDDEN in tests/test_layout.py "
        f"and docs/development.rst): {sorted(found)}"
    )


def test_no_import_ring_among_runtime_modules():
    assert not rings(runtime(import_graph()))


def test_the_runtime_never_imports_the_emulator():
    graph = import_graph()
    offending = {
        (name, target)
        for name, targets in runtime(graph).items()
        for target in graph[name]
        if under(target, "testing")
    }
    assert not offending


@pytest.fixture
def fake_package(tmp_path: Path) -> Path:
    """A miniature ``social_auth0`` with the imports the rules must catch."""
    root = tmp_path / "social_auth0"
    files = {
        "__init__.py": "",
        "backend.py": "from .jwt import claims\n",
        "views.py": "from . import backend\nimport social_auth0.login.record\n",
        "jwt/__init__.py": "",
        "jwt/claims.py": (
            "from typing import TYPE_CHECKING\n"
            "if TYPE_CHECKING:\n"
            "    from ..backend import Auth0OAuth2\n"
        ),
        "login/__init__.py": "",
        "login/record.py": "def lazy():\n    from ..testing import tenant\n",
        "testing/__init__.py": "",
        "testing/tenant.py": "from .. import views\n",
    }
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    return root


def test_the_rules_see_typing_only_and_lazy_imports(fake_package: Path):
    graph = import_graph(fake_package)
    assert graph["social_auth0.views"] == {
        "social_auth0.backend",
        "social_auth0.login.record",
    }
    assert breaches(graph) == {
        ("social_auth0.jwt.claims", "social_auth0.backend"),  # TYPE_CHECKING
        ("social_auth0.login.record", "social_auth0.testing.tenant"),  # lazy
    }
    assert rings(runtime(graph)) == [
        ["social_auth0.backend", "social_auth0.jwt.claims", "social_auth0.backend"]
    ]
