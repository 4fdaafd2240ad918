# A placeholder for the migration of the same name on another branch (an
# empty one keeps this branch's 0005 applicable on its own).

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("social_auth0", "0003_auth0session_login_stamp"),
    ]

    operations = []
