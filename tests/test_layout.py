"""The package's layout rules, checked on its source: imports run one way (no
cycle among the runtime modules, lazy imports included), the runtime never
imports the emulator, and no module imports another's private names."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "social_auth0"


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def runtime_imports() -> dict[str, set[tuple[str, str]]]:
    """Module -> (imported module, imported name), outside ``TYPE_CHECKING``."""
    modules = {module_name(p): p for p in PACKAGE.rglob("*.py")}
    graph: dict[str, set[tuple[str, str]]] = {}
    for name, path in modules.items():
        tree = ast.parse(path.read_text())
        typing_only = {
            id(node)
            for block in ast.walk(tree)
            if isinstance(block, ast.If)
            and getattr(block.test, "id", "") == "TYPE_CHECKING"
            for statement in block.body
            for node in ast.walk(statement)
        }
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        edges = graph.setdefault(name, set())
        for node in ast.walk(tree):
            if id(node) in typing_only or not isinstance(node, ast.ImportFrom):
                continue
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            for alias in node.names:
                module = f"{target}.{alias.name}"
                if module in modules:
                    edges.add((module, ""))
                elif target in modules:
                    edges.add((target, alias.name))
    return graph


def test_no_import_cycle_among_runtime_modules():
    graph = {
        name: {module for module, _ in edges if module != name}
        for name, edges in runtime_imports().items()
        if ".testing" not in name
    }
    state: dict[str, str] = {}
    cycles: list[list[str]] = []

    def visit(name: str, path: list[str]) -> None:
        state[name] = "open"
        for module in sorted(graph.get(name, ())):
            if state.get(module) == "open":
                cycles.append([*path[path.index(module) :], module])
            elif module not in state:
                visit(module, [*path, module])
        state[name] = "done"

    for name in sorted(graph):
        if name not in state:
            visit(name, [name])
    assert not cycles, cycles


def test_the_runtime_never_imports_the_emulator():
    offending = {
        name: sorted(module for module, _ in edges if ".testing" in module)
        for name, edges in runtime_imports().items()
        if ".testing" not in name
    }
    assert not {name: found for name, found in offending.items() if found}


def test_no_module_imports_another_modules_private_names():
    private = {
        name: sorted(
            f"{module}.{imported}"
            for module, imported in edges
            if imported.startswith("_") and module != name
        )
        for name, edges in runtime_imports().items()
    }
    assert not {name: found for name, found in private.items() if found}
