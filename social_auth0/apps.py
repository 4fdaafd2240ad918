"""Django app configuration: registers checks and the session receivers."""

from django.apps import AppConfig


class SocialAuth0Config(AppConfig):
    name = "social_auth0"
    verbose_name = "Auth0 (python-social-auth)"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in, user_logged_out

        from . import checks, pipeline_checks  # noqa: F401  (register the checks)
        from .sessions import forget_login, record_login

        user_logged_in.connect(record_login, dispatch_uid="social_auth0.record_login")
        user_logged_out.connect(forget_login, dispatch_uid="social_auth0.forget_login")

        from . import access_checks  # noqa: F401  (register the checks)
        from .revocation import on_backchannel_logout, on_logout
        from .signals import backchannel_logout

        user_logged_out.connect(on_logout, dispatch_uid="social_auth0.revoke_tokens")
        backchannel_logout.connect(
            on_backchannel_logout, dispatch_uid="social_auth0.revoke_backchannel"
        )
