import json

from django.core.management.base import BaseCommand, CommandError

from desk.record import telegram_as_json
from telegrams.models import Telegram


class Command(BaseCommand):
    help = "按收文号输出一件来电（JSON 字段同 parse_telegram，另有 state、deliveries、annotations）"

    def add_arguments(self, parser):
        parser.add_argument("receipt_no")
        parser.add_argument("--json", action="store_true", dest="as_json")

    def handle(self, *args, receipt_no, as_json, **options):
        key = receipt_no.strip().replace("［", "[").replace("］", "]").replace("〔", "[").replace("〕", "]")
        telegram = Telegram.objects.filter(receipt_no=key).first()
        if telegram is None:
            raise CommandError(f"收文号 {receipt_no} 不存在")
        data = telegram_as_json(telegram)
        if as_json:
            self.stdout.write(json.dumps(data, ensure_ascii=False))
        else:
            for k, v in data.items():
                self.stdout.write(f"{k}: {v}")
