from django.contrib import admin
from django.urls import include, path
from home import views

urlpatterns = [
    path("", views.index, name="index"),
    path("dashboard/", views.dashboard, name="dashboard"),
    path("security/", views.security, name="security"),
    path("login-error/", views.login_error, name="login_error"),
    path("", include("social_django.urls", namespace="social")),
    path("auth0/", include("social_auth0.urls")),
    path("admin/", admin.site.urls),
]
