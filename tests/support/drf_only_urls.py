"""A URLconf whose only protected view is a DRF one, routed under include()."""

from django.urls import include, path

from .api_urls import DrfReports

urlpatterns = [path("v1/", include([path("reports/", DrfReports.as_view())]))]
