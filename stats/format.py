"""How figures read: durations in minutes, hours or days; rates in per cent."""
from __future__ import annotations


def duration(seconds: float | None) -> str:
    if seconds is None:
        return "—"
    if seconds < 60:
        return "不到1分钟"
    if seconds < 3600:
        return f"{round(seconds / 60)}分钟"
    if seconds < 48 * 3600:
        return f"{seconds / 3600:.1f}小时"
    return f"{seconds / 86400:.1f}天"


def percent(rate: float | None) -> str:
    return "—" if rate is None else f"{rate * 100:.1f}%"
