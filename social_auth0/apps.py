"""Django app configuration: registers social_auth0's system checks."""

from django.apps import AppConfig


class SocialAuth0Config(AppConfig):
    name = "social_auth0"
    verbose_name = "Auth0 (python-social-auth)"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from . import checks  # noqa: F401  (registers the checks)
