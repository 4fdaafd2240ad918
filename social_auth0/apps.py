"""Django app configuration: registers checks and the session receivers."""

from django.apps import AppConfig


class SocialAuth0Config(AppConfig):
    name = "social_auth0"
    verbose_name = "Auth0 (python-social-auth)"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in, user_logged_out

        from . import cache_checks, checks, login_checks, pipeline_checks  # noqa: F401
        from .resource_checks import check_api_audience  # noqa: F401  (API checks)
        from .sessions import forget_login, record_login, record_on_login

        user_logged_in.connect(record_login, dispatch_uid="social_auth0.record_login")
        user_logged_in.connect(
            record_on_login, dispatch_uid="social_auth0.record_login_context"
        )
        user_logged_out.connect(forget_login, dispatch_uid="social_auth0.forget_login")
