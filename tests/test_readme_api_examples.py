"""The docs' "Testing your API" examples, taken out of docs/testing.rst: what
users copy must work.

The site under test is tests/support/api_urls.py, with the API_AUDIENCE a user's
settings would have."""

import pytest

from .support.docs import doc_block

pytestmark = pytest.mark.urls("tests.support.api_urls")


@pytest.fixture(autouse=True)
def api_audience(settings):  # in a user's project: settings.py
    settings.SOCIAL_AUTH_AUTH0_API_AUDIENCE = "https://api.example.com/"


# The tests themselves are the page's code, compiled from docs/testing.rst as
# it stands (so they cannot drift).
BLOCK = doc_block("docs/testing.rst", "testing-api")
exec(compile(BLOCK, "docs/testing.rst (testing-api)", "exec"))  # noqa: S102


DPOP_BLOCK = doc_block("docs/testing.rst", "testing-dpop")
exec(compile(DPOP_BLOCK, "docs/testing.rst (testing-dpop)", "exec"))  # noqa: S102


DOMAINS_BLOCK = doc_block("docs/testing.rst", "testing-custom-domains")
exec(compile(DOMAINS_BLOCK, "docs/testing.rst (testing-custom-domains)", "exec"))  # noqa: S102
