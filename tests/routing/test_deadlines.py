"""Deadlines and the 催办 cadence across statutory holidays: 国庆 2025 (10-01..10-08 off, Sunday 09-28 and
Saturday 10-11 worked) and 春节 2026 (02-15..02-23 off, Saturdays 02-14 and 02-28 worked). Pure functions: no
database."""
from __future__ import annotations

from datetime import date, datetime, timedelta
from types import SimpleNamespace

import pytest
from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st

from routing import deadlines
from routing.checks import deadline_settings
from routing.deadlines import Cadence, due_date, parse_cadence, reminder_steps


def local(*args) -> datetime:
    return timezone.make_aware(datetime(*args))


def delivery(deadline: date | None, *, precedence="平急", state="signed", delivered_at=None):
    return SimpleNamespace(deadline=deadline, precedence=precedence, state=state,
                           delivered_at=delivered_at or local(2025, 9, 1, 8, 0))


@pytest.fixture
def working(settings):
    settings.DEADLINE_COUNTING = "working"
    return settings


def test_the_statutory_calendar_knows_the_national_day_holiday_and_its_worked_weekends():
    days = {date(2025, 9, 27): False, date(2025, 9, 28): True, date(2025, 9, 30): True, date(2025, 10, 1): False,
            date(2025, 10, 6): False, date(2025, 10, 8): False, date(2025, 10, 9): True, date(2025, 10, 11): True,
            date(2025, 10, 12): False}
    assert {d: deadlines.is_working_day(d) for d in days} == days


def test_a_pingji_telegram_received_before_national_day_is_due_ten_working_days_later(working):
    # Fri 09-26 → Sun 09-28 (调休) 1, 09-29 2, 09-30 3, [10-01..10-08 off], 10-09 4, 10-10 5, Sat 10-11 6, 10-13 7 … 10-16 10
    assert due_date(date(2025, 9, 26), "平急") == date(2025, 10, 16)
    assert due_date(date(2025, 9, 26), "平急", counting="calendar") == date(2025, 10, 6)


def test_a_teji_deadline_may_fall_on_a_worked_saturday(working):
    assert due_date(date(2025, 9, 30), "特急") == date(2025, 10, 11)  # 10-09, 10-10, Sat 10-11 (调休)


def test_spring_festival_2026_stretches_a_jiaji_deadline(working):
    # Thu 02-12 → 02-13 1, Sat 02-14 (调休) 2, [02-15..02-23 off], 02-24 3, 02-25 4, 02-26 5
    assert due_date(date(2026, 2, 12), "加急") == date(2026, 2, 26)
    assert due_date(date(2026, 2, 12), "加急", counting="calendar") == date(2026, 2, 17)  # in the middle of 春节


def test_a_telegram_received_on_a_holiday_counts_from_the_next_working_day(working):
    assert due_date(date(2026, 2, 17), "特急") == date(2026, 2, 26)  # 02-24, 02-25, 02-26


def test_teti_counts_calendar_days_unless_told_otherwise(working):
    assert due_date(date(2025, 9, 30), "特提") == date(2025, 10, 1)  # handled on arrival, holidays included
    working.DEADLINE_COUNTING_TETI = "working"
    assert due_date(date(2025, 9, 30), "特提") == date(2025, 10, 9)


def test_an_explicit_date_in_the_instruction_wins_even_on_a_holiday(working):
    assert due_date(date(2025, 9, 26), "平急", explicit=date(2025, 10, 3)) == date(2025, 10, 3)


def test_calendar_counting_is_the_default_and_follows_deadline_days(settings):
    assert settings.DEADLINE_COUNTING == "calendar"
    settings.DEADLINE_DAYS = {**settings.DEADLINE_DAYS, "平急": 7}
    assert due_date(date(2025, 9, 26), "平急") == date(2025, 10, 3)


def test_beyond_the_packages_data_weekdays_count_and_the_office_can_add_next_years_holidays(working):
    assert 2027 not in deadlines.calendar_years()
    # Thu 2026-12-31: Fri 2027-01-01, Mon 01-04, Tue 01-05 (Monday to Friday, with a warning)
    assert due_date(date(2026, 12, 31), "特急") == date(2027, 1, 5)
    working.DEADLINE_EXTRA_HOLIDAYS = ["2027-01-01"]
    working.DEADLINE_EXTRA_WORKDAYS = ["2027-01-09..2027-01-09"]
    assert due_date(date(2026, 12, 31), "特急") == date(2027, 1, 6)
    assert deadlines.is_working_day(date(2027, 1, 9))  # a Saturday worked in lieu


