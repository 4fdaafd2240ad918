"""The settings reference (docs/settings.rst) cannot drift from the code.

The rule, both ways:

* every setting social_auth0's code reads as ``SOCIAL_AUTH_AUTH0_<NAME>``
  (outside ``social_auth0/testing/``, which is the emulator, not the library)
  is listed in the reference, in any of its tables;
* every name the reference lists is read by social_auth0's code, except the
  names in its section "social-core settings that apply", which must be read
  by social-core's generic code (the base and OAuth2 backends, the pipeline,
  strategies, utils) or by social-auth-app-django: settings of theirs that keep
  working with our backend.

"Reads" is found by walking the source's syntax trees, not by a regex: the
string literal passed to ``.setting(...)`` (``self.setting``,
``backend.setting``, ``strategy.setting(..., backend=...)``),
``resolve_setting(...)``, ``setting_name(<backend name>, ...)`` or
``getattr(settings, "SOCIAL_AUTH_AUTH0_...")``; a variable passed instead is
followed to the literal tuple a ``for`` loop takes it from, to a constant, or,
when it is a parameter of the enclosing function, that function becomes a
settings reader too (``_seconds_setting``, ``resolve_setting``). A read the walk
cannot follow (a computed name) fails the test, naming the line: give it a
literal name, or loop over a literal tuple of names.

A table row of the reference is a line starting with a double-backquoted
upper-case name (``DOMAIN``); names are written without the
``SOCIAL_AUTH_AUTH0_`` prefix.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import social_core
import social_django

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "social_auth0"
REFERENCE = ROOT / "docs" / "settings.rst"
SOCIAL_CORE_SECTION = "social-core settings that apply"
PREFIX = "SOCIAL_AUTH_AUTH0_"
NAME = re.compile(r"[A-Z][A-Z0-9_]*\Z")
ROW = re.compile(r"``([A-Z][A-Z0-9_]*)``(?:\s|$)")
BORDER = re.compile(r"=+( +=+)+$")  # a simple table's border: two columns or more
HEADING_LINE = re.compile(r"([=~^-])\1+$")

# Functions whose argument at this position is a setting name, before the walk
# finds the wrappers. ``setting_name`` is a special case (see _names_read_by).
SEED_READERS = {"setting": 0, "resolve_setting": 0, "get_setting": 0}


@dataclass
class Source:
    """One module: its tree, its module-level constants and each node's parent."""

    path: Path
    tree: ast.Module
    constants: dict[str, ast.expr] = field(default_factory=dict)
    parents: dict[ast.AST, ast.AST] = field(default_factory=dict)

    @classmethod
    def load(cls, path: Path) -> Source:
        tree = ast.parse(path.read_text(), str(path))
        source = cls(path, tree)
        for node in ast.walk(tree):
            for child in ast.iter_child_nodes(node):
                source.parents[child] = node
        for statement in tree.body:
            if isinstance(statement, ast.Assign):
                for target in statement.targets:
                    if isinstance(target, ast.Name):
                        source.constants[target.id] = statement.value
            elif isinstance(statement, ast.AnnAssign) and statement.value is not None:
                if isinstance(statement.target, ast.Name):
                    source.constants[statement.target.id] = statement.value
        return source

    def where(self, node: ast.AST) -> str:
        line = getattr(node, "lineno", "?")
        return f"{self.path.relative_to(self.path.parents[1])}:{line}"


