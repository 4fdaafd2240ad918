"""Smoke test of the built wheel, installed in a fresh venv and run from outside
the source tree: ``python .ci/wheel_smoke.py SOURCE_ROOT`` (cwd elsewhere).

The wheel holds every file of the package (templates, migrations, py.typed and
the testing helpers) and nothing else (no tests, example_project, bench), and a
site configured as README's Quickstart says passes ``manage.py check`` at
warning level, migrates, has no model change without a migration and serves
the login page from the installed template.
"""

from __future__ import annotations

import sys
import tempfile
from importlib import metadata
from pathlib import Path, PurePosixPath

DIST = "social-auth0"
PACKAGE = "social_auth0"
URLS = """\
from django.urls import include, path

urlpatterns = [
    path("", include("social_django.urls", namespace="social")),
    path("auth0/", include("social_auth0.urls")),
]
"""


def wheel_files() -> set[PurePosixPath]:
    files = metadata.files(DIST)
    assert files, f"{DIST} has no RECORD: not installed from a wheel?"
    return {PurePosixPath(str(f)) for f in files}


def source_files(source_root: Path) -> set[PurePosixPath]:
    """The package's files in the checkout, bytecode aside."""
    package = source_root / PACKAGE
    return {
        PurePosixPath(p.relative_to(source_root).as_posix())
        for p in package.rglob("*")
        if p.is_file() and "__pycache__" not in p.parts
    }


def check_contents(source_root: Path) -> None:
    installed = wheel_files()
    missing = source_files(source_root) - installed
    assert not missing, f"not in the wheel: {sorted(map(str, missing))}"
    for needed in ("py.typed", "migrations/0001_initial.py", "templates/social_auth0"):
        assert any(str(f).startswith(f"{PACKAGE}/{needed}") for f in installed), needed
    tops = {f.parts[0] for f in installed if not f.parts[0].endswith(".dist-info")}
    tops -= {".."}  # scripts installed outside site-packages (none today)
    assert tops == {PACKAGE}, f"the wheel installs more than {PACKAGE}: {tops}"
    import social_auth0

    location = Path(social_auth0.__file__).resolve()
    assert source_root not in location.parents, (
        f"imported from the checkout: {location}"
    )
    print(f"wheel: {len(installed)} files, {PACKAGE} only, imported from {location}")


def configure_django(workdir: Path) -> None:
    """A site set up as README says (Quickstart, back-channel logout), with a
    shared (file) cache."""
    import django
    from django.conf import settings

    (workdir / "smoke_urls.py").write_text(URLS)
    sys.path.insert(0, str(workdir))
    settings.configure(
        SECRET_KEY="wheel-smoke-test-only",
        ALLOWED_HOSTS=["testserver"],
        INSTALLED_APPS=[
            "django.contrib.auth",
            "django.contrib.contenttypes",
            "django.contrib.sessions",
            "django.contrib.messages",
            "social_django",
            "social_auth0",
        ],
        MIDDLEWARE=[
            "django.contrib.sessions.middleware.SessionMiddleware",
            "django.middleware.csrf.CsrfViewMiddleware",
            "django.contrib.auth.middleware.AuthenticationMiddleware",
            "django.contrib.messages.middleware.MessageMiddleware",
            "social_django.middleware.SocialAuthExceptionMiddleware",
            "social_auth0.middleware.BackchannelLogoutMiddleware",
        ],
        ROOT_URLCONF="smoke_urls",
        TEMPLATES=[
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
        ],
        DATABASES={
            "default": {
                "ENGINE": "django.db.backends.sqlite3",
                "NAME": str(workdir / "db.sqlite3"),
            }
        },
        CACHES={
            "default": {
                "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
                "LOCATION": str(workdir / "cache"),
            }
        },
        DEFAULT_AUTO_FIELD="django.db.models.BigAutoField",
        USE_TZ=True,
        AUTHENTICATION_BACKENDS=[
            "social_auth0.backend.Auth0OAuth2",
            "django.contrib.auth.backends.ModelBackend",
        ],
        LOGIN_URL="social_auth0:login",
        LOGIN_REDIRECT_URL="/dashboard/",
        SOCIAL_AUTH_AUTH0_DOMAIN="your-tenant.eu.auth0.com",
        SOCIAL_AUTH_AUTH0_KEY="smoke-client-id",
        SOCIAL_AUTH_AUTH0_SECRET="smoke-client-secret",
        SOCIAL_AUTH_LOGIN_ERROR_URL="/login-error/",
        SOCIAL_AUTH_RAISE_EXCEPTIONS=False,
    )
    django.setup()


def check_site() -> None:
    from io import StringIO

    from django.core.management import call_command
    from django.db.migrations.recorder import MigrationRecorder
    from django.test import Client

    out = StringIO()
    call_command("check", fail_level="WARNING", stdout=out)  # raises on any issue
    assert "no issues" in out.getvalue(), out.getvalue()
    call_command("migrate", verbosity=0)
    applied = MigrationRecorder.Migration.objects.filter(app=PACKAGE).count()
    assert applied >= 1, "no social_auth0 migration applied"
    call_command("makemigrations", PACKAGE, check=True, dry_run=True, verbosity=0)
    page = Client().get("/auth0/login/?next=/reports/")
    body = page.content.decode()
    assert page.status_code == 200, page.status_code
    assert 'action="/login/auth0/"' in body and "/reports/" in body, body[:500]
    print(f"check, migrate ({applied} migrations), login page: fine")


def main() -> None:
    source_root = Path(sys.argv[1]).resolve()
    cwd = Path.cwd().resolve()
    assert cwd != source_root and source_root not in cwd.parents, "run it elsewhere"
    check_contents(source_root)
    with tempfile.TemporaryDirectory(prefix="social-auth0-wheel-") as workdir:
        configure_django(Path(workdir))
        check_site()


if __name__ == "__main__":
    main()
