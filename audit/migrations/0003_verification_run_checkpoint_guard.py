import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

# Checkpoints are evidence too: on PostgreSQL they are append-only like the entries (same refusing function).
PG_GUARD = """
CREATE TRIGGER audit_checkpoint_no_update BEFORE UPDATE OR DELETE ON audit_checkpoint
  FOR EACH ROW EXECUTE FUNCTION audit_refuse_change();
CREATE TRIGGER audit_checkpoint_no_truncate BEFORE TRUNCATE ON audit_checkpoint
  FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse_change();
"""
PG_UNGUARD = """
DROP TRIGGER IF EXISTS audit_checkpoint_no_update ON audit_checkpoint;
DROP TRIGGER IF EXISTS audit_checkpoint_no_truncate ON audit_checkpoint;
"""


def guard(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(PG_GUARD)


def unguard(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(PG_UNGUARD)


class Migration(migrations.Migration):
    dependencies = [
        ("audit", "0002_chain_head_and_guards"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="VerificationRun",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("requested_at", models.DateTimeField(auto_now_add=True, verbose_name="发起时间")),
                ("started_at", models.DateTimeField(blank=True, null=True, verbose_name="开始时间")),
                ("finished_at", models.DateTimeField(blank=True, null=True, verbose_name="完成时间")),
                ("ok", models.BooleanField(blank=True, null=True, verbose_name="通过")),
                ("count", models.BigIntegerField(default=0, verbose_name="校验条数")),
                ("checkpoints", models.BigIntegerField(default=0, verbose_name="校验签名数")),
                ("first_bad_seq", models.BigIntegerField(blank=True, null=True, verbose_name="首个异常序号")),
                ("message", models.TextField(blank=True, verbose_name="结果说明")),
                ("requested_by", models.ForeignKey(
                    blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name="+",
                    to=settings.AUTH_USER_MODEL, verbose_name="发起人",
                )),
            ],
            options={
                "verbose_name": "校验记录",
                "verbose_name_plural": "校验记录",
                "ordering": ["-requested_at", "-id"],
                "constraints": [models.CheckConstraint(
                    condition=models.Q(("ok__isnull", True), ("finished_at__isnull", False), _connector="OR"),
                    name="audit_run_result_when_finished",
                )],
            },
        ),
        migrations.RunPython(guard, unguard),
    ]
