"""Bring the summary tables up to date: the beat task every STATS_REFRESH_INTERVAL seconds, a full rebuild each
night, `manage.py refresh_stats [--full]` by hand.

Everything is attributed to the month of receipt of its telegram. A run finds the months whose telegrams changed
since the last run by reading the change logs from where it stopped — new telegrams (id), routing events (every
delivery state change writes one) and header corrections and voids (TelegramChange) — and recomputes those
months (daily counts and the month's unit figures) and the quarters and years they belong to. A month is always
recomputed whole, so the figures are exact: percentiles come from the raw times, never from merged summaries.
The nightly full rebuild catches anything changed without a log row (a fix made by hand in the database).

On PostgreSQL a period's unit figures are one statement (GROUP BY CUBE, percentile_cont); elsewhere (the embedded
SQLite) the same figures are computed in Python from the period's deliveries."""
from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from itertools import product

from django.db import connection, transaction
from django.db.models import Count, F, Q, Value
from django.db.models.functions import Coalesce, NullIf, TruncDate, TruncMonth
from django.utils import timezone

from routing.models import Delivery, Role, RoutingEvent
from telegrams.models import Telegram, TelegramChange

from .models import ALL, ALL_UNITS, DailyDelivered, DailyReceived, RefreshState, UnitPeriod

# States as the procedure defines them. Names the procedure issue (退文, a unit's 退回/转办) will add are listed
# here already: until they exist they simply count nothing.
VOID = "void"
OPEN = ("delivered", "signed")  # at the unit, not finished
TELEGRAM_RETURNED = "returned"  # 退文 (DESIGN.md: show_telegram reports `returned`)
DELIVERY_EXCLUDED = ("pending", "cancelled")  # not (or no longer) at the unit: not a delivery to count
UNIT_RETURNED = ("returned",)  # the unit sent it back (退回)
UNIT_TRANSFERRED = ("transferred",)  # the unit passed it on (转办)
HANDLE, READ = "handle", "read"
KIND_LABELS = {HANDLE: "办件", READ: "阅件"}


def kind_expression(prefix: str = ""):
    """办件/阅件 of a telegram: its 初审 mark (`kind`, handle|read); one not reviewed yet ("") counts as 办件."""
    return Coalesce(NullIf(F(f"{prefix}kind"), Value("")), Value(HANDLE))


# --- periods -----------------------------------------------------------------------------------------------

def month_key(year: int, month: int) -> str:
    return f"{year}-{month:02d}"


def quarter_key(year: int, month: int) -> str:
    return f"{year}-Q{(month - 1) // 3 + 1}"


def period_months(key: str) -> list[tuple[int, int]]:
    """The (year, month)s of a period key: "2026", "2026-Q3" or "2026-11"."""
    year, _, rest = key.partition("-")
    y = int(year)
    if not rest:
        return [(y, m) for m in range(1, 13)]
    if rest.startswith("Q"):
        q = int(rest[1:])
        if not 1 <= q <= 4:
            raise ValueError(key)
        return [(y, m) for m in range(3 * q - 2, 3 * q + 1)]
    m = int(rest)
    if not 1 <= m <= 12:
        raise ValueError(key)
    return [(y, m)]


def period_days(key: str) -> tuple[date, date]:
    """First day and the day after the last of a period."""
    months = period_months(key)
    (y0, m0), (y1, m1) = months[0], months[-1]
    return date(y0, m0, 1), date(y1 + (m1 == 12), m1 % 12 + 1, 1)


def period_bounds(key: str) -> tuple[datetime, datetime]:
    """The period as local-time instants [start, end)."""
    first, after = period_days(key)
    return (timezone.make_aware(datetime.combine(first, datetime.min.time())),
            timezone.make_aware(datetime.combine(after, datetime.min.time())))


def periods_of_months(months: Iterable[tuple[int, int]]) -> list[str]:
    keys: set[str] = set()
    for y, m in months:
        keys |= {month_key(y, m), quarter_key(y, m), str(y)}
    return sorted(keys)


# --- the refresh -------------------------------------------------------------------------------------------

