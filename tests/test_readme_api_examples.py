"""The README's "Testing your API" examples, taken out of README.rst: what users
copy must work.

The site under test is tests/api_urls.py, with the API_AUDIENCE a user's
settings would have."""

import pytest

from .test_readme_examples import python_blocks, section

pytestmark = pytest.mark.urls("tests.api_urls")


@pytest.fixture(autouse=True)
def api_audience(settings):  # in a user's project: settings.py
    settings.SOCIAL_AUTH_AUTH0_API_AUDIENCE = "https://api.example.com/"


# The tests themselves are README.rst's code, compiled from README.rst as it
# stands (so they cannot drift), with its line numbers in tracebacks.
SECTION = "Testing your API"
(BLOCK,) = python_blocks(section(SECTION, underline="-"))
exec(compile(BLOCK, f"README.rst ({SECTION})", "exec"))  # noqa: S102
