import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True

    dependencies = [migrations.swappable_dependency(settings.AUTH_USER_MODEL)]

    operations = [
        migrations.CreateModel(
            name="Unit",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("name", models.CharField(max_length=100, unique=True, verbose_name="名称")),
                ("short_name", models.CharField(blank=True, max_length=50, verbose_name="简称")),
                ("aliases", models.JSONField(blank=True, default=list, help_text="其他叫法，如“区总工会”", verbose_name="别名")),
                (
                    "parent",
                    models.ForeignKey(
                        blank=True, null=True, on_delete=django.db.models.deletion.PROTECT,
                        related_name="children", to="directory.unit", verbose_name="上级单位",
                    ),
                ),
                ("active", models.BooleanField(default=True, verbose_name="启用")),
            ],
            options={"verbose_name": "单位", "verbose_name_plural": "单位", "ordering": ["name"]},
        ),
        migrations.CreateModel(
            name="Person",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("full_name", models.CharField(max_length=50, verbose_name="姓名")),
                ("title", models.CharField(blank=True, max_length=50, verbose_name="职务")),
                (
                    "unit",
                    models.ForeignKey(
                        blank=True, null=True, on_delete=django.db.models.deletion.PROTECT,
                        related_name="people", to="directory.unit", verbose_name="所在单位",
                    ),
                ),
                (
                    "user",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE, related_name="person",
                        to=settings.AUTH_USER_MODEL, verbose_name="用户",
                    ),
                ),
            ],
            options={"verbose_name": "人员", "verbose_name_plural": "人员", "ordering": ["unit__name", "full_name"]},
        ),
    ]
