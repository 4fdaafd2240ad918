"""Django app configuration: registers checks and the session receivers."""

from django.apps import AppConfig


class SocialAuth0Config(AppConfig):
    name = "social_auth0"
    verbose_name = "Auth0 (python-social-auth)"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in, user_logged_out

        from . import checks, migration_checks, pipeline_checks  # noqa: F401
        from .sessions import forget_login, record_login

        user_logged_in.connect(record_login, dispatch_uid="social_auth0.record_login")
        user_logged_out.connect(forget_login, dispatch_uid="social_auth0.forget_login")