@dataclass
class Walk:
    """Settings read by a set of modules, found to a fixed point."""

    sources: list[Source]
    readers: dict[str, int] = field(default_factory=lambda: dict(SEED_READERS))
    names: dict[str, set[str]] = field(default_factory=dict)  # name -> where
    unresolved: set[str] = field(default_factory=set)

    def run(self) -> Walk:
        while True:
            known = dict(self.readers)
            self.names.clear()
            self.unresolved.clear()
            for source in self.sources:
                for node in ast.walk(source.tree):
                    if isinstance(node, ast.Call):
                        self._visit(source, node)
                    elif _is_setting_defaults(node):
                        for key in node.value.keys:  # type: ignore[attr-defined]
                            if key is not None:
                                self._record(source, node, key)
            if self.readers == known:
                return self

    def _visit(self, source: Source, call: ast.Call) -> None:
        for argument in _setting_arguments(call, self.readers):
            self._record(source, call, argument)

    def _record(self, source: Source, call: ast.AST, argument: ast.expr) -> None:
        try:
            values = list(self._strings(source, argument))
        except _Parameter as parameter:
            self._new_reader(parameter.function, parameter.index)
            return
        except _Unresolved:
            self.unresolved.add(source.where(call))
            return
        for value in values:
            name = value.removeprefix(PREFIX)
            if NAME.match(name):
                self.names.setdefault(name, set()).add(source.where(call))

    def _new_reader(
        self, function: ast.FunctionDef | ast.AsyncFunctionDef, index: int
    ) -> None:
        self.readers.setdefault(function.name, index)

    def _strings(self, source: Source, node: ast.expr) -> Iterator[str]:
        """The string values ``node`` can take."""
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            yield node.value
        elif isinstance(node, ast.IfExp):
            yield from self._strings(source, node.body)
            yield from self._strings(source, node.orelse)
        elif isinstance(node, ast.Name):
            yield from self._name(source, node)
        elif isinstance(node, (ast.Tuple, ast.List)):  # map(reader, (NAME, ...))
            yield from self._elements(source, node)
        else:
            raise _Unresolved

    def _name(self, source: Source, node: ast.Name) -> Iterator[str]:
        scope = source.parents.get(node)
        while scope is not None:
            if isinstance(scope, (ast.For, ast.comprehension)):
                index = _target_index(scope.target, node.id)
                if index is not None:
                    yield from self._elements(
                        source, scope.iter, None if index < 0 else index
                    )
                    return
            if isinstance(scope, (ast.FunctionDef, ast.AsyncFunctionDef)):
                local = _local_assignment(scope, node.id)
                if local is not None:
                    yield from self._strings(source, local)
                    return
                index = _parameter_index(scope, node.id)
                if index is not None:
                    raise _Parameter(scope, index)
            scope = source.parents.get(scope)
        if node.id in source.constants:
            yield from self._strings(source, source.constants[node.id])
            return
        raise _Unresolved

    def _elements(
        self, source: Source, iterable: ast.expr, index: int | None = None
    ) -> Iterator[str]:
        """The strings at ``index`` of each element of ``iterable``, or the
        elements themselves when ``index`` is None."""
        declared = _declared_on_backend(iterable)
        if declared is not None:  # e.g. Auth0OAuth2.SECONDS_MINIMUMS.items()
            for element in declared:
                name = element[index] if index is not None else element
                if not isinstance(name, str):
                    raise _Unresolved
                yield name
            return
        if isinstance(iterable, ast.Name):
            value = source.constants.get(iterable.id) or _imported_constant(
                source, iterable.id
            )
            if value is None:
                raise _Unresolved
            iterable = value
        if not isinstance(iterable, (ast.Tuple, ast.List, ast.Set)):
            raise _Unresolved
        for element in iterable.elts:
            if index is not None:
                if not isinstance(element, ast.Tuple):
                    raise _Unresolved
                element = element.elts[index]
            if isinstance(element, (ast.Tuple, ast.List)):  # a tuple of names
                yield from self._elements(source, element, None)
            elif (
                isinstance(element, ast.Call) and _call_name(element) == "setting_name"
            ):
                yield from self._strings(source, element.args[-1])
            else:
                yield from self._strings(source, element)


