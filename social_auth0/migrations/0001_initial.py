"""The two tables (login records for logout, encrypted tokens), and the scrub
of plaintext tokens that social-core's built-in auth0 backend left in
``UserSocialAuth.extra_data`` of a site switching to this one: they are
deleted, not moved; users get new, encrypted ones at their next login."""

from typing import Any

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models

PLAINTEXT_TOKENS = ("access_token", "refresh_token", "id_token")


def scrub_plaintext_tokens(apps: Any, schema_editor: Any) -> None:
    """Remove the plaintext tokens of existing auth0 rows, 500 rows at a time."""
    UserSocialAuth = apps.get_model("social_django", "UserSocialAuth")
    objects = UserSocialAuth.objects.using(schema_editor.connection.alias)
    rows = objects.filter(provider="auth0")
    changed = []
    for social in rows.iterator(chunk_size=500):
        data = social.extra_data
        if isinstance(data, dict) and any(name in data for name in PLAINTEXT_TOKENS):
            for name in PLAINTEXT_TOKENS:
                data.pop(name, None)
            changed.append(social)
        if len(changed) >= 500:
            objects.bulk_update(changed, ["extra_data"])
            changed = []
    if changed:
        objects.bulk_update(changed, ["extra_data"])


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("social_django", "0016_alter_usersocialauth_extra_data"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="Auth0Session",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True,
                        primary_key=True,
                        serialize=False,
                        verbose_name="ID",
                    ),
                ),
                ("login_id", models.CharField(max_length=64, unique=True)),
                ("issuer", models.CharField(blank=True, max_length=255)),
                ("sid", models.CharField(blank=True, db_index=True, max_length=255)),
                ("sub", models.CharField(db_index=True, max_length=255)),
                ("session_key", models.CharField(blank=True, max_length=255)),
                ("created_at", models.DateTimeField(auto_now_add=True)),
                (
                    "revoked_at",
                    models.DateTimeField(blank=True, db_index=True, null=True),
                ),
                (
                    "seen_at",
                    models.DateTimeField(
                        db_index=True, default=django.utils.timezone.now
                    ),
                ),
                (
                    "user",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            options={
                "verbose_name": "Auth0 session",
            },
        ),
        migrations.CreateModel(
            name="Auth0Token",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True,
                        primary_key=True,
                        serialize=False,
                        verbose_name="ID",
                    ),
                ),
                ("audience", models.CharField(blank=True, max_length=255)),
                ("sub", models.CharField(max_length=255)),
                ("access_token", models.TextField()),
                ("refresh_token", models.TextField(blank=True)),
                ("expires_at", models.DateTimeField()),
                ("version", models.PositiveIntegerField(default=0)),
                ("exchange_started_at", models.DateTimeField(blank=True, null=True)),
                ("updated_at", models.DateTimeField(auto_now=True)),
                (
                    "user",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            options={
                "verbose_name": "Auth0 token",
                "constraints": [
                    models.UniqueConstraint(
                        fields=("user", "audience"),
                        name="social_auth0_token_per_audience",
                    )
                ],
            },
        ),
        migrations.RunPython(scrub_plaintext_tokens, migrations.RunPython.noop),
    ]