def test_days_overdue_in_working_days_skip_the_holiday():
    assert deadlines.days_overdue(date(2025, 9, 30), date(2025, 10, 9), counting="working") == 1
    assert deadlines.days_overdue(date(2025, 9, 30), date(2025, 10, 9)) == 9
    assert deadlines.days_overdue(date(2025, 9, 30), date(2025, 9, 30)) == 0
    assert deadlines.days_overdue(None, date(2025, 9, 30)) == 0


@pytest.mark.parametrize("text, cadence", [
    ("2h/2h", Cadence("hours", 2, 2)), ("1d/1d", Cadence("days", 1, 1)), (" 0d / 2d / 5 ", Cadence("days", 0, 2, 5)),
])
def test_cadences_parse(text, cadence):
    assert parse_cadence(text) == cadence


@pytest.mark.parametrize("text", ["", "2h", "2h/1d", "1d/0d", "each day", "1w/1w"])
def test_a_bad_cadence_says_what_is_wrong(text):
    with pytest.raises(ValueError, match="催办节奏"):
        parse_cadence(text)


def test_day_cadence_around_national_day_reminds_the_working_day_before_on_the_day_then_each_working_day():
    d = delivery(date(2025, 10, 9))  # a Thursday, right after the holiday
    steps = reminder_steps(d, local(2025, 10, 13, 10, 0))
    assert [(s.key, s.at) for s in steps] == [
        ("2025-10-09:before", local(2025, 9, 30, 9, 0)),  # the last working day before the holiday
        ("2025-10-09:due", local(2025, 10, 9, 9, 0)),
        ("2025-10-09:overdue-1", local(2025, 10, 10, 9, 0)),
        ("2025-10-09:overdue-2", local(2025, 10, 11, 9, 0)),  # Saturday worked in lieu
        ("2025-10-09:overdue-3", local(2025, 10, 13, 9, 0)),  # not Sunday 10-12
    ]
    assert [s.overdue for s in steps] == [0, 0, 1, 2, 3]
    assert [s.key for s in reminder_steps(d, local(2025, 10, 8, 23, 0))] == ["2025-10-09:before"]
    assert reminder_steps(d, local(2025, 9, 30, 8, 59)) == []


def test_teti_is_chased_by_the_hour_through_a_holiday_night():
    d = delivery(date(2026, 2, 16), precedence="特提", delivered_at=local(2026, 2, 15, 21, 36))
    steps = reminder_steps(d, local(2026, 2, 17, 4, 30))
    assert [(s.key, s.at) for s in steps] == [
        ("2026-02-16:before", local(2026, 2, 16, 22, 0)),  # two hours before the day ends
        ("2026-02-16:overdue-1", local(2026, 2, 17, 2, 0)),
        ("2026-02-16:overdue-2", local(2026, 2, 17, 4, 0)),
    ]


def test_the_precedence_comes_from_the_telegram_or_the_rank_when_the_delivery_has_none():
    via_telegram = SimpleNamespace(deadline=date(2026, 2, 16), state="delivered", delivered_at=None,
                                   telegram=SimpleNamespace(precedence="特提"))
    via_rank = SimpleNamespace(deadline=date(2026, 2, 16), state="delivered", delivered_at=None, precedence_rank=0)
    for d in (via_telegram, via_rank):
        assert [s.key for s in reminder_steps(d, local(2026, 2, 16, 23, 0))] == ["2026-02-16:before"]


def test_a_deadline_on_a_sunday_has_no_on_the_day_reminder():
    steps = reminder_steps(delivery(date(2025, 10, 12)), local(2025, 10, 13, 9, 0))  # calendar deadline, a Sunday
    assert [s.key for s in steps] == ["2025-10-12:before", "2025-10-12:overdue-1"]
    assert steps[0].at == local(2025, 10, 11, 9, 0)  # the Saturday worked in lieu is the working day before


def test_handled_and_read_only_deliveries_get_no_reminders():
    now = local(2025, 10, 20, 9, 0)
    assert reminder_steps(delivery(date(2025, 10, 9), state="done"), now) == []
    assert reminder_steps(delivery(date(2025, 10, 9), state="read"), now) == []
    assert reminder_steps(delivery(None), now) == []
    assert deadlines.next_step(delivery(None), now) is None


