"""Handling deadlines and the reminder (催办) cadence: pure functions of dates, the settings and the statutory
calendar. Nothing here reads or writes the database.

Deadlines. Each precedence has a number of days (DEADLINE_DAYS_*: 特提 1, 特急 3, 加急 5, 平急 10), counted from
the day of receipt either in calendar days or in working days (DEADLINE_COUNTING=calendar|working). Working days
are the statutory ones: Monday to Friday, less the public holidays, plus the weekends worked in lieu (调休), from
the `chinese-calendar` package; DEADLINE_EXTRA_HOLIDAYS / DEADLINE_EXTRA_WORKDAYS add days it does not know yet
(the State Council publishes next year's schedule in November, the package follows). 特提 counts on its own
setting, DEADLINE_COUNTING_TETI (calendar by default: a 特提 is handled on arrival, holidays included). An explicit
date in the 批办/批示 always wins. A deadline is a date: the telegram is due by the end of that day.

Reminders. Per precedence a cadence "<before>/<every>[/<max>]" in hours (h) or working days (d):
"2h/2h" = two hours before the end of the deadline day and every two hours once overdue; "1d/1d" = one working
day before, on the day (when it is a working day), then each working day overdue, at REMINDER_TIME. `max` caps
the overdue reminders (none by default). `reminder_steps` lists the steps due by a moment, each with a key that
stays the same on every call, so a reminder pass can send each step once (the key names the deadline: a changed
deadline starts a new series).
"""
from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from typing import Literal, Protocol

import chinese_calendar
from django.conf import settings
from django.utils import timezone

log = logging.getLogger(__name__)

CALENDAR, WORKING = "calendar", "working"
COUNTINGS = (CALENDAR, WORKING)
TETI = "特提"
OPEN_STATES = frozenset({"delivered", "signed"})  # deliveries still to be handled; others get no reminder
PRECEDENCE_BY_RANK = {0: "特提", 1: "特急", 2: "加急", 3: "平急"}


# --- the working calendar ----------------------------------------------------------------------------------

def _parse_days(values: Iterable[str]) -> frozenset[date]:
    """ISO dates or ranges "2027-01-01..2027-01-03" (inclusive)."""
    days: set[date] = set()
    for raw in values:
        text = raw.strip()
        if not text:
            continue
        first, _, last = text.partition("..")
        try:
            start, end = date.fromisoformat(first.strip()), date.fromisoformat((last or first).strip())
        except ValueError:
            raise ValueError(f"日期格式不正确：{text}（应为 2027-01-01 或 2027-01-01..2027-01-03）") from None
        if end < start:
            raise ValueError(f"日期范围颠倒：{text}")
        days.update(start + timedelta(n) for n in range((end - start).days + 1))
    return frozenset(days)


@lru_cache(maxsize=8)
def _overrides(holidays: tuple[str, ...], workdays: tuple[str, ...]) -> tuple[frozenset[date], frozenset[date]]:
    return _parse_days(holidays), _parse_days(workdays)


def overrides() -> tuple[frozenset[date], frozenset[date]]:
    """(extra holidays, extra working days) from the settings; parsed once per distinct value."""
    return _overrides(tuple(getattr(settings, "DEADLINE_EXTRA_HOLIDAYS", ())),
                      tuple(getattr(settings, "DEADLINE_EXTRA_WORKDAYS", ())))


def calendar_years() -> range:
    """The years the installed chinese-calendar knows the statutory holidays of."""
    years = [d.year for d in chinese_calendar.holidays]
    return range(min(years), max(years) + 1)


_warned_years: set[int] = set()


def is_working_day(day: date) -> bool:
    """A statutory working day (调休 weekends included, public holidays excluded). Beyond the package's data:
    Monday to Friday, with a warning once per year (see DEADLINE_EXTRA_*)."""
    extra_holidays, extra_workdays = overrides()
    if day in extra_workdays:
        return True
    if day in extra_holidays:
        return False
    try:
        return chinese_calendar.is_workday(day)
    except NotImplementedError:
        if day.year not in _warned_years:
            _warned_years.add(day.year)
            log.warning("chinese-calendar has no holidays for %s: counting Monday to Friday as working days "
                        "(update the package or set DEADLINE_EXTRA_HOLIDAYS/DEADLINE_EXTRA_WORKDAYS)", day.year)
        return day.weekday() < 5