def _declared_on_backend(node: ast.expr) -> list[Any] | None:
    """``Auth0OAuth2.NAME`` or ``conf.NAME`` (or its ``.items()``), read off the
    class or module: settings groups are declared once and looped over by the
    checks."""
    from social_auth0 import conf
    from social_auth0.backend import Auth0OAuth2

    homes = {"Auth0OAuth2": Auth0OAuth2, "conf": conf}
    items = False
    if (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr in ("items", "keys")
    ):
        items, node = node.func.attr == "items", node.func.value
    if not (
        isinstance(node, ast.Attribute)
        and isinstance(node.value, ast.Name)
        and node.value.id in homes
    ):
        return None
    value = getattr(homes[node.value.id], node.attr)
    return list(value.items()) if items else list(value)


class _Unresolved(Exception):
    pass


class _Parameter(Exception):
    def __init__(
        self, function: ast.FunctionDef | ast.AsyncFunctionDef, index: int
    ) -> None:
        self.function, self.index = function, index


_SOURCES_BY_MODULE: dict[str, Source] = {}


def _imported_constant(source: Source, name: str) -> ast.expr | None:
    """A constant ``from .module import name`` brings into ``source``."""
    for statement in source.tree.body:
        if isinstance(statement, ast.ImportFrom) and statement.level == 1:
            if any(alias.name == name for alias in statement.names):
                path = source.path.parent / f"{statement.module}.py"
                if path.exists():
                    other = _SOURCES_BY_MODULE.get(str(path)) or Source.load(path)
                    return other.constants.get(name)
    return None


def _is_setting_defaults(node: ast.AST) -> bool:
    """``SETTING_DEFAULTS = {NAME: default}``: the backend's own defaults."""
    return (
        isinstance(node, (ast.Assign, ast.AnnAssign))
        and isinstance(node.value, ast.Dict)
        and any(
            isinstance(target, ast.Name) and target.id == "SETTING_DEFAULTS"
            for target in (
                node.targets if isinstance(node, ast.Assign) else [node.target]
            )
        )
    )


def _call_name(call: ast.Call) -> str | None:
    if isinstance(call.func, ast.Name):
        return call.func.id
    if isinstance(call.func, ast.Attribute):
        return call.func.attr
    return None


def _setting_arguments(call: ast.Call, readers: dict[str, int]) -> Iterator[ast.expr]:
    """The arguments of ``call`` that name a backend-scoped setting."""
    name = _call_name(call)
    if name == "setting_name":
        # setting_name(backend name, NAME) is SOCIAL_AUTH_AUTH0_NAME;
        # setting_name(NAME) alone is SOCIAL_AUTH_NAME, not ours.
        if len(call.args) >= 2:
            yield call.args[-1]
    elif name == "getattr" and len(call.args) >= 2:
        target, attribute = call.args[0], call.args[1]
        if isinstance(target, ast.Name) and target.id == "settings":
            if isinstance(attribute, ast.Constant) and str(attribute.value).startswith(
                PREFIX
            ):
                yield attribute
    elif name == "map" and len(call.args) == 2:
        function = call.args[0]
        if isinstance(function, ast.Name) and readers.get(function.id) == 0:
            yield call.args[1]  # an iterable of names: resolved element-wise below
    elif name in readers:
        if name == "setting" and _is_strategy_call_without_backend(call):
            return  # strategy.setting(NAME) is SOCIAL_AUTH_NAME only
        index = readers[name]
        if len(call.args) > index:
            yield call.args[index]


def _is_strategy_call_without_backend(call: ast.Call) -> bool:
    func = call.func
    return (
        isinstance(func, ast.Attribute)
        and isinstance(func.value, ast.Name)
        and func.value.id == "strategy"
        and not any(keyword.arg == "backend" for keyword in call.keywords)
    )


def _target_index(target: ast.expr, name: str) -> int | None:
    """-1 when ``target`` is ``name``; its position when a tuple holds it."""
    if isinstance(target, ast.Name):
        return -1 if target.id == name else None
    if isinstance(target, ast.Tuple):
        for index, element in enumerate(target.elts):
            if isinstance(element, ast.Name) and element.id == name:
                return index
    return None


