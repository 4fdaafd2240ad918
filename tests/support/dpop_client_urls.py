"""The login pages and the API views on one site: a site that logs users in
with DPoP and calls its own DPoP-protected API with their tokens."""

from tests.support import api_urls
from tests.urls import urlpatterns as site_urlpatterns

urlpatterns = [*site_urlpatterns, *api_urls.urlpatterns]
