"""The 收文登记簿 as rows: one shape for CSV, Excel and PDF so the three never disagree."""
from __future__ import annotations

import io
from collections.abc import Iterable, Iterator
from datetime import date

from django.db.models import Prefetch, QuerySet
from django.utils import timezone

from core.csv_stream import rows_as_csv as csv_stream_rows
from routing.models import Delivery
from telegrams.filters import RegisterFilter
from telegrams.models import Telegram, TelegramState

# Rows one export may hold; CSV streams and has no cap. WeasyPrint lays out about 50 table rows a second on
# this machine's size (2 cores), so 1000 rows is a ~20 s PDF; 5000 would be two minutes, past any
# reasonable request time. Excel writes 5000 rows in well under a second.
MAX_ROWS = {"xlsx": 5000, "pdf": 1000}
FORMAT_NAMES = {"xlsx": "Excel", "pdf": "PDF", "csv": "CSV"}

FIELDS = (
    ("n", "序号"), ("receipt_no", "收文号"), ("precedence", "等级"), ("classification", "类别"),
    ("sender", "来电单位"), ("doc_no", "发电字号"), ("title", "标题"), ("received_at", "收报时间"),
    ("pages", "页数"), ("copies", "份数"), ("instruction", "批办"), ("units", "分送单位"), ("state", "状态"),
)
COLUMNS = tuple(label for _, label in FIELDS)

# A cell a spreadsheet would run as a formula (CWE-1236).


class ExportError(Exception):
    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def register_queryset(params) -> tuple[QuerySet[Telegram], RegisterFilter]:
    """The register's own filter (same fields, same meaning) in book order: by year and receipt sequence."""
    deliveries = Prefetch("deliveries", queryset=Delivery.objects.select_related("unit").order_by("id"))
    base = Telegram.objects.prefetch_related(deliveries)
    f = RegisterFilter(params, queryset=base)
    if not f.is_valid():
        errors = "；".join(str(e) for errs in f.form.errors.values() for e in errs)
        raise ExportError(f"筛选条件有误：{errors}")
    start, end = f.form.cleaned_data.get("date_from"), f.form.cleaned_data.get("date_to")
    if start and end and start > end:
        raise ExportError("起始日期不能晚于截止日期。")
    return f.qs.order_by("receipt_year", "receipt_seq"), f


def describe_range(f: RegisterFilter) -> str:
    data = f.form.cleaned_data
    start: date | None = data.get("date_from")
    end: date | None = data.get("date_to")
    fmt = "{0.year}年{0.month}月{0.day}日".format
    if start and end:
        return f"{fmt(start)}至{fmt(end)}"
    if start:
        return f"{fmt(start)}起"
    if end:
        return f"截至{fmt(end)}"
    return "全部日期"


def describe_filters(f: RegisterFilter) -> str:
    data = f.form.cleaned_data
    parts = []
    if data.get("precedence"):
        parts.append(f"等级：{data['precedence']}")
    if data.get("sender"):
        parts.append(f"来电单位：{data['sender']}")
    if data.get("state"):
        parts.append(f"状态：{TelegramState(data['state']).label}")
    if data.get("q"):
        parts.append(f"搜索：{data['q']}")
    return "；".join(parts)


def row_for(n: int, t: Telegram) -> list:
    units = "、".join(f"{d.unit.name}（{d.get_role_display()}）" for d in t.deliveries.all())
    return [
        n, t.receipt_no, t.precedence, t.classification, t.sender_unit_name, t.sender_doc_no, t.title,
        timezone.localtime(t.received_at).strftime("%Y-%m-%d %H:%M"), t.pages or "", t.copies or "",
        t.instruction, units, t.get_state_display(),
    ]


def rows(qs: QuerySet[Telegram], *, chunk_size: int = 500) -> Iterator[list]:
    for n, t in enumerate(qs.iterator(chunk_size=chunk_size), start=1):
        yield row_for(n, t)


def capped_rows(qs: QuerySet[Telegram], fmt: str) -> list[list]:
    """All rows, or ExportError when the range holds more than a file of this format should."""
    limit = MAX_ROWS[fmt]
    count = qs.count()
    if count > limit:
        others = "、".join(name for key, name in FORMAT_NAMES.items() if MAX_ROWS.get(key, count) >= count)
        raise ExportError(
            f"所选范围共 {count} 件，超过 {FORMAT_NAMES[fmt]} 导出上限 {limit} 件。请缩小日期范围，或改用 {others} 导出。"
        )
    return list(rows(qs))


def as_dicts(row_list: list[list]) -> list[dict]:
    """Rows keyed by field name, for the PDF template."""
    keys = [key for key, _ in FIELDS]
    return [dict(zip(keys, row, strict=True)) for row in row_list]


def csv_stream(row_iter: Iterable[list]) -> Iterator[str]:
    """The register as CSV, formula cells guarded (titles and names come from outside)."""
    return csv_stream_rows(COLUMNS, row_iter, guard_formulas=True)


def xlsx_bytes(row_list: list[list], *, title: str, subtitle: str) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Border, Font, Side
    from openpyxl.utils import get_column_letter

    wb = Workbook()
    ws = wb.active
    ws.title = "收文登记簿"
    ws.append([title])
    ws.append([subtitle])
    ws["A1"].font = Font(bold=True, size=14)
    ws.append(list(COLUMNS))
    thin = Side(style="thin", color="000000")
    for cell in ws[3]:
        cell.font = Font(bold=True)
        cell.border = Border(top=thin, bottom=thin, left=thin, right=thin)
        cell.alignment = Alignment(horizontal="center")
    for r, row in enumerate(row_list, start=4):
        for c, value in enumerate(row, start=1):
            cell = ws.cell(row=r, column=c, value=value)
            if isinstance(value, str):
                cell.data_type = "s"  # text stays text, even if it starts with "="
    widths = (6, 22, 6, 6, 24, 20, 50, 17, 6, 6, 24, 30, 8)
    for i, width in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(i)].width = width
    ws.freeze_panes = "A4"
    ws.auto_filter.ref = f"A3:{get_column_letter(len(COLUMNS))}{len(row_list) + 3}"
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.print_title_rows = "3:3"
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
