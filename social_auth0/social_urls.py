"""social_django's URLs, with ``/login/auth0`` also answering a GET.

Include it instead of ``social_django.urls``, under the same namespace::

    path("", include("social_auth0.social_urls", namespace="social")),

Every route is social_django's (``/complete/auth0/``, the launch bridges,
disconnect); ``social:begin`` still starts a login on a POST, as social_django
does, and a GET of ``/login/auth0`` or ``/login/auth0/`` (whatever
``SOCIAL_AUTH_TRAILING_SLASH`` says) renders ``social_auth0:login``'s page, so
old links and ``LOGIN_URL = "/login/auth0"`` keep working.
"""

from django.urls import path, re_path
from social_django import urls as social_django_urls

from . import views

app_name = "social"

urlpatterns = [
    # social_django's own spelling first: reverse("social:begin") is unchanged.
    path(f"login/<str:backend>{social_django_urls.extra}", views.begin, name="begin"),
    re_path(r"^login/(?P<backend>[^/]+)/?$", views.begin),
    *(p for p in social_django_urls.urlpatterns if p.name != "begin"),
]