@dataclass
class RefreshResult:
    months: list[str] = field(default_factory=list)
    periods: list[str] = field(default_factory=list)
    seconds: float = 0.0
    full: bool = False
    busy: bool = False  # another refresh held the state row: this one did nothing


def _marks() -> dict[str, int]:
    def top(model) -> int:
        return model.objects.order_by("-id").values_list("id", flat=True).first() or 0

    return {"telegram": top(Telegram), "event": top(RoutingEvent), "change": top(TelegramChange)}


def _months_of(telegrams) -> set[tuple[int, int]]:
    tz = timezone.get_current_timezone()
    found = telegrams.annotate(m=TruncMonth("received_at", tzinfo=tz)).values_list("m", flat=True).distinct()
    return {(m.year, m.month) for m in found.order_by()}


def changed_months(floor: dict[str, int]) -> set[tuple[int, int]]:
    """Months of receipt whose telegrams changed after the marks in `floor` (see the module docstring)."""
    events = RoutingEvent.objects.filter(id__gt=floor.get("event", 0)).values("telegram_id")
    changes = TelegramChange.objects.filter(id__gt=floor.get("change", 0))
    months = _months_of(Telegram.objects.filter(id__gt=floor.get("telegram", 0)))
    months |= _months_of(Telegram.objects.filter(id__in=events))
    months |= _months_of(Telegram.objects.filter(id__in=changes.values("telegram_id")))
    # A corrected 收报时间 also changes the month it was in before.
    for old in changes.filter(field="received_at").values_list("old", flat=True):
        try:
            was = datetime.strptime(old, "%Y-%m-%d %H:%M")
        except ValueError:
            continue
        months.add((was.year, was.month))
    return months


def refresh(*, full: bool = False) -> RefreshResult:
    """Recompute what changed since the last run (or everything, `full`) in one transaction: the page reads
    either the old figures or the new ones, never a mix. Two runs at once: the second returns `busy`."""
    started = time.perf_counter()
    skip_locked = connection.features.has_select_for_update_skip_locked
    with transaction.atomic():
        RefreshState.objects.get_or_create(id=1)
        state = RefreshState.objects.select_for_update(skip_locked=skip_locked).filter(id=1).first()
        if state is None:
            return RefreshResult(busy=True)
        marks = _marks()
        full = full or not state.seen
        if full:
            months = _months_of(Telegram.objects.all())
            for model in (DailyReceived, DailyDelivered, UnitPeriod):
                model.objects.all().delete()
        else:
            months = changed_months(state.floor)
        for y, m in sorted(months):
            _rebuild_days(*period_bounds(month_key(y, m)))
        periods = periods_of_months(months)
        for key in periods:
            _rebuild_units(key)
        now = timezone.now()
        # After a full rebuild the next run re-reads the last ids of each log: a row whose transaction was still
        # open while this one read the marks is seen then.
        state.floor = {k: max(0, v - 1000) for k, v in marks.items()} if full else state.seen
        state.seen = marks
        state.refreshed_at = now
        if full:
            state.rebuilt_at = now
        state.seconds = round(time.perf_counter() - started, 3)
        state.save()
    return RefreshResult(months=[month_key(y, m) for y, m in sorted(months)], periods=periods,
                         seconds=state.seconds, full=full)


