from django.contrib import admin
from django.urls import include, path
from home import api, views

urlpatterns = [
    path("", views.index, name="index"),
    path("dashboard/", views.dashboard, name="dashboard"),
    path("reports/", views.reports, name="reports"),
    path("api/reports/", api.reports, name="api_reports"),
    path("security/", views.security, name="security"),
    path("login-error/", views.login_error, name="login_error"),
    path("", include("social_django.urls", namespace="social")),
    path("auth0/", include("social_auth0.urls")),
    path("admin/", admin.site.urls),
]
