"""Charts as SVG written on the server: no script, nothing inline the CSP would refuse (colours come from
classes in stats.css), readable without the page's styles (every bar has a <title> with its figure, and each
chart sits next to the table with the same numbers). SVG text scales with the drawing, so each chart is drawn
twice, for a phone's width and a desktop column's (stats.css shows one): its text stays near its real size.
The markup is built with f-strings (a chart has hundreds of elements); every text that is not a number we
formatted goes through `escape`."""
from __future__ import annotations

import math

from django.utils.html import escape
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


def _r(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")


def _svg(width: int, height: float, title: str, parts: list[str]) -> SafeString:
    t = escape(title)
    return mark_safe(f'<svg class="chart" viewBox="0 0 {width} {_r(height)}" role="img" aria-label="{t}" '
                     f'xmlns="http://www.w3.org/2000/svg"><title>{t}</title>{"".join(parts)}</svg>')


def both(draw, *args, **kwargs) -> SafeString:
    """The chart for a phone and for a desktop, one shown by stats.css."""
    return mark_safe(f'<div class="chart-phone">{draw(*args, width=PHONE, **kwargs)}</div>'
                     f'<div class="chart-desktop">{draw(*args, width=DESKTOP, **kwargs)}</div>')


def legend(keys: tuple[str, ...]) -> SafeString:
    return mark_safe("".join(f'<span class="legend-item"><span class="swatch {PRECEDENCE_CLASS.get(k, "p3")}"></span>'
                             f"{escape(k)}</span>" for k in keys))


def _label(x: float, y: float, label: str) -> str:
    """A row's name at the left, shortened, the whole name as its tooltip."""
    short = label if len(label) <= 10 else label[:9] + "…"
    return f'<text class="label" x="{_r(x)}" y="{_r(y)}" text-anchor="end"><title>{escape(label)}</title>{escape(short)}</text>'


def stacked_columns(series: list[tuple[str, dict[str, int]]], keys: tuple[str, ...], title: str, *,
                    width: int = DESKTOP) -> SafeString:
    """Vertical stacked bars, one per time bucket (months, weeks or days), one colour per precedence."""
    left, right, top, bottom, plot_h = 34, 6, 8, 22, 150 if width > PHONE else 130
    n = max(len(series), 1)
    top_value, step = nice_scale(max((sum(v.values()) for _, v in series), default=0), whole=True)
    slot = (width - left - right) / n
    bar_w = max(slot * 0.72, 1.5)
    base = top + plot_h
    parts = []
    value = 0.0
    while value <= top_value + 1e-9:  # grid lines and their values
        y = _r(base - plot_h * value / top_value)
        parts.append(f'<line class="grid" x1="{left}" y1="{y}" x2="{width - right}" y2="{y}"/>'
                     f'<text class="tick" x="{left - 4}" y="{_r(float(y) + 3.5)}" text-anchor="end">{_number(value)}</text>')
        value += step
    label_every = max(1, math.ceil(n * 26 / (width - left - right)))  # a label every ~26 units at least
    for i, (label, values) in enumerate(series):
        x, y, name = left + slot * i + (slot - bar_w) / 2, base, escape(label)
        for key in keys:
            count = values.get(key, 0)
            if count:
                h = plot_h * count / top_value
                y -= h
                parts.append(f'<rect class="{PRECEDENCE_CLASS.get(key, "p3")}" x="{_r(x)}" y="{_r(y)}" width="{_r(bar_w)}" '
                             f'height="{_r(h)}"><title>{name} {escape(key)}：{count}件</title></rect>')
        if i % label_every == 0:
            parts.append(f'<text class="tick" x="{_r(x + bar_w / 2)}" y="{_r(base + 15)}" text-anchor="middle">{name}</text>')
    parts.append(f'<line class="axis" x1="{left}" y1="{base}" x2="{width - right}" y2="{base}"/>')
    return _svg(width, base + bottom, title, parts)


def stacked_bars(rows: list[tuple[str, dict[str, int]]], keys: tuple[str, ...], title: str, *,
                 width: int = DESKTOP) -> SafeString:
    """Horizontal stacked bars, one row per label (senders), biggest first, figure at the end of the bar."""
    label_w, right, row_h, top = 128, 34, 22, 4
    top_value = max((sum(v.values()) for _, v in rows), default=0) or 1
    plot_w = width - label_w - right
    parts = []
    for i, (label, values) in enumerate(rows):
        y = top + row_h * i
        parts.append(_label(label_w - 6, y + 14, label))
        x, name = label_w, escape(label)
        for key in keys:
            count = values.get(key, 0)
            if count:
                w = plot_w * count / top_value
                parts.append(f'<rect class="{PRECEDENCE_CLASS.get(key, "p3")}" x="{_r(x)}" y="{y + 4}" width="{_r(max(w, 0.8))}" '
                             f'height="{row_h - 8}"><title>{name} {escape(key)}：{count}件</title></rect>')
                x += w
        parts.append(f'<text class="value" x="{_r(x + 4)}" y="{_r(y + 14)}">{_number(sum(values.values()))}</text>')
    return _svg(width, top * 2 + row_h * max(len(rows), 1), title, parts)


def ranges(rows: list[tuple[str, float | None, float | None, str]], title: str, unit: str, *,
           width: int = DESKTOP) -> SafeString:
    """Per unit: a bar to the median and a whisker on to the 90th percentile, with the median written after it.
    `rows` are (label, median, p90, text of the median) in `unit` (hours or days)."""
    label_w, right, row_h, top, axis_h = 128, 44, 22, 4, 18
    top_value, step = nice_scale(max((p90 or p50 or 0 for _, p50, p90, _ in rows), default=0))
    plot_w = width - label_w - right
    bottom = top + row_h * len(rows)
    parts = []
    value = 0.0
    while value <= top_value + 1e-9:
        x = _r(label_w + plot_w * value / top_value)
        parts.append(f'<line class="grid" x1="{x}" y1="{top}" x2="{x}" y2="{bottom}"/>'
                     f'<text class="tick" x="{x}" y="{bottom + 13}" text-anchor="middle">{_number(value)}</text>')
        value += step
    for i, (label, p50, p90, text) in enumerate(rows):
        y = top + row_h * i
        parts.append(_label(label_w - 6, y + 14, label))
        if p50 is None:
            parts.append(f'<text class="value muted" x="{label_w + 2}" y="{_r(y + 14)}">尚无</text>')
            continue
        name, shown, w = escape(label), escape(text), plot_w * p50 / top_value
        parts.append(f'<rect class="median" x="{label_w}" y="{y + 5}" width="{_r(max(w, 0.8))}" height="{row_h - 10}">'
                     f"<title>{name} 中位数 {shown}</title></rect>")
        end = w
        if p90 is not None and p90 > p50:
            x90, mid = _r(label_w + plot_w * p90 / top_value), _r(y + row_h / 2)
            parts.append(f'<line class="whisker" x1="{_r(label_w + w)}" y1="{mid}" x2="{x90}" y2="{mid}">'
                         f"<title>{name} 90%分位 {_number(round(p90, 1))}{escape(unit)}</title></line>"
                         f'<line class="whisker" x1="{x90}" y1="{y + 6}" x2="{x90}" y2="{y + row_h - 6}"/>')
            end = float(x90) - label_w
        parts.append(f'<text class="value" x="{_r(label_w + end + 4)}" y="{_r(y + 14)}">{shown}</text>')
    return _svg(width, bottom + axis_h, title, parts)
