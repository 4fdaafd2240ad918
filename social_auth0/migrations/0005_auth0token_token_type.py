from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("social_auth0", "0004_auth0token_scope"),
    ]

    operations = [
        migrations.AddField(
            model_name="auth0token",
            name="token_type",
            field=models.CharField(default="Bearer", max_length=16),
        ),
        migrations.AddField(
            model_name="auth0token",
            name="dpop_jkt",
            field=models.CharField(blank=True, max_length=64),
        ),
    ]
