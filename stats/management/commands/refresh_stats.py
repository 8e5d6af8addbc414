from django.core.management.base import BaseCommand

from stats import summary


class Command(BaseCommand):
    help = "更新统计汇总（beat 定时执行的同一过程）；--full 全部重算"

    def add_arguments(self, parser):
        parser.add_argument("--full", action="store_true", help="全部重算，而不只是有变化的月份")

    def handle(self, *args, full: bool = False, **options):
        result = summary.refresh(full=full)
        if result.busy:
            self.stdout.write("另一个统计更新正在进行，本次未执行。")
            return
        self.stdout.write(f"统计已更新：{len(result.months)} 个月，{len(result.periods)} 个统计期，用时 {result.seconds:.1f} 秒")