def _local_assignment(
    function: ast.FunctionDef | ast.AsyncFunctionDef, name: str
) -> ast.expr | None:
    for node in ast.walk(function):
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            target = node.targets[0]
            if isinstance(target, ast.Name) and target.id == name:
                return node.value
    return None


def _parameter_index(
    function: ast.FunctionDef | ast.AsyncFunctionDef, name: str
) -> int | None:
    parameters = [
        argument.arg for argument in function.args.posonlyargs + function.args.args
    ]
    if parameters and parameters[0] in ("self", "cls"):
        parameters = parameters[1:]
    return parameters.index(name) if name in parameters else None


def _walk(paths: Iterable[Path]) -> Walk:
    sources = []
    for path in sorted(paths):
        source = _SOURCES_BY_MODULE.setdefault(str(path), Source.load(path))
        sources.append(source)
    return Walk(sources).run()


def read_by_social_auth0() -> Walk:
    paths = [
        path
        for path in PACKAGE.rglob("*.py")
        if "testing" not in path.relative_to(PACKAGE).parts
    ]
    return _walk(paths)


def read_by_social_core() -> set[str]:
    """Settings social-core's generic code and social_django read."""
    core = Path(social_core.__file__).parent
    paths = [
        core / "backends" / "base.py",
        core / "backends" / "oauth.py",
        core / "strategy.py",
        core / "utils.py",
        core / "actions.py",
        core / "storage.py",
        *(core / "pipeline").rglob("*.py"),
        *Path(social_django.__file__).parent.rglob("*.py"),
    ]
    names = set(_walk(path for path in paths if path.exists()).names)
    # setting_name("NAME"), strategy.setting("NAME") and
    # getattr(settings, "SOCIAL_AUTH_NAME") read SOCIAL_AUTH_NAME: settings of
    # theirs as much as the backend-scoped reads are.
    for path in paths:
        if path.exists():
            for node in ast.walk(Source.load(path).tree):
                if isinstance(node, ast.Call):
                    names.update(_social_auth_literals(node))
    return names


def _social_auth_literals(call: ast.Call) -> Iterator[str]:
    name = _call_name(call)
    if name == "setting_name":
        arguments = call.args[-1:]
    elif name == "setting":
        arguments = call.args[:1]
    elif name == "getattr":
        arguments = call.args[1:2]
    elif name == "setting_url":  # setting_url(backend, *names or values)
        arguments = call.args[1:]
    else:
        return
    for argument in arguments:
        if isinstance(argument, ast.Constant) and isinstance(argument.value, str):
            value = argument.value
            if name != "getattr":
                yield value
            elif value.startswith("SOCIAL_AUTH_"):
                yield value.removeprefix("SOCIAL_AUTH_")


def documented() -> tuple[dict[str, int], dict[str, int]]:
    """(our tables' names, the social-core section's names), each with its count."""
    ours: dict[str, int] = {}
    theirs: dict[str, int] = {}
    for section, name in table_rows(REFERENCE.read_text()):
        table = theirs if section == SOCIAL_CORE_SECTION else ours
        table[name] = table.get(name, 0) + 1
    return ours, theirs


def table_rows(text: str) -> Iterator[tuple[str, str]]:
    """(section title, name) of each simple-table body row that starts with a
    double-backquoted upper-case name."""
    lines = text.splitlines()
    section, borders = "", 0
    for number, line in enumerate(lines):
        following = lines[number + 1] if number + 1 < len(lines) else ""
        if line and not line.startswith(" ") and HEADING_LINE.match(following):
            if len(following) >= len(line) and not BORDER.match(line):
                section = line
        if BORDER.match(line) and " " in line.strip():
            borders = (borders + 1) % 3  # top, under the header, bottom
        elif borders == 2:
            match = ROW.match(line)
            if match:
                yield section, match.group(1)


