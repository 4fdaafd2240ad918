"""The test project's URLconf with social_auth0.social_urls for social_django's."""

from django.urls import include, path

urlpatterns = [
    path("", include("social_auth0.social_urls", namespace="social")),
    path("auth0/", include("social_auth0.urls")),
]
