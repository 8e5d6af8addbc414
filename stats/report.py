"""What the statistics page and its Excel export show, read from the summary tables: a few small queries,
whatever the size of the register. "Overdue now" compares the open deliveries' deadlines with today as the page
is read, so a delivery falls overdue at midnight, not at the next refresh."""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.db.models import Sum
from django.db.models.functions import TruncMonth
from django.utils import timezone

from directory.models import Unit

from .models import ALL, ALL_UNITS, DailyDelivered, DailyReceived, RefreshState, UnitPeriod
from .summary import KIND_LABELS, period_days, period_months

PRECEDENCES = ("特提", "特急", "加急", "平急")


@dataclass(frozen=True)
class Filters:
    period: str  # "2026", "2026-Q3", "2026-11"
    precedence: str = ALL
    sender: str = ALL
    unit_id: int = ALL_UNITS

    @property
    def period_label(self) -> str:
        year, _, rest = self.period.partition("-")
        if not rest:
            return f"{year}年"
        if rest.startswith("Q"):
            return f"{year}年第{rest[1:]}季度"
        return f"{year}年{int(rest)}月"

    @property
    def grain(self) -> str:
        return "year" if "-" not in self.period else ("quarter" if "-Q" in self.period else "month")


@dataclass
class UnitRow:
    unit_id: int
    name: str
    deliveries: int = 0
    signed: int = 0
    done: int = 0
    due_done: int = 0
    on_time: int = 0
    overdue_now: int = 0
    returned: int = 0
    transferred: int = 0
    sign_p50: float | None = None
    sign_p90: float | None = None
    done_p50: float | None = None
    done_p90: float | None = None

    @property
    def on_time_rate(self) -> float | None:
        """按期办结率: finished by the deadline, of those finished with a deadline plus those overdue now."""
        judged = self.due_done + self.overdue_now
        return self.on_time / judged if judged else None


@dataclass
class Report:
    filters: Filters
    refreshed_at: datetime | None
    unit_name: str = ""
    total: int = 0  # telegrams received (with a unit: delivered to that unit)
    by_precedence: dict[str, int] = field(default_factory=dict)
    by_kind: dict[str, int] = field(default_factory=dict)
    returned: int = 0
    series: list[tuple[str, dict[str, int]]] = field(default_factory=list)  # (bucket label, precedence → n)
    senders: list[tuple[str, dict[str, int], int]] = field(default_factory=list)  # (sender, precedence → n, total)
    units: list[UnitRow] = field(default_factory=list)
    overall: UnitRow = field(default_factory=lambda: UnitRow(ALL_UNITS, "全部单位"))

    @property
    def series_title(self) -> str:
        return {"year": "按月", "quarter": "按周", "month": "按日"}[self.filters.grain]


def refreshed_at() -> datetime | None:
    return RefreshState.objects.filter(id=1).values_list("refreshed_at", flat=True).first()


def build(filters: Filters, *, today: date | None = None) -> Report:
    today = today or timezone.localdate()
    report = Report(filters=filters, refreshed_at=refreshed_at())
    if filters.unit_id:
        report.unit_name = Unit.objects.filter(pk=filters.unit_id).values_list("name", flat=True).first() or ""
    _received(report)
    _units(report, today)
    return report


def _daily(filters: Filters):
    """The daily rows in scope and the name of their count column."""
    first, after = period_days(filters.period)
    if filters.unit_id:
        qs, count = DailyDelivered.objects.filter(unit_id=filters.unit_id), "deliveries"
    else:
        qs, count = DailyReceived.objects.all(), "telegrams"
    qs = qs.filter(day__gte=first, day__lt=after)
    if filters.precedence:
        qs = qs.filter(precedence=filters.precedence)
    if filters.sender:
        qs = qs.filter(sender=filters.sender)
    return qs, count