def _rebuild_days(start: datetime, end: datetime) -> None:
    tz = timezone.get_current_timezone()
    first, after = timezone.localdate(start), timezone.localdate(end)
    DailyReceived.objects.filter(day__gte=first, day__lt=after).delete()
    DailyDelivered.objects.filter(day__gte=first, day__lt=after).delete()
    telegrams = (Telegram.objects.filter(received_at__gte=start, received_at__lt=end).exclude(state=VOID)
                 .annotate(day=TruncDate("received_at", tzinfo=tz), kind_value=kind_expression())
                 .values("day", "sender_unit_name", "precedence", "kind_value")
                 .annotate(n=Count("id"), returned=Count("id", filter=Q(state=TELEGRAM_RETURNED))).order_by())
    DailyReceived.objects.bulk_create([
        DailyReceived(day=r["day"], sender=r["sender_unit_name"], precedence=r["precedence"], kind=r["kind_value"],
                      telegrams=r["n"], returned=r["returned"]) for r in telegrams
    ], batch_size=2000)
    deliveries = (_deliveries(start, end)
                  .annotate(day=TruncDate("telegram__received_at", tzinfo=tz), kind_value=kind_expression_via_telegram())
                  .values("day", "unit_id", "telegram__sender_unit_name", "telegram__precedence", "kind_value")
                  .annotate(n=Count("id"), returned=Count("id", filter=Q(telegram__state=TELEGRAM_RETURNED))).order_by())
    DailyDelivered.objects.bulk_create([
        DailyDelivered(day=r["day"], unit_id=r["unit_id"], sender=r["telegram__sender_unit_name"],
                       precedence=r["telegram__precedence"], kind=r["kind_value"], deliveries=r["n"],
                       returned=r["returned"]) for r in deliveries
    ], batch_size=2000)


def kind_expression_via_telegram():
    return kind_expression("telegram__")


def _deliveries(start: datetime, end: datetime):
    return (Delivery.objects.filter(telegram__received_at__gte=start, telegram__received_at__lt=end)
            .exclude(telegram__state=VOID).exclude(state__in=DELIVERY_EXCLUDED))


# --- a period's unit figures -------------------------------------------------------------------------------

FIGURES = ("deliveries", "signed", "done", "due_done", "on_time", "returned", "transferred",
           "sign_p50", "sign_p90", "done_p50", "done_p90")

_CUBE_SQL = """
SELECT GROUPING(d.unit_id), GROUPING(t.precedence), GROUPING(t.sender_unit_name),
       d.unit_id, t.precedence, t.sender_unit_name,
       COUNT(*), COUNT(d.signed_at), COUNT(d.done_at),
       COUNT(*) FILTER (WHERE d.deadline IS NOT NULL AND d.done_at IS NOT NULL),
       COUNT(*) FILTER (WHERE d.deadline IS NOT NULL AND d.done_at IS NOT NULL
                        AND (d.done_at AT TIME ZONE %(tz)s)::date <= d.deadline),
       COUNT(*) FILTER (WHERE d.state = ANY(%(returned)s)),
       COUNT(*) FILTER (WHERE d.state = ANY(%(transferred)s)),
       percentile_cont(ARRAY[0.5, 0.9]) WITHIN GROUP (ORDER BY EXTRACT(EPOCH FROM d.signed_at - d.delivered_at)::float8),
       percentile_cont(ARRAY[0.5, 0.9]) WITHIN GROUP (ORDER BY EXTRACT(EPOCH FROM d.done_at - d.delivered_at)::float8)
           FILTER (WHERE d.role <> %(read)s)
FROM {delivery} d JOIN {telegram} t ON t.id = d.telegram_id
WHERE t.received_at >= %(start)s AND t.received_at < %(end)s AND t.state <> %(void)s
  AND NOT (d.state = ANY(%(excluded)s))
GROUP BY CUBE (d.unit_id, t.precedence, t.sender_unit_name)
"""

_OPEN_SQL = """
SELECT GROUPING(d.unit_id), GROUPING(t.precedence), GROUPING(t.sender_unit_name),
       d.unit_id, t.precedence, t.sender_unit_name, d.deadline, COUNT(*)
FROM {delivery} d JOIN {telegram} t ON t.id = d.telegram_id
WHERE t.received_at >= %(start)s AND t.received_at < %(end)s AND t.state <> %(void)s
  AND d.state = ANY(%(open)s) AND d.deadline IS NOT NULL
GROUP BY CUBE (d.unit_id, t.precedence, t.sender_unit_name), d.deadline
"""


def _rebuild_units(key: str) -> None:
    UnitPeriod.objects.filter(period=key).delete()
    start, end = period_bounds(key)
    rows = _unit_figures_sql(start, end) if connection.vendor == "postgresql" else unit_figures_python(start, end)
    UnitPeriod.objects.bulk_create([
        UnitPeriod(period=key, unit_id=unit, precedence=precedence, sender=sender, **figures)
        for (unit, precedence, sender), figures in rows.items()
    ], batch_size=2000)


