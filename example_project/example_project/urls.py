from django.contrib import admin
from django.urls import include, path
from home import api, views

from social_auth0 import views as auth0_views

urlpatterns = [
    path("", views.index, name="index"),
    path("dashboard/", views.dashboard, name="dashboard"),
    path("reports/", views.reports, name="reports"),
    path("api/reports/", api.reports, name="api_reports"),
    path("security/", views.security, name="security"),
    path("login-error/", views.login_error, name="login_error"),
    # As the Quickstart (README.rst) asks: the admin's "Log out" ends the Auth0
    # session too; a GET of /login/auth0/ shows the login page, not a 405.
    path("admin/logout/", auth0_views.logout),
    path("admin/", admin.site.urls),
    path("", include("social_auth0.social_urls", namespace="social")),
    path("auth0/", include("social_auth0.urls")),
]