def _received(report: Report) -> None:
    """Totals, precedences, kinds, 退文 and the sender table: one grouped query (senders × precedences × kinds)."""
    qs, count = _daily(report.filters)
    by_precedence: dict[str, int] = defaultdict(int)
    kinds: dict[str, int] = defaultdict(int)
    senders: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    rows = qs.values_list("sender", "precedence", "kind").annotate(n=Sum(count), returned=Sum("returned")).order_by()
    for sender, precedence, kind, n, returned in rows:
        by_precedence[precedence] += n
        kinds[kind] += n
        senders[sender][precedence] += n
        report.returned += returned
    report.by_precedence = {p: by_precedence.get(p, 0) for p in PRECEDENCES}
    report.total = sum(report.by_precedence.values())
    report.by_kind = {label: kinds.get(code, 0) for code, label in KIND_LABELS.items()}
    report.senders = sorted(((s, dict(p), sum(p.values())) for s, p in senders.items()), key=lambda r: (-r[2], r[0]))
    report.series = _series(report.filters, qs, count)


def _series(filters: Filters, qs, count: str) -> list[tuple[str, dict[str, int]]]:
    """Counts per time bucket and precedence: months of a year, weeks (from Monday) of a quarter, days of a month."""
    first, after = period_days(filters.period)
    buckets: dict[date, dict[str, int]] = {}
    if filters.grain == "year":
        for y, m in period_months(filters.period):
            buckets[date(y, m, 1)] = {}
        rows = qs.annotate(bucket=TruncMonth("day")).values_list("bucket", "precedence").annotate(n=Sum(count)).order_by()
    else:
        step = 7 if filters.grain == "quarter" else 1
        start = first - timedelta(days=first.weekday()) if step == 7 else first
        day = start
        while day < after:
            buckets[day] = {}
            day += timedelta(days=step)
        rows = []
        for day, precedence, n in qs.values_list("day", "precedence").annotate(n=Sum(count)).order_by():
            rows.append((day - timedelta(days=(day - start).days % step), precedence, n))
    for bucket, precedence, n in rows:
        key = bucket if isinstance(bucket, date) and not isinstance(bucket, datetime) else bucket.date()
        target = buckets.setdefault(key, {})
        target[precedence] = target.get(precedence, 0) + n
    if filters.grain == "year":
        return [(f"{b.month}月", v) for b, v in buckets.items()]
    return [(f"{b.month}/{b.day}", v) for b, v in buckets.items()]


def _units(report: Report, today: date) -> None:
    f = report.filters
    qs = UnitPeriod.objects.filter(period=f.period, precedence=f.precedence, sender=f.sender)
    if f.unit_id:
        qs = qs.filter(unit_id=f.unit_id)
    figures = {r.unit_id: r for r in qs}
    cutoff = today.isoformat()  # ISO dates compare as text
    overdue = {unit: sum(n for day, n in r.open_deadlines.items() if day < cutoff) for unit, r in figures.items()}
    ids = set(figures) - {ALL_UNITS}
    names = dict(Unit.objects.filter(pk__in=ids).values_list("pk", "name"))
    rows: dict[int, UnitRow] = {}
    for unit_id in ids | ({ALL_UNITS} if not f.unit_id else set()):
        row = UnitRow(unit_id, "全部单位" if unit_id == ALL_UNITS else names.get(unit_id, f"单位#{unit_id}"))
        summary = figures.get(unit_id)
        if summary is not None:
            for name in ("deliveries", "signed", "done", "due_done", "on_time", "returned", "transferred",
                         "sign_p50", "sign_p90", "done_p50", "done_p90"):
                setattr(row, name, getattr(summary, name))
        row.overdue_now = overdue.get(unit_id, 0)
        rows[unit_id] = row
    report.units = sorted((r for k, r in rows.items() if k != ALL_UNITS), key=lambda r: (-r.deliveries, r.name))
    report.overall = rows.get(ALL_UNITS) or (report.units[0] if report.units else UnitRow(f.unit_id, report.unit_name))


def years_available() -> list[int]:
    """Years with received telegrams in the summary, and the current one."""
    this = timezone.localdate().year
    first = DailyReceived.objects.order_by("day").values_list("day", flat=True).first()
    return list(range(this, (first.year if first and first.year <= this else this) - 1, -1))


def senders_in(period: str, limit: int = 200) -> list[str]:
    first, after = period_days(period)
    return list(DailyReceived.objects.filter(day__gte=first, day__lt=after).values_list("sender", flat=True)
                .annotate(n=Sum("telegrams")).order_by("-n", "sender")[:limit])
