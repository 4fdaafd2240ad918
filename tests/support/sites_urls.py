"""A site with logins (tests.urls) and an API (tests.support.api_urls)."""

from tests.support import api_urls
from tests.urls import urlpatterns as login_urls

urlpatterns = [*login_urls, *api_urls.urlpatterns]
