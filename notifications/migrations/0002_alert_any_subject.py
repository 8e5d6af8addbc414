import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("notifications", "0001_initial"),
        ("annotations", "0003_alert_moves_to_notifications"),
    ]

    operations = [
        migrations.AlterField(
            model_name="alert", name="telegram",
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT,
                                    related_name="alerts", to="telegrams.telegram", verbose_name="来电"),
        ),
        migrations.AddField(model_name="alert", name="link",
                            field=models.CharField(blank=True, max_length=200, verbose_name="链接")),
        migrations.AlterField(
            model_name="alert", name="kind",
            field=models.CharField(choices=[("urgent", "急件到达"), ("read_request", "请您阅示"), ("delivered", "新来电待签收"),
                                            ("unknown_units", "批办单位待处理"), ("reminder", "催办"), ("system", "系统告警")],
                                   max_length=16, verbose_name="类型"),
        ),
    ]
