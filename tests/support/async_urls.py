"""The test site's pages plus async views: a page behind ``login_required``,
an API view protected by ``token_required``, an unprotected one (the
baseline of thread-hop counts), a view asking for the user's access token."""

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse, JsonResponse
from django.urls import path

from social_auth0.access import ReauthenticationRequired, aget_access_token
from social_auth0.resource import token_required
from tests.support.api_urls import caller
from tests.urls import urlpatterns as site_urlpatterns


@login_required
async def profile(request):
    user = await request.auser()
    return HttpResponse(f"async:{user.get_username()}")


@token_required(scopes=["read:reports"])
async def reports(request):
    return JsonResponse(caller(request))


async def bare(request):
    return JsonResponse({"sub": None})


async def access_token(request):
    try:
        token = await aget_access_token(request)
    except ReauthenticationRequired:
        return HttpResponse("log in again", status=401)
    return HttpResponse(token)


urlpatterns = [
    *site_urlpatterns,
    path("async/profile/", profile),
    path("async/reports/", reports),
    path("async/bare/", bare),
    path("async/access-token/", access_token),
]
