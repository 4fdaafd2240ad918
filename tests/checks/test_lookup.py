"""checks/lookup.py: settings resolved under each listed Auth0 backend's name,
each backend checked once.

Each misconfiguration gives exactly its message, naming the setting as it
was found; messages are compared as whole ``checks.Error``/``checks.Warning``
objects, as Django's tests/auth_tests/test_checks.py does."""

from __future__ import annotations

from django.core import checks

from social_auth0.backend import Auth0OAuth2
from tests.support.check_settings import MODEL_BACKEND, OUR_BACKEND, configured


class RenamedAuth0(Auth0OAuth2):
    """A subclass under a name of its own (e.g. a second tenant)."""

    name = "auth0-eu"


def test_a_renamed_subclass_has_its_own_settings_checked():
    """A backend named ``auth0-eu`` reads SOCIAL_AUTH_AUTH0_EU_*: those are checked."""
    renamed = f"{__name__}.RenamedAuth0"
    with configured(
        AUTHENTICATION_BACKENDS=[renamed, MODEL_BACKEND],
        SOCIAL_AUTH_AUTH0_EU_LEEWAY=-1,
    ):
        errors = checks.run_checks(tags=["social_auth0"])
    by_id = {message.id: message.msg for message in errors}
    assert by_id["social_auth0.E001"] == "SOCIAL_AUTH_AUTH0_EU_DOMAIN is not set."
    assert by_id["social_auth0.E004"].startswith("SOCIAL_AUTH_AUTH0_EU_KEY ")
    assert by_id["social_auth0.E010"].startswith("SOCIAL_AUTH_AUTH0_EU_LEEWAY ")


def test_each_listed_auth0_backend_is_checked_once():
    renamed = f"{__name__}.RenamedAuth0"
    with configured(AUTHENTICATION_BACKENDS=[OUR_BACKEND, renamed]):
        domains = [
            message.msg
            for message in checks.run_checks(tags=["social_auth0"])
            if message.id == "social_auth0.E001"
        ]
    # The test settings set SOCIAL_AUTH_AUTH0_DOMAIN; auth0-eu's is missing.
    assert domains == ["SOCIAL_AUTH_AUTH0_EU_DOMAIN is not set."]
