"""A site's API: plain Django views and DRF views protected by Auth0 tokens."""

from django.contrib.auth.models import Group
from django.http import JsonResponse
from django.urls import path
from rest_framework.permissions import DjangoModelPermissions, IsAuthenticated
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.throttling import UserRateThrottle
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


class ThreePerMinute(UserRateThrottle):
    """DRF's per-user throttle (keyed on ``request.user.pk``), 3 a minute."""

    rate = "3/min"


class DrfThrottled(DrfWhoami):
    throttle_classes = [ThreePerMinute]


class DrfGroups(DrfWhoami):
    """A model's queryset under DRF's Django model permissions."""

    permission_classes = [DjangoModelPermissions]
    queryset = Group.objects.all()

    def get(self, request):
        return Response({"groups": list(self.queryset.values_list("name", flat=True))})

    def post(self, request):
        group = Group.objects.create(name="created by the API")
        return Response({"created": group.pk}, status=201)


urlpatterns = [
    path("api/whoami/", whoami),
    path("api/reports/", reports),
    path("api/async-reports/", async_reports),
    path("drf/whoami/", DrfWhoami.as_view()),
    path("drf/reports/", DrfReports.as_view()),
    path("drf/throttled/", DrfThrottled.as_view()),
    path("drf/groups/", DrfGroups.as_view()),
]
