from __future__ import annotations

from urllib.parse import quote

from django.conf import settings
from django.http import HttpResponse
from django.shortcuts import render

from directory import roles
from directory.access import role_required

from . import charts, export, report
from .forms import StatsFilterForm

READERS = (roles.CLERK, roles.LEADER, roles.ADMIN)


def _report(request) -> tuple[StatsFilterForm, report.Report]:
    form = StatsFilterForm(request.GET or None)
    return form, report.build(form.filters())


@role_required(*READERS)
def page(request):
    form, r = _report(request)
    slowest = max((u.done_p90 or u.done_p50 or 0 for u in r.units), default=0)
    in_days = slowest >= 48 * 3600
    scale, unit = (86400, "天") if in_days else (3600, "小时")
    timed = [u for u in r.units if u.deliveries][:30]
    return render(request, "stats/page.html", {
        "form": form, "r": r, "precedences": report.PRECEDENCES, "senders": report.senders_in(r.filters.period),
        "top_senders": r.senders[:30], "more_senders": max(len(r.senders) - 30, 0),
        "legend": charts.legend(report.PRECEDENCES),
        "series_chart": charts.both(charts.stacked_columns, r.series, report.PRECEDENCES,
                                    f"{r.filters.period_label}收文（{r.series_title}）"),
        "sender_chart": charts.both(charts.stacked_bars, [(s, p) for s, p, _ in r.senders[:10]], report.PRECEDENCES,
                                    "来电单位（前10）"),
        "done_chart": charts.both(charts.ranges,
            [(u.name, _scaled(u.done_p50, scale), _scaled(u.done_p90, scale), f"{_scaled(u.done_p50, scale) or 0:.1f}{unit}")
             for u in timed], f"各单位办结用时（{unit}）", unit),
        "refresh_minutes": round(settings.STATS_REFRESH_INTERVAL / 60),
        "query": request.GET.urlencode(),
    })


def _scaled(seconds: float | None, scale: float) -> float | None:
    return None if seconds is None else round(seconds / scale, 1)


@role_required(*READERS)
def export_xlsx(request):
    _, r = _report(request)
    name = f"明电收文统计-{r.filters.period}.xlsx"
    response = HttpResponse(export.xlsx_bytes(r),
                            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    response["Content-Disposition"] = f"attachment; filename=stats-{r.filters.period}.xlsx; filename*=UTF-8''{quote(name)}"
    return response
