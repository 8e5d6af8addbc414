"""The statistics as an Excel workbook: the same figures as the page, one sheet per table, times in hours."""
from __future__ import annotations

import io

from django.utils import timezone

from .report import PRECEDENCES, Report


def _hours(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds / 3600, 2)


def xlsx_bytes(report: Report) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    f = report.filters
    wb = Workbook()
    about = wb.active
    about.title = "说明"
    scope = report.unit_name and f"送达{report.unit_name}的来电" or "全部来电"
    refreshed = timezone.localtime(report.refreshed_at).strftime("%Y-%m-%d %H:%M") if report.refreshed_at else "尚未生成"
    for row in (
        ["明电收文统计"], ["统计期", f.period_label], ["范围", scope], ["等级", f.precedence or "全部"],
        ["来电单位", f.sender or "全部"], ["数据截至", refreshed],
        ["说明", "按收报时间归入统计期；用时自送达本单位起算（小时）；中位数与90%分位按线性插值（同 Excel PERCENTILE.INC）；"
                 "按期办结率 = 按期办结 ÷（有期限且已办结 + 当前逾期）；作废的来电不计。"],
    ):
        about.append(row)
    about["A1"].font = Font(bold=True, size=14)
    about.column_dimensions["A"].width = 12
    about.column_dimensions["B"].width = 90

    def sheet(title: str, header: list[str], rows: list[list], widths: list[int]) -> None:
        ws = wb.create_sheet(title)
        ws.append(header)
        for cell in ws[1]:
            cell.font = Font(bold=True)
        for row in rows:
            ws.append(row)
            for cell in ws[ws.max_row]:
                if isinstance(cell.value, str):
                    cell.data_type = "s"  # a sender's name stays text, even if it starts with "="
        for i, width in enumerate(widths, start=1):
            ws.column_dimensions[get_column_letter(i)].width = width
        ws.freeze_panes = "B2"

    sheet("收文按来电单位", ["来电单位", *PRECEDENCES, "合计"],
          [[s, *[p.get(k, 0) for k in PRECEDENCES], total] for s, p, total in report.senders]
          + [["合计", *[report.by_precedence.get(k, 0) for k in PRECEDENCES], report.total]],
          [30, 8, 8, 8, 8, 10])
    sheet(f"收文趋势（{report.series_title}）", ["时间", *PRECEDENCES, "合计"],
          [[label, *[v.get(k, 0) for k in PRECEDENCES], sum(v.values())] for label, v in report.series],
          [10, 8, 8, 8, 8, 10])
    units = [*report.units, report.overall] if len(report.units) != 1 else report.units
    sheet("各单位办理", ["单位", "分送", "已签收", "已办结", "签收用时中位数（小时）", "签收用时90%分位（小时）",
                      "办结用时中位数（小时）", "办结用时90%分位（小时）", "有期限且已办结", "按期办结", "当前逾期",
                      "按期办结率", "退回", "转办"],
          [[u.name, u.deliveries, u.signed, u.done, _hours(u.sign_p50), _hours(u.sign_p90), _hours(u.done_p50),
            _hours(u.done_p90), u.due_done, u.on_time, u.overdue_now,
            None if u.on_time_rate is None else round(u.on_time_rate, 4), u.returned, u.transferred] for u in units],
          [24, 8, 8, 8, 12, 12, 12, 12, 10, 10, 10, 10, 8, 8])
    rate_column = wb["各单位办理"]["L"]
    for cell in rate_column[1:]:
        cell.number_format = "0.0%"
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