def test_a_telegram_routed_after_its_deadline_is_reminded_once_of_the_steps_it_missed():
    d = delivery(date(2025, 10, 9), delivered_at=local(2025, 10, 10, 15, 0))
    assert [s.key for s in reminder_steps(d, local(2025, 10, 13, 9, 0))] == [
        "2025-10-09:overdue-1", "2025-10-09:overdue-2", "2025-10-09:overdue-3"]
    # Routed already overdue: chased at the first pass, not at the next step of the cadence.
    assert [s.key for s in reminder_steps(d, local(2025, 10, 10, 15, 5))] == ["2025-10-09:overdue-1"]


def test_a_changed_deadline_starts_a_new_series_of_keys():
    now = local(2025, 10, 10, 9, 0)
    first = {s.key for s in reminder_steps(delivery(date(2025, 10, 9)), now)}
    moved = {s.key for s in reminder_steps(delivery(date(2025, 10, 10)), now)}
    assert first.isdisjoint(moved)
    assert moved == {"2025-10-10:before", "2025-10-10:due"}


def test_the_overdue_reminders_stop_at_the_configured_maximum(settings):
    settings.REMINDER_CADENCE = {**settings.REMINDER_CADENCE, "平急": "1d/1d/2"}
    steps = reminder_steps(delivery(date(2025, 10, 9)), local(2025, 10, 31, 9, 0))
    assert [s.key for s in steps][-1] == "2025-10-09:overdue-2" and len(steps) == 4
    assert deadlines.next_step(delivery(date(2025, 10, 9)), local(2025, 10, 31, 9, 0)) is None


def test_the_next_step_is_the_first_one_ahead():
    step = deadlines.next_step(delivery(date(2025, 10, 9)), local(2025, 9, 30, 9, 0))
    assert step.key == "2025-10-09:due" and step.at == local(2025, 10, 9, 9, 0)


def test_reminder_time_is_a_setting(settings):
    settings.REMINDER_TIME = "08:30"
    assert reminder_steps(delivery(date(2025, 10, 9)), local(2025, 10, 9, 8, 30))[-1].at == local(2025, 10, 9, 8, 30)


@given(
    deadline=st.dates(min_value=date(2025, 1, 1), max_value=date(2026, 12, 1)),
    precedence=st.sampled_from(["特提", "特急", "加急", "平急"]),
    hours=st.lists(st.integers(min_value=0, max_value=24 * 40), min_size=2, max_size=4),
)
def test_steps_only_ever_grow_and_keep_their_keys(deadline, precedence, hours):
    """Whenever a pass runs, what it saw before is still there, unchanged, in the same order: a pass can claim
    each step by its key once."""
    start = timezone.make_aware(datetime.combine(deadline, datetime.min.time())) - timedelta(days=5)
    d = delivery(deadline, precedence=precedence, delivered_at=start)
    seen: list = []
    for h in sorted(hours):
        steps = reminder_steps(d, start + timedelta(hours=h))
        assert steps[: len(seen)] == seen
        assert len({s.key for s in steps}) == len(steps)
        assert all(a.at <= b.at for a, b in zip(steps, steps[1:], strict=False))
        seen = steps


def test_settings_checks_name_a_bad_cadence_and_a_year_without_holiday_data(settings, monkeypatch):
    assert deadline_settings() == []
    settings.REMINDER_CADENCE = {**settings.REMINDER_CADENCE, "特急": "daily"}
    settings.REMINDER_TIME = "9 点"
    assert {m.id for m in deadline_settings()} == {"routing.E001", "routing.E002"}
    settings.REMINDER_CADENCE = {**settings.REMINDER_CADENCE, "特急": "1d/1d"}
    settings.REMINDER_TIME = "09:00"
    settings.DEADLINE_COUNTING = "working"
    monkeypatch.setattr(timezone, "localdate", lambda *a, **k: date(2031, 3, 1))
    warning, = deadline_settings()
    assert warning.id == "routing.W001" and "2031" in warning.msg
    settings.DEADLINE_EXTRA_HOLIDAYS = ["2031-13-01"]
    assert "routing.E003" in {m.id for m in deadline_settings()}
