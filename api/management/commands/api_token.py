from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from core.errors import ActionError
from core.mapping import command_error

from ...actions import token_for


class Command(BaseCommand):
    help = "为用户生成接口令牌（已有有效令牌则显示它），令牌在输出的最后一行"

    def add_arguments(self, parser):
        parser.add_argument("username")

    def handle(self, *args, username, **options):
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"用户 {username} 不存在")
        if not user.is_active:
            raise CommandError(f"用户 {username} 已停用，不能使用接口令牌")
        try:
            token, key, new = token_for(user)
        except ActionError as exc:
            raise command_error(exc)
        when = token.created_at.strftime("%Y-%m-%d %H:%M")
        self.stdout.write(f"已为 {username} 生成接口令牌" if new else f"{username} 的接口令牌（{when} 签发）")
        self.stdout.write(key)