def add_working_days(start: date, n: int) -> date:
    """The n-th working day after `start` (`start` itself not counted; n = 0 gives `start`)."""
    day = start
    while n > 0:
        day += timedelta(days=1)
        if is_working_day(day):
            n -= 1
    return day


def subtract_working_days(start: date, n: int) -> date:
    """The n-th working day before `start` (`start` itself not counted; n = 0 gives `start`)."""
    day = start
    while n > 0:
        day -= timedelta(days=1)
        if is_working_day(day):
            n -= 1
    return day


def working_days_between(first: date, last: date) -> int:
    """Working days in (first, last]: 0 when last <= first."""
    count, day = 0, first
    while day < last:
        day += timedelta(days=1)
        count += is_working_day(day)
    return count


# --- deadlines ---------------------------------------------------------------------------------------------

def counting_for(precedence: str) -> str:
    value = settings.DEADLINE_COUNTING_TETI if precedence == TETI else settings.DEADLINE_COUNTING
    if value not in COUNTINGS:
        raise ValueError(f"DEADLINE_COUNTING must be calendar or working, not {value!r}")
    return value


def due_date(received_on: date, precedence: str, *, explicit: date | None = None, counting: str | None = None) -> date:
    """The handling deadline of a telegram of `precedence` received on `received_on`; `explicit` (a date written
    in the 批办/批示) wins. `counting` overrides the setting (calendar or working)."""
    if explicit is not None:
        return explicit
    days = settings.DEADLINE_DAYS.get(precedence, 10)
    counting = counting or counting_for(precedence)
    if counting == WORKING:
        return add_working_days(received_on, days)
    return received_on + timedelta(days=days)


def due_at(deadline: date) -> datetime:
    """The moment a deadline passes: the end of its day (local midnight after it)."""
    return timezone.make_aware(datetime.combine(deadline + timedelta(days=1), time.min))


def days_overdue(deadline: date | None, today: date, *, counting: str = CALENDAR) -> int:
    """How many days past its deadline a telegram is on `today` (0 when not overdue): calendar days, or
    working days (a holiday after the deadline does not add to it)."""
    if deadline is None or today <= deadline:
        return 0
    return working_days_between(deadline, today) if counting == WORKING else (today - deadline).days


# --- reminder cadence --------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Cadence:
    unit: Literal["hours", "days"]  # days are working days
    before: int  # remind this long before the deadline passes (0: no early reminder)
    every: int  # then once overdue, every this long
    max_overdue: int = 0  # at most this many overdue reminders (0: no limit)


_CADENCE_RE = re.compile(r"^\s*(\d+)\s*([hd])\s*/\s*(\d+)\s*([hd])\s*(?:/\s*(\d+)\s*)?$")


def parse_cadence(text: str) -> Cadence:
    """"2h/2h", "1d/1d", "1d/2d/5" → Cadence. Both parts in the same unit; the overdue interval at least 1."""
    m = _CADENCE_RE.match(text or "")
    if not m:
        raise ValueError(f"催办节奏格式不正确：{text!r}（应如 2h/2h 或 1d/1d，可加 /最多次数）")
    before, unit, every, unit2, most = m.groups()
    if unit != unit2:
        raise ValueError(f"催办节奏的两部分单位须一致：{text!r}")
    if int(every) < 1:
        raise ValueError(f"催办节奏的逾期间隔至少为1：{text!r}")
    return Cadence("hours" if unit == "h" else "days", int(before), int(every), int(most or 0))


def cadence_for(precedence: str) -> Cadence:
    return parse_cadence(settings.REMINDER_CADENCE.get(precedence) or settings.REMINDER_CADENCE["平急"])


