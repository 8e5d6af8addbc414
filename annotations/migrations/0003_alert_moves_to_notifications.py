"""The Alert model now belongs to the notifications app (its migration 0001 renamed the table)."""
from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ("annotations", "0002_alert_kind_delivered"),
        ("notifications", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(state_operations=[migrations.DeleteModel(name="Alert")], database_operations=[]),
    ]
