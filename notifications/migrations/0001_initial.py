"""The Alert model moves here from the 批示 app: the table is renamed, its rows stay."""
import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ("annotations", "0002_alert_kind_delivered"),
        ("telegrams", "0005_fewer_indexes"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[
                migrations.RunSQL("ALTER TABLE annotations_alert RENAME TO notifications_alert",
                                  "ALTER TABLE notifications_alert RENAME TO annotations_alert"),
            ],
            state_operations=[
                migrations.CreateModel(
                    name="Alert",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        ("kind", models.CharField(choices=[("urgent", "急件到达"), ("read_request", "请您阅示"),
                                                           ("delivered", "新来电待签收")], max_length=16, verbose_name="类型")),
                        ("text", models.CharField(max_length=300, verbose_name="内容")),
                        ("created_at", models.DateTimeField(default=django.utils.timezone.now, editable=False, verbose_name="时间")),
                        ("read_at", models.DateTimeField(blank=True, null=True, verbose_name="已读时间")),
                        ("telegram", models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name="alerts",
                                                       to="telegrams.telegram", verbose_name="来电")),
                        ("user", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="+",
                                                   to=settings.AUTH_USER_MODEL, verbose_name="接收人")),
                    ],
                    options={
                        "verbose_name": "提醒",
                        "verbose_name_plural": "提醒",
                        "ordering": ["-created_at", "-id"],
                        "indexes": [models.Index(fields=["user", "read_at"], name="alert_unread_idx")],
                    },
                ),
            ],
        ),
    ]
