from django.core.management.base import BaseCommand
from django.db import transaction

from directory import demo
from directory.models import Unit
from directory.services import ensure_user, grant_admin_permissions


class Command(BaseCommand):
    help = "载入演示单位与每个角色的演示用户（可重复运行）"

    def handle(self, *args, **options):
        with transaction.atomic():
            created = 0
            for name, short, aliases, _ in demo.UNITS:
                _, was_created = Unit.objects.update_or_create(name=name, defaults={"short_name": short, "aliases": aliases})
                created += was_created
            for name, _, _, parent in demo.UNITS:
                if parent:
                    Unit.objects.filter(name=name).update(parent=Unit.objects.get(name=parent))
            grant_admin_permissions()
            for username, full_name, role, unit in demo.USERS:
                ensure_user(username, full_name=full_name, role=role, password=demo.PASSWORD,
                            unit=Unit.objects.get(name=unit) if unit else None)
        self.stdout.write(f"演示数据已就绪：{len(demo.UNITS)} 个单位（新增 {created}），{len(demo.USERS)} 个用户。")
        self.stdout.write(f"登录账号（密码均为 {demo.PASSWORD}）：")
        for username, full_name, role, unit in demo.USERS:
            self.stdout.write(f"  {username:<12} {role:<4} {full_name} {unit}")
