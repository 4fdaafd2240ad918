"""The test URLs plus views protected by the step-up decorators and mixins."""

from django.http import HttpRequest, HttpResponse
from django.urls import path
from django.views import View

from social_auth0.decorators import (
    MFARequiredMixin,
    RecentLoginRequiredMixin,
    mfa_required,
    recent_login_required,
)
from tests.urls import urlpatterns as base_urlpatterns


@recent_login_required(max_age=300)
def recent(request: HttpRequest) -> HttpResponse:
    return HttpResponse(f"recent:{request.user.get_username()}")


@recent_login_required
def recent_default(request: HttpRequest) -> HttpResponse:
    return HttpResponse("recent-default")


@mfa_required
def mfa(request: HttpRequest) -> HttpResponse:
    return HttpResponse(f"mfa:{request.user.get_username()}")


class RecentView(RecentLoginRequiredMixin, View):
    step_up_max_age = 60

    def get(self, request: HttpRequest) -> HttpResponse:
        return HttpResponse("recent-cbv")

    def post(self, request: HttpRequest) -> HttpResponse:
        return HttpResponse("recent-cbv-post")


class MFAView(MFARequiredMixin, View):
    def get(self, request: HttpRequest) -> HttpResponse:
        return HttpResponse("mfa-cbv")


urlpatterns = [
    *base_urlpatterns,
    path("recent/", recent),
    path("recent-default/", recent_default),
    path("mfa/", mfa),
    path("recent-cbv/", RecentView.as_view()),
    path("mfa-cbv/", MFAView.as_view()),
]
