"""A site's API: plain Django views and DRF views protected by Auth0 tokens."""

from django.http import JsonResponse
from django.urls import path
from rest_framework.permissions import IsAuthenticated
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from social_auth0.contrib.drf import Auth0TokenAuthentication, TokenHasScope
from social_auth0.resource import token_required


def caller(request):
    user = request.user
    return {
        "sub": request.auth0_claims["sub"],
        "user": user.get_username(),
        "pk": user.pk,
        "machine": getattr(user, "is_machine", None),
    }


@token_required
def whoami(request):
    return JsonResponse(caller(request))


@token_required(scopes=["read:reports"])
def reports(request):
    return JsonResponse(caller(request))


@token_required(scopes=["read:reports"])
async def async_reports(request):
    return JsonResponse(caller(request))


class DrfWhoami(APIView):
    authentication_classes = [Auth0TokenAuthentication]
    permission_classes = [IsAuthenticated]
    renderer_classes = [JSONRenderer]

    def get(self, request):
        return Response(caller(request))

    def post(self, request):
        return Response(caller(request))


class DrfReports(DrfWhoami):
    permission_classes = [TokenHasScope]
    required_scopes = ["read:reports"]


urlpatterns = [
    path("api/whoami/", whoami),
    path("api/reports/", reports),
    path("api/async-reports/", async_reports),
    path("drf/whoami/", DrfWhoami.as_view()),
    path("drf/reports/", DrfReports.as_view()),
]
