"""The code blocks of README.rst and docs/*.rst, by name.

Every block a user is meant to paste is a ``.. code-block::`` with a
``:name:``; a test runs it through ``doc_block(page, name)`` (or
tests/test_docs_blocks.py lists it as not run, with the reason). That test
finds the calls by reading the test files, so the page and name are literals.
"""

from __future__ import annotations

import re
import textwrap
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PAGES = ("README.rst", *sorted(f"docs/{p.name}" for p in (ROOT / "docs").glob("*.rst")))
_DIRECTIVE = re.compile(r"^(?P<indent> *)\.\. code-block::\s*(?P<language>\S*)\s*$")
_LITERAL = re.compile(r"^(?P<indent> *)(?!\.\. )\S.*::$")


@dataclass(frozen=True)
class Block:
    page: str
    line: int  # 1-based, the directive's (or the ``::`` paragraph's) line
    language: str  # "" for a ``::`` literal block
    name: str | None
    text: str


def _indented_body(lines: list[str], start: int, indent: int) -> str:
    """The lines from ``start`` indented deeper than ``indent`` (blank lines
    inside kept), dedented."""
    body: list[str] = []
    for line in lines[start:]:
        if line.strip() and len(line) - len(line.lstrip()) <= indent:
            break
        body.append(line)
    return textwrap.dedent("\n".join(body)).strip("\n") + "\n"


def blocks(page: str) -> list[Block]:
    """The code blocks of ``page`` (a path relative to the repository)."""
    lines = (ROOT / page).read_text().splitlines()
    found = []
    for number, line in enumerate(lines):
        directive = _DIRECTIVE.match(line)
        literal = _LITERAL.match(line)
        if not (directive or literal):
            continue
        indent = len((directive or literal)["indent"])  # type: ignore[index]
        options, cursor = {}, number + 1
        while directive and cursor < len(lines):
            option = re.match(r"^ +:(\w+):\s*(.*)$", lines[cursor])
            if not option:
                break
            options[option[1]] = option[2]
            cursor += 1
        language = directive["language"] if directive else ""
        text = _indented_body(lines, cursor, indent)
        found.append(Block(page, number + 1, language, options.get("name"), text))
    return found


def all_blocks() -> list[Block]:
    return [block for page in PAGES for block in blocks(page)]


def doc_block(page: str, name: str) -> str:
    """The text of the block ``name`` of ``page``, as it stands, dedented."""
    (block,) = [b for b in blocks(page) if b.name == name]
    return block.text


def files_of(block: str) -> dict[str, str]:
    """A block split into the files its ``# name.py`` header lines name."""
    parts = re.split(r"^# ([\w/]+\.py)$", block, flags=re.MULTILINE)
    return {name: body for name, body in zip(parts[1::2], parts[2::2], strict=True)}


def shell_lines(block: str) -> list[str]:
    """A shell block's commands, ``\\`` continuations joined."""
    joined = re.sub(r"\\\n\s*", "", block)
    return [line.strip() for line in joined.splitlines() if line.strip()]
