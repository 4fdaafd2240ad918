"""Signals social_auth0 sends."""

from django.dispatch import Signal

#: Sent by the back-channel logout view after a valid logout token ended its
#: sessions, with ``backend``, ``sid`` and ``sub`` (either may be None).
backchannel_logout = Signal()
