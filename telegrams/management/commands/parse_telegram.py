"""``manage.py parse_telegram FILE [--json]``: run the paste-form parser on a text file."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from telegrams.textparse import ParsedTelegram, TelegramParseError, parse

# Chinese labels for the readable listing, in contract order.
LABELS: dict[str, str] = {
    "receipt_no": "收文号",
    "sender_unit": "来电单位",
    "precedence": "等级",
    "classification": "类别",
    "received_at": "收报时间",
    "title": "标题",
    "annotation": "领导批示",
    "instruction": "批办",
    "sending_unit": "发电单位",
    "sender_doc_no": "发电文号",
    "addressees": "主送",
    "body": "正文",
    "signatory": "署名",
    "signed_on": "成文日期",
    "cc": "抄送",
}


def read_text(path: Path) -> str:
    """The file as text: UTF-8 (with or without BOM), else GB18030 (texts saved from GBK terminals)."""
    if not path.exists():
        raise CommandError(f"文件不存在：{path}")
    if not path.is_file():
        raise CommandError(f"不是文件：{path}")
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise CommandError(f"无法读取文件：{path}（{exc.strerror or exc}）") from exc
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise CommandError(f"无法识别文件编码（应为 UTF-8 或 GB18030）：{path}")


def _display(result: ParsedTelegram, name: str) -> str:
    value = getattr(result, name)
    if name == "received_at" and value is not None:
        return f"{value.year}年{value.month}月{value.day}日{value.hour}时{value.minute:02d}分"
    if name == "signed_on" and value is not None:
        return f"{value.year}年{value.month}月{value.day}日"
    if isinstance(value, list):
        return "；".join(value)
    return value or ""


def format_listing(result: ParsedTelegram) -> str:
    """A readable listing: one "标签：值" line per field, multi-line values indented."""
    lines: list[str] = []
    for name, label in LABELS.items():
        value = _display(result, name) or "（未识别）"
        first, *rest = value.split("\n")
        if name == "body" and rest:
            lines.append(f"{label}：")
            lines.extend(f"    {paragraph}" for paragraph in value.split("\n"))
        else:
            lines.append(f"{label}：{first}")
            lines.extend(f"    {line}" for line in rest)
    if result.missing:
        lines.append("未识别字段：" + "、".join(LABELS[name] for name in result.missing))
    return "\n".join(lines)


class Command(BaseCommand):
    help = "解析来电文本文件，输出各字段（--json 输出一个 JSON 对象，字段同登记表单的粘贴解析）"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="来电文本文件（UTF-8 或 GB18030）")
        parser.add_argument("--json", action="store_true", dest="as_json", help="输出一个 JSON 对象")

    def handle(self, *args: Any, file: str, as_json: bool, **options: Any) -> None:
        path = Path(file)
        text = read_text(path)
        try:
            # now: a 收报时间 printed without a year is read as the most recent such date.
            result = parse(text, now=timezone.now())
        except TelegramParseError as exc:
            raise CommandError(f"{path}：{exc}") from exc
        if as_json:
            self.stdout.write(json.dumps(result.to_json_dict(), ensure_ascii=False))
        else:
            self.stdout.write(format_listing(result))
