
import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('telegrams', '0002_trigram_search'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='ImportedFile',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('sha256', models.CharField(max_length=64, unique=True, verbose_name='SHA-256')),
                ('filename', models.CharField(max_length=255, verbose_name='文件名')),
                ('imported_at', models.DateTimeField(auto_now_add=True, verbose_name='导入时间')),
                ('imported_by', models.ForeignKey(
                    on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL,
                    verbose_name='导入人')),
                ('telegram', models.ForeignKey(
                    on_delete=django.db.models.deletion.PROTECT, related_name='imported_files', to='telegrams.telegram',
                    verbose_name='来电')),
            ],
            options={
                'verbose_name': '已导入文件',
                'verbose_name_plural': '已导入文件',
                'ordering': ['imported_at', 'id'],
            },
        ),
    ]