def reminder_time() -> time:
    return time.fromisoformat(settings.REMINDER_TIME)


class DeliveryLike(Protocol):
    """What `reminder_steps` reads: a Delivery, or anything with these attributes. The precedence comes from
    `precedence`, else `telegram.precedence`, else `precedence_rank`."""

    deadline: date | None
    state: str
    delivered_at: datetime | None


@dataclass(frozen=True)
class Step:
    key: str  # stable: "2025-10-09:before", "2025-10-09:due", "2025-10-09:overdue-3"
    kind: Literal["before", "due", "overdue"]
    at: datetime  # when the step falls due (aware)
    overdue: int = 0  # k for the k-th overdue reminder, 0 before


def precedence_of(delivery) -> str:
    value = getattr(delivery, "precedence", None)
    if value:
        return value
    telegram = getattr(delivery, "telegram", None)
    if telegram is not None and getattr(telegram, "precedence", None):
        return telegram.precedence
    return PRECEDENCE_BY_RANK.get(getattr(delivery, "precedence_rank", 3), "平急")


def _schedule(deadline: date, cadence: Cadence, until: datetime):
    """Every step of the series up to `until`, in order."""
    prefix = deadline.isoformat()
    if cadence.unit == "hours":
        due = due_at(deadline)
        if cadence.before:
            yield Step(f"{prefix}:before", "before", due - timedelta(hours=cadence.before))
        k, at = 1, due + timedelta(hours=cadence.every)
        while at <= until and (not cadence.max_overdue or k <= cadence.max_overdue):
            yield Step(f"{prefix}:overdue-{k}", "overdue", at, k)
            k, at = k + 1, at + timedelta(hours=cadence.every)
        return
    at_time = reminder_time()

    def moment(day: date) -> datetime:
        return timezone.make_aware(datetime.combine(day, at_time))

    if cadence.before:
        yield Step(f"{prefix}:before", "before", moment(subtract_working_days(deadline, cadence.before)))
    if is_working_day(deadline):
        yield Step(f"{prefix}:due", "due", moment(deadline))
    k, day = 1, add_working_days(deadline, cadence.every)
    while moment(day) <= until and (not cadence.max_overdue or k <= cadence.max_overdue):
        yield Step(f"{prefix}:overdue-{k}", "overdue", moment(day), k)
        k, day = k + 1, add_working_days(day, cadence.every)


def reminder_steps(delivery: DeliveryLike, now: datetime, *, cadence: Cadence | None = None) -> list[Step]:
    """The reminder steps of an open delivery that have fallen due by `now`, oldest first. None for a delivery
    that is handled (done, read), has no deadline (阅知), or whose steps all lie ahead. Of the steps that fell
    before the delivery reached the unit only the newest is kept: a telegram routed late is not reminded of each
    step it missed, but an arrival that is already overdue is chased once, at once (and a pass run as of a moment
    before the arrival, `remind_overdue --at`, still sees where the delivery stood)."""
    if delivery.state not in OPEN_STATES or delivery.deadline is None:
        return []
    cadence = cadence or cadence_for(precedence_of(delivery))
    due = [s for s in _schedule(delivery.deadline, cadence, now) if s.at <= now]
    arrived = getattr(delivery, "delivered_at", None)
    if arrived is None:
        return due
    missed = [s for s in due if s.at < arrived]
    return missed[-1:] + [s for s in due if s.at >= arrived]


def next_step(delivery: DeliveryLike, now: datetime, *, cadence: Cadence | None = None) -> Step | None:
    """The first step still ahead of `now` (for showing "下次催办"), or None."""
    if delivery.state not in OPEN_STATES or delivery.deadline is None:
        return None
    cadence = cadence or cadence_for(precedence_of(delivery))
    horizon = now + timedelta(days=400)  # far enough for any cadence; the series is lazy
    for step in _schedule(delivery.deadline, cadence, horizon):
        if step.at > now:
            return step
    return None
