"""Charts as SVG written on the server: no script, nothing inline the CSP would refuse (colours come from
classes in stats.css), readable without the page's styles (every bar has a <title> with its figure, and each
chart sits next to the table with the same numbers). SVG text scales with the drawing, so each chart is drawn
twice, for a phone's width and a desktop column's (stats.css shows one): its text stays near its real size."""
from __future__ import annotations

import math

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe

PHONE, DESKTOP = 330, 560
PRECEDENCE_CLASS = {"特提": "p0", "特急": "p1", "加急": "p2", "平急": "p3"}


def nice_scale(value: float, ticks: int = 4, *, whole: bool = False) -> tuple[float, float]:
    """(axis maximum, tick step): a step of 1, 2, 2.5 or 5 × 10^k giving at most `ticks` intervals up to at
    least `value`; `whole` steps for counts (no "2.5 telegrams")."""
    if value <= 0:
        return 1, 1
    raw = value / ticks
    power = 10 ** math.floor(math.log10(raw))
    for factor in (1, 2, 2.5, 5, 10):
        step = factor * power
        if step >= raw and (not whole or step == int(step)):
            break
    step = max(step, 1) if whole else step
    return math.ceil(value / step - 1e-9) * step, step


def _number(value: float) -> str:
    return f"{value:,.0f}" if value == int(value) else f"{value:,.1f}"


def _svg(width: int, height: float, title: str, body: SafeString) -> SafeString:
    return format_html(
        '<svg class="chart" viewBox="0 0 {} {}" role="img" aria-label="{}" xmlns="http://www.w3.org/2000/svg">'
        "<title>{}</title>{}</svg>", width, _r(height), title, title, body,
    )


def both(draw, *args, **kwargs) -> SafeString:
    """The chart for a phone and for a desktop, one shown by stats.css."""
    return format_html('<div class="chart-phone">{}</div><div class="chart-desktop">{}</div>',
                       draw(*args, width=PHONE, **kwargs), draw(*args, width=DESKTOP, **kwargs))


