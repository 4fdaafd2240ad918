"""URLs of social_auth0; include as ``path("auth0/", include("social_auth0.urls"))``."""

from django.urls import path

from . import views

app_name = "social_auth0"

urlpatterns = [
    path("login/", views.login, name="login"),
    path("logout/", views.logout, name="logout"),
    path("logout/return/", views.logout_return, name="logout_return"),
    path("backchannel-logout/", views.backchannel_logout, name="backchannel_logout"),
]
