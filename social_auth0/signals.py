"""Signals social_auth0 sends."""

from django.dispatch import Signal

#: Sent by the back-channel logout view after a valid logout token ended its
#: sessions, with ``backend``, ``sid`` and ``sub`` (either may be None).
backchannel_logout = Signal()

#: Sent by ``Auth0OAuth2.extra_data`` at each login, with ``backend``, ``user``,
#: ``uid``, ``response`` (the token response and verified claims) and
#: ``social``: user_tokens/refresh.py stores the tokens (encrypted) from here, so the
#: backend never imports the storage.
login_tokens = Signal()


__all__ = ["backchannel_logout", "login_tokens"]
