from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from directory.services import DirectoryError, decode_text, import_units_csv


class Command(BaseCommand):
    help = "从 CSV（name,short_name,aliases,parent；别名以 | 分隔）导入或更新单位"

    def add_arguments(self, parser):
        parser.add_argument("file")

    def handle(self, *args, file, **options):
        path = Path(file)
        try:
            raw = path.read_bytes()
        except OSError as exc:
            raise CommandError(f"无法读取文件 {file}：{exc.strerror}")
        try:
            text = decode_text(raw)
        except DirectoryError as exc:
            raise CommandError(f"{file}：{exc}")
        try:
            result = import_units_csv(text)
        except DirectoryError as exc:
            raise CommandError(f"导入失败，未做任何修改：{exc}")
        self.stdout.write(f"新增 {result.created}，更新 {result.updated}，未变 {result.unchanged}")
