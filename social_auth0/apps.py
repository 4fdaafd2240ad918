"""Django app configuration: registers checks and the session receivers."""

from django.apps import AppConfig
from django.core import checks


class SocialAuth0Config(AppConfig):
    name = "social_auth0"
    verbose_name = "Auth0 (python-social-auth)"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.conf import settings
        from django.contrib.auth.signals import user_logged_in, user_logged_out
        from django.db.models.signals import pre_delete

        from .access import on_logout, on_user_delete
        from .checks import ALL, DATABASE, DEPLOY
        from .sessions import forget_login, record_login
        from .signals import backchannel_logout, login_tokens
        from .user_tokens.refresh import on_login_tokens
        from .user_tokens.revocation import on_backchannel_logout

        for check in ALL:
            checks.register(check, "social_auth0")
        for check in DEPLOY:
            checks.register(check, "social_auth0", deploy=True)
        for check in DATABASE:
            checks.register(check, checks.Tags.database)
        user_logged_in.connect(record_login, dispatch_uid="social_auth0.record_login")
        user_logged_out.connect(forget_login, dispatch_uid="social_auth0.forget_login")
        user_logged_out.connect(on_logout, dispatch_uid="social_auth0.revoke_tokens")
        pre_delete.connect(
            on_user_delete,
            sender=settings.AUTH_USER_MODEL,
            dispatch_uid="social_auth0.revoke_deleted_users_tokens",
        )
        login_tokens.connect(on_login_tokens, dispatch_uid="social_auth0.store_tokens")
        backchannel_logout.connect(
            on_backchannel_logout, dispatch_uid="social_auth0.revoke_backchannel"
        )
