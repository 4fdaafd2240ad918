"""The API of tests.support.api_urls with its RFC 9728 metadata at the root."""

from django.urls import include, path

from .api_urls import urlpatterns as api

urlpatterns = [path("", include("social_auth0.well_known")), *api]
