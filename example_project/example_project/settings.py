"""Settings of the example project.

Auth0 comes from the environment: ``AUTH0_DOMAIN``, ``AUTH0_CLIENT_ID``,
``AUTH0_CLIENT_SECRET`` (the names of Auth0's quickstarts) or the
``SOCIAL_AUTH_AUTH0_*`` names. With none set, ``runserver`` starts the local
tenant emulator beside the site (see home/apps.py) with three demo users.
"""

import os
from pathlib import Path

from social_auth0.pipeline import PIPELINE

BASE_DIR = Path(__file__).resolve().parent.parent

# Demo only: a real site reads its secret key from the environment.
SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "example-project-insecure-key")
DEBUG = os.environ.get("DJANGO_DEBUG", "1") == "1"
ALLOWED_HOSTS = ["localhost", "127.0.0.1", "[::1]"]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "social_django",
    "social_auth0",
    "home",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # A rejected login becomes a redirect to LOGIN_ERROR_URL with a message.
    "social_django.middleware.SocialAuthExceptionMiddleware",
    # Ends sessions Auth0 logged out by back-channel logout (signed cookies too).
    "social_auth0.middleware.BackchannelLogoutMiddleware",
]

ROOT_URLCONF = "example_project.urls"
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ]
        },
    }
]
WSGI_APPLICATION = "example_project.wsgi.application"

DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": os.environ.get("EXAMPLE_DATABASE", BASE_DIR / "db.sqlite3"),
    }
}
# The JWKS cache: a file cache is shared by every worker process of this host
# (production: Redis, Memcached or the database cache).
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
        "LOCATION": os.environ.get("EXAMPLE_CACHE", BASE_DIR / ".django_cache"),
    }
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
USE_TZ = True
STATIC_URL = "static/"

AUTHENTICATION_BACKENDS = [
    "social_auth0.backend.Auth0OAuth2",
    "django.contrib.auth.backends.ModelBackend",
]
LOGIN_URL = "social_auth0:login"
LOGIN_REDIRECT_URL = "dashboard"
LOGOUT_REDIRECT_URL = "index"

SOCIAL_AUTH_LOGIN_ERROR_URL = "/login-error/"
SOCIAL_AUTH_RAISE_EXCEPTIONS = False
SOCIAL_AUTH_JSONFIELD_ENABLED = True


def _env(*names: str) -> str:
    return next((os.environ[name] for name in names if os.environ.get(name)), "")


SOCIAL_AUTH_AUTH0_DOMAIN = _env("SOCIAL_AUTH_AUTH0_DOMAIN", "AUTH0_DOMAIN")
SOCIAL_AUTH_AUTH0_KEY = _env("SOCIAL_AUTH_AUTH0_KEY", "AUTH0_CLIENT_ID")
SOCIAL_AUTH_AUTH0_SECRET = _env("SOCIAL_AUTH_AUTH0_SECRET", "AUTH0_CLIENT_SECRET")

# Where an Auth0 Action puts the user's roles (see docs/pipeline.rst).
AUTH0_ROLES_CLAIM = "https://example.com/roles"

# Organizations whose invitation links and logins are accepted (docs/organizations.rst,
# "Organizations"): ids or names, space separated.
SOCIAL_AUTH_AUTH0_ALLOWED_ORGANIZATIONS = (
    os.environ.get("AUTH0_ALLOWED_ORGANIZATIONS", "").split() or None
)

# No tenant configured: run against the local emulator (home/apps.py starts it
# when runserver serves). Its port can be moved with AUTH0_EMULATOR_PORT.
AUTH0_EMULATOR = None
if not SOCIAL_AUTH_AUTH0_DOMAIN:
    AUTH0_EMULATOR = {
        "port": int(os.environ.get("AUTH0_EMULATOR_PORT", "8001")),
        "client_id": "example-client-id",
        "client_secret": "example-client-secret",
        # A demo organization (ada@example.com is a member).
        "organization": {"id": "org_exampleacme0001", "name": "acme"},
    }
    SOCIAL_AUTH_AUTH0_DOMAIN = f"http://127.0.0.1:{AUTH0_EMULATOR['port']}"
    SOCIAL_AUTH_AUTH0_KEY = AUTH0_EMULATOR["client_id"]
    SOCIAL_AUTH_AUTH0_SECRET = AUTH0_EMULATOR["client_secret"]
    # The emulator's demo organization, by id (invitation links) and by name.
    SOCIAL_AUTH_AUTH0_ALLOWED_ORGANIZATIONS = list(
        AUTH0_EMULATOR["organization"].values()
    )

# "Calling your API" (README.rst): the reports page calls this project's own
# small API (home/api.py) with the user's access token, refreshed as needed.
# With a real tenant, register an API at Auth0 (Allow Offline Access on) and
# set AUTH0_AUDIENCE to its identifier; the emulator needs nothing.
SOCIAL_AUTH_AUTH0_AUDIENCE = _env("SOCIAL_AUTH_AUTH0_AUDIENCE", "AUTH0_AUDIENCE")
if AUTH0_EMULATOR and not SOCIAL_AUTH_AUTH0_AUDIENCE:
    SOCIAL_AUTH_AUTH0_AUDIENCE = "https://api.example.local/"
if SOCIAL_AUTH_AUTH0_AUDIENCE:
    SOCIAL_AUTH_AUTH0_SCOPE = ["offline_access"]  # a refresh token
    SOCIAL_AUTH_AUTH0_STORE_TOKENS = True  # encrypted, for get_access_token()
    # home/api.py serves that API: it accepts tokens for the same identifier.
    SOCIAL_AUTH_AUTH0_API_AUDIENCE = SOCIAL_AUTH_AUTH0_AUDIENCE
    SOCIAL_AUTH_AUTH0_API_REALM = "example-api"

# social_auth0's pipeline, plus one step of this example that keeps the
# verified claims in the session for the dashboard.
SOCIAL_AUTH_PIPELINE = (*PIPELINE, "home.pipeline.keep_verified_claims")

# Roles (from the ID token's namespaced claim) -> staff, superuser, groups.
SOCIAL_AUTH_AUTH0_ROLES_CLAIM = AUTH0_ROLES_CLAIM
SOCIAL_AUTH_AUTH0_STAFF_ROLES = ["staff", "admin"]
SOCIAL_AUTH_AUTH0_SUPERUSER_ROLES = ["admin"]
SOCIAL_AUTH_AUTH0_GROUPS = {"editor": ["Editors"]}
SOCIAL_AUTH_AUTH0_GROUPS_CREATE = True

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "loggers": {
        "social_auth0": {"handlers": ["console"], "level": "INFO"},
        # Server errors in the console also with DEBUG off (the e2e tests).
        "django.request": {"handlers": ["console"], "level": "ERROR"},
    },
}
