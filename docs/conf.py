"""Sphinx configuration of the social_auth0 documentation (docs/)."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# The version without importing the package (no Django settings needed).
VERSION = re.search(
    r'^__version__ = "([^"]+)"',
    (ROOT / "social_auth0" / "__init__.py").read_text(),
    re.MULTILINE,
).group(1)

project = "social_auth0"
author = "social_auth0 contributors"
copyright = "social_auth0 contributors"  # noqa: A001 (Sphinx's name)
version = release = VERSION

extensions: list[str] = []
exclude_patterns = ["_build"]
html_theme = "furo"
html_title = f"social_auth0 {VERSION}"
# Pages name settings and check ids in double backquotes: no default role.
default_role = None