def test_the_walk_finds_reads_of_every_shape():
    """The walk is what the rule stands on: it must see literal reads, names
    looped over, constants imported from another module, map() and wrappers."""
    walk = read_by_social_auth0()
    assert {
        "DOMAIN",  # self.setting("DOMAIN")
        "JWKS_REFETCH_INTERVAL",  # self._seconds_setting(...), found by the walk
        "SECRET",  # for setting, label, check_id in (("KEY", ...), ("SECRET", ...))
        "STAFF_ROLES",  # for field, setting in ROLE_FLAGS (a module constant)
        "GROUPS_MAP",  # for setting in ("GROUPS_KEY", "GROUPS_MAP")
        "API_REALM",  # getattr(settings, "SOCIAL_AUTH_AUTH0_API_REALM", None)
        "PIPELINE",  # resolve_setting("PIPELINE")
    } <= walk.names.keys()
    assert {"_seconds_setting"} <= walk.readers.keys()
    assert (
        "URL_NAMESPACE" not in walk.names
    )  # setting_name("URL_NAMESPACE"): SOCIAL_AUTH_ only


def test_every_read_is_followed_to_a_name():
    walk = read_by_social_auth0()
    assert not walk.unresolved, (
        "These calls read a setting whose name the drift test cannot follow; "
        "pass a literal name, or loop over a literal tuple of names: "
        + ", ".join(sorted(walk.unresolved))
    )


def test_every_setting_the_code_reads_is_documented():
    ours, theirs = documented()
    walk = read_by_social_auth0()
    missing = {
        name: sorted(where)
        for name, where in walk.names.items()
        if name not in ours and name not in theirs
    }
    assert not missing, (
        "social_auth0 reads these SOCIAL_AUTH_AUTH0_* settings but docs/settings.rst "
        f"does not list them (add a row to a table): {missing}"
    )


def test_every_documented_setting_is_read():
    ours, theirs = documented()
    read = read_by_social_auth0().names.keys()
    stale = sorted(set(ours) - read)
    assert not stale, (
        "docs/settings.rst lists these settings but social_auth0 never reads them "
        f"(remove the row, or move it to {SOCIAL_CORE_SECTION!r} if social-core "
        f"reads it): {stale}"
    )
    not_theirs = sorted(set(theirs) - read_by_social_core())
    assert not not_theirs, (
        f"{SOCIAL_CORE_SECTION!r} in docs/settings.rst lists settings that neither "
        f"social-core's generic code nor social-auth-app-django reads: {not_theirs}"
    )


def test_each_setting_is_listed_once():
    ours, theirs = documented()
    twice = sorted(
        {name for name, count in ours.items() if count > 1}
        | {name for name, count in theirs.items() if count > 1}
        | (set(ours) & set(theirs))
    )
    assert not twice, f"docs/settings.rst lists these settings more than once: {twice}"


def test_a_new_read_is_found_or_reported(tmp_path):
    """What the lead's merges will add: reads in new shapes are found (so an
    undocumented one fails the test above), a computed one is reported."""
    module = tmp_path / "organizations.py"
    module.write_text(
        "from django.conf import settings\n"
        "NAMES = ('ORGANIZATION', 'ORGANIZATION_PROMPT')\n"
        "class Backend:\n"
        "    def _flag(self, name):\n"
        "        return bool(self.setting(name))\n"
        "    def params(self):\n"
        "        for name in NAMES:\n"
        "            self.setting(name)\n"
        "        self._flag('ALLOW_SIGNUP')\n"
        "        getattr(settings, 'SOCIAL_AUTH_AUTH0_REFRESH_TOKENS', None)\n"
        "    def computed(self, prefix):\n"
        "        return self.setting(prefix.upper() + '_URL')\n"
    )
    walk = _walk([module])
    assert {
        "ORGANIZATION",
        "ORGANIZATION_PROMPT",
        "ALLOW_SIGNUP",
        "REFRESH_TOKENS",
    } == walk.names.keys()
    assert walk.unresolved == {f"{tmp_path.name}/organizations.py:12"}