Slice = tuple[int, str, str]  # (unit id or ALL_UNITS, precedence or ALL, sender or ALL)


def _unit_figures_sql(start: datetime, end: datetime) -> dict[Slice, dict]:
    tables = {"delivery": Delivery._meta.db_table, "telegram": Telegram._meta.db_table}
    params = {"tz": timezone.get_current_timezone_name(), "start": start, "end": end, "void": VOID, "read": Role.READ,
              "returned": list(UNIT_RETURNED), "transferred": list(UNIT_TRANSFERRED), "excluded": list(DELIVERY_EXCLUDED),
              "open": list(OPEN)}

    def key(g_unit, g_prec, g_sender, unit, precedence, sender) -> Slice:
        return ALL_UNITS if g_unit else unit, ALL if g_prec else precedence, ALL if g_sender else sender

    out: dict[Slice, dict] = {}
    with connection.cursor() as cur:
        cur.execute(_CUBE_SQL.format(**tables), params)
        for row in cur.fetchall():
            grouping, counts, (sign_q, done_q) = row[:6], row[6:-2], row[-2:]
            sign_q, done_q = sign_q or [None, None], done_q or [None, None]
            out[key(*grouping)] = {**dict(zip(FIGURES, [*counts, *sign_q, *done_q], strict=True)), "open_deadlines": {}}
        cur.execute(_OPEN_SQL.format(**tables), params)
        for *g, deadline, n in cur.fetchall():
            out[key(*g)]["open_deadlines"][deadline.isoformat()] = n
    return out


def percentile(ordered: list[float], p: float) -> float | None:
    """Linear interpolation between closest ranks (percentile_cont, Excel PERCENTILE.INC) of sorted values."""
    if not ordered:
        return None
    pos = p * (len(ordered) - 1)
    lo = int(pos)
    hi = min(lo + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (pos - lo)


def unit_figures_python(start: datetime, end: datetime) -> dict[Slice, dict]:
    """The same figures as the PostgreSQL statement, computed in Python (SQLite; and the tests' cross-check)."""
    counts: dict[Slice, list[int]] = defaultdict(lambda: [0] * 7)
    times: dict[Slice, tuple[list[float], list[float]]] = defaultdict(lambda: ([], []))
    open_deadlines: dict[Slice, dict[str, int]] = defaultdict(dict)
    rows = _deliveries(start, end).values_list(
        "unit_id", "telegram__precedence", "telegram__sender_unit_name", "delivered_at", "signed_at", "done_at",
        "deadline", "role", "state",
    )
    for unit, precedence, sender, delivered, signed, done, deadline, role, state in rows.iterator(chunk_size=5000):
        due = deadline is not None and done is not None
        row = (1, signed is not None, done is not None, due, due and timezone.localdate(done) <= deadline,
               state in UNIT_RETURNED, state in UNIT_TRANSFERRED)
        sign_s = (signed - delivered).total_seconds() if signed and delivered else None
        done_s = (done - delivered).total_seconds() if done and delivered and role != Role.READ else None
        still_open = deadline.isoformat() if state in OPEN and deadline is not None else None
        for key in product((unit, ALL_UNITS), (precedence, ALL), (sender, ALL)):
            if still_open:
                open_deadlines[key][still_open] = open_deadlines[key].get(still_open, 0) + 1
            c = counts[key]
            for i, v in enumerate(row):
                c[i] += v
            if sign_s is not None:
                times[key][0].append(sign_s)
            if done_s is not None:
                times[key][1].append(done_s)
    out: dict[Slice, dict] = {}
    for key, c in counts.items():
        sign, done = (sorted(v) for v in times[key])
        out[key] = dict(zip(FIGURES, [*c, percentile(sign, .5), percentile(sign, .9), percentile(done, .5),
                                      percentile(done, .9)], strict=True))
        out[key]["open_deadlines"] = open_deadlines.get(key, {})
    return out