def _r(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")


def legend(keys: tuple[str, ...]) -> SafeString:
    return format_html_join(
        "", '<span class="legend-item"><span class="swatch {}"></span>{}</span>',
        ((PRECEDENCE_CLASS.get(k, "p3"), k) for k in keys),
    )


def stacked_columns(series: list[tuple[str, dict[str, int]]], keys: tuple[str, ...], title: str, *,
                    width: int = DESKTOP) -> SafeString:
    """Vertical stacked bars, one per time bucket (months, weeks or days), one colour per precedence."""
    left, right, top, bottom, plot_h = 34, 6, 8, 22, 150 if width > PHONE else 130
    n = max(len(series), 1)
    top_value, step = nice_scale(max((sum(v.values()) for _, v in series), default=0), whole=True)
    slot = (width - left - right) / n
    bar_w = max(slot * 0.72, 1.5)
    parts = []
    value = 0.0
    while value <= top_value + 1e-9:  # grid lines and their values
        y = top + plot_h - plot_h * value / top_value
        parts.append(format_html('<line class="grid" x1="{}" y1="{}" x2="{}" y2="{}"/>', left, _r(y), width - right, _r(y)))
        parts.append(format_html('<text class="tick" x="{}" y="{}" text-anchor="end">{}</text>', left - 4, _r(y + 3.5), _number(value)))
        value += step
    label_every = max(1, math.ceil(n * 26 / (width - left - right)))  # a label every ~26 units at least
    for i, (label, values) in enumerate(series):
        x = left + slot * i + (slot - bar_w) / 2
        y = top + plot_h
        for key in keys:
            count = values.get(key, 0)
            if not count:
                continue
            h = plot_h * count / top_value
            y -= h
            parts.append(format_html('<rect class="{}" x="{}" y="{}" width="{}" height="{}"><title>{} {}：{}件</title></rect>',
                                     PRECEDENCE_CLASS.get(key, "p3"), _r(x), _r(y), _r(bar_w), _r(h), label, key, count))
        if i % label_every == 0:
            parts.append(format_html('<text class="tick" x="{}" y="{}" text-anchor="middle">{}</text>',
                                     _r(x + bar_w / 2), _r(top + plot_h + 15), label))
    parts.append(format_html('<line class="axis" x1="{}" y1="{}" x2="{}" y2="{}"/>', left, top + plot_h, width - right, top + plot_h))
    return _svg(width, top + plot_h + bottom, title, mark_safe("".join(parts)))


def stacked_bars(rows: list[tuple[str, dict[str, int]]], keys: tuple[str, ...], title: str, *,
                 width: int = DESKTOP) -> SafeString:
    """Horizontal stacked bars, one row per label (senders), biggest first, figure at the end of the bar."""
    label_w, right, row_h, top = 128, 34, 22, 4
    top_value = max((sum(v.values()) for _, v in rows), default=0) or 1
    plot_w = width - label_w - right
    parts = []
    for i, (label, values) in enumerate(rows):
        y = top + row_h * i
        short = label if len(label) <= 10 else label[:9] + "…"
        parts.append(format_html('<text class="label" x="{}" y="{}" text-anchor="end"><title>{}</title>{}</text>',
                                 label_w - 6, _r(y + 14), label, short))
        x = label_w
        for key in keys:
            count = values.get(key, 0)
            if not count:
                continue
            w = plot_w * count / top_value
            parts.append(format_html('<rect class="{}" x="{}" y="{}" width="{}" height="{}"><title>{} {}：{}件</title></rect>',
                                     PRECEDENCE_CLASS.get(key, "p3"), _r(x), y + 4, _r(max(w, 0.8)), row_h - 8, label, key, count))
            x += w
        parts.append(format_html('<text class="value" x="{}" y="{}">{}</text>', _r(x + 4), _r(y + 14), _number(sum(values.values()))))
    return _svg(width, top * 2 + row_h * max(len(rows), 1), title, mark_safe("".join(parts)))


def ranges(rows: list[tuple[str, float | None, float | None, str]], title: str, unit: str, *,
           width: int = DESKTOP) -> SafeString:
    """Per unit: a bar to the median and a whisker on to the 90th percentile, with the median written after it.
    `rows` are (label, median, p90, text of the median) in `unit` (hours or days)."""
    label_w, right, row_h, top, axis_h = 128, 44, 22, 4, 18
    top_value, step = nice_scale(max((p90 or p50 or 0 for _, p50, p90, _ in rows), default=0))
    plot_w = width - label_w - right
    parts = []
    value = 0.0
    while value <= top_value + 1e-9:
        x = label_w + plot_w * value / top_value
        parts.append(format_html('<line class="grid" x1="{}" y1="{}" x2="{}" y2="{}"/>', _r(x), top, _r(x), top + row_h * len(rows)))
        parts.append(format_html('<text class="tick" x="{}" y="{}" text-anchor="middle">{}</text>', _r(x),
                                 top + row_h * len(rows) + 13, _number(value)))
        value += step
    for i, (label, p50, p90, text) in enumerate(rows):
        y = top + row_h * i
        short = label if len(label) <= 10 else label[:9] + "…"
        parts.append(format_html('<text class="label" x="{}" y="{}" text-anchor="end"><title>{}</title>{}</text>',
                                 label_w - 6, _r(y + 14), label, short))
        if p50 is None:
            parts.append(format_html('<text class="value muted" x="{}" y="{}">尚无</text>', label_w + 2, _r(y + 14)))
            continue
        w = plot_w * p50 / top_value
        parts.append(format_html('<rect class="median" x="{}" y="{}" width="{}" height="{}"><title>{} 中位数 {}</title></rect>',
                                 label_w, y + 5, _r(max(w, 0.8)), row_h - 10, label, text))
        end = w
        if p90 is not None and p90 > p50:
            x90 = label_w + plot_w * p90 / top_value
            parts.append(format_html('<line class="whisker" x1="{}" y1="{}" x2="{}" y2="{}"><title>{} 90%分位 {}{}</title></line>',
                                     _r(label_w + w), _r(y + row_h / 2), _r(x90), _r(y + row_h / 2), label, _number(round(p90, 1)), unit))
            parts.append(format_html('<line class="whisker" x1="{}" y1="{}" x2="{}" y2="{}"/>', _r(x90), y + 6, _r(x90), y + row_h - 6))
            end = x90 - label_w
        parts.append(format_html('<text class="value" x="{}" y="{}">{}</text>', _r(label_w + end + 4), _r(y + 14), text))
    return _svg(width, top + row_h * max(len(rows), 1) + axis_h, title, mark_safe("".join(parts)))
