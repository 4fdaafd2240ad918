"""Django app configuration: registers checks and the session receivers."""

from importlib import import_module

from django.apps import AppConfig
from django.core import checks

# The modules of system checks, one per subject. ready() registers each one's
# CHECKS, so importing a module registers nothing (as django.contrib.auth).
CHECK_MODULES = (
    "checks",  # the backend's settings, the installation, logout, redirects
    "pipeline_checks",
    "cache_checks",
    "resource_checks",
    "login_checks",
    "migration_checks",
    "access_checks",
)


class SocialAuth0Config(AppConfig):
    name = "social_auth0"
    verbose_name = "Auth0 (python-social-auth)"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in, user_logged_out

        from .access import on_login_tokens
        from .revocation import on_backchannel_logout, on_logout
        from .sessions import forget_login, record_login, record_on_login
        from .signals import backchannel_logout, login_tokens

        for module in CHECK_MODULES:
            for check in import_module(f"{self.name}.{module}").CHECKS:
                checks.register(check, "social_auth0")
        user_logged_in.connect(record_login, dispatch_uid="social_auth0.record_login")
        user_logged_in.connect(
            record_on_login, dispatch_uid="social_auth0.record_login_context"
        )
        user_logged_out.connect(forget_login, dispatch_uid="social_auth0.forget_login")
        user_logged_out.connect(on_logout, dispatch_uid="social_auth0.revoke_tokens")
        login_tokens.connect(on_login_tokens, dispatch_uid="social_auth0.store_tokens")
        backchannel_logout.connect(
            on_backchannel_logout, dispatch_uid="social_auth0.revoke_backchannel"
        )
