"""URLs of social_auth0; include as ``path("auth0/", include("social_auth0.urls"))``."""

from django.urls import path

from . import views

app_name = "social_auth0"

urlpatterns = [
    path("login/", views.login, name="login"),
]
