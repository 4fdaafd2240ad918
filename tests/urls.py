from django.contrib import admin
from django.http import HttpResponse
from django.urls import include, path


def done(request):
    return HttpResponse(f"done:{request.user.get_username()}")


def login_error(request):
    return HttpResponse("login-error", status=200)


urlpatterns = [
    path("", include("social_django.urls", namespace="social")),
    path("auth0/", include("social_auth0.urls")),
    path("admin/", admin.site.urls),
    path("done/", done),
    path("login-error/", login_error),
]


def touch(request):
    """A page that writes the session (so a signed cookie is re-signed)."""
    request.session["touched"] = request.session.get("touched", 0) + 1
    return HttpResponse("touched")


def plain(request):
    """A page that reads neither the user nor the database."""
    return HttpResponse("plain")


urlpatterns += [path("touch/", touch), path("plain/", plain)]
