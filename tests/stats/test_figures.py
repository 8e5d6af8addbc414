"""Statistics against the hand-counted register of tests/stats/helpers.py (its docstring has the table)."""
from __future__ import annotations

from datetime import date

import pytest
from django.db import connection

from stats import summary
from stats.models import DailyReceived, UnitPeriod
from stats.report import Filters, build
from tests.stats.helpers import CZ, GUOBAN, MZ, QUANZONG, ZGH, clock, desk, local, sign

pytestmark = pytest.mark.django_db

TODAY = date(2025, 10, 20)
H = 3600.0


@pytest.fixture
def register(clerk, staff_cz):
    telegrams = desk(clerk, staff_cz)
    summary.refresh(full=True)
    return telegrams


def units(report) -> dict:
    return {u.name: u for u in report.units}


def test_september_received_counts_by_precedence_and_sender(register):
    r = build(Filters("2025-09"), today=TODAY)
    assert r.total == 4  # T1, T2, T3, T5 — the voided T6 does not count
    assert r.by_precedence == {"特提": 1, "特急": 1, "加急": 1, "平急": 1}
    assert r.by_kind == {"办件": 4, "阅件": 0}
    assert [(s, p, n) for s, p, n in r.senders] == [
        (GUOBAN, {"特急": 1, "平急": 1, "加急": 1}, 3), (QUANZONG, {"特提": 1}, 1)]
    assert r.returned == 0


def test_september_per_unit_times_and_on_time_rate(register):
    r = build(Filters("2025-09"), today=TODAY)
    cz, mz, zgh = units(r)[CZ], units(r)[MZ], units(r)[ZGH]
    assert [u.name for u in r.units] == [CZ, ZGH, MZ]  # most deliveries first, then by name (code point)
    assert (cz.deliveries, cz.signed, cz.done, cz.due_done, cz.on_time, cz.overdue_now) == (2, 2, 2, 2, 2, 0)
    assert cz.sign_p50 == pytest.approx(2.25 * H)  # between 0.5 h and 4 h
    assert cz.sign_p90 == pytest.approx(3.65 * H)  # 0.5 + 0.9 × 3.5
    assert (cz.done_p50, cz.done_p90) == (pytest.approx(48 * H), pytest.approx(48 * H))
    assert cz.on_time_rate == 1.0
    assert (mz.on_time, mz.due_done, mz.on_time_rate, mz.done_p50) == (0, 1, 0.0, pytest.approx(96 * H))
    assert (zgh.signed, zgh.done, zgh.overdue_now, zgh.sign_p50, zgh.done_p50) == (1, 0, 1, pytest.approx(360), None)
    assert zgh.on_time_rate == 0.0  # nothing finished, one overdue


def test_september_all_units_together(register):
    o = build(Filters("2025-09"), today=TODAY).overall
    assert (o.deliveries, o.signed, o.done, o.due_done, o.on_time, o.overdue_now) == (4, 4, 3, 3, 2, 1)
    assert o.sign_p50 == pytest.approx(4500)  # sign times 360, 1800, 7200, 14400 s
    assert o.sign_p90 == pytest.approx(12240)  # 7200 + 0.7 × 7200
    assert o.done_p50 == pytest.approx(48 * H)  # done times 48, 48, 96 h
    assert o.done_p90 == pytest.approx(86.4 * H)  # 48 + 0.8 × 48
    assert o.on_time_rate == 0.5  # 2 on time of (3 finished + 1 overdue)


def test_the_year_quarter_and_months_add_up(register):
    year = build(Filters("2025"), today=TODAY)
    assert year.total == 6 and year.by_precedence == {"特提": 1, "特急": 1, "加急": 1, "平急": 3}
    assert [(label, sum(v.values())) for label, v in year.series if v] == [("1月", 1), ("9月", 4), ("10月", 1)]
    cz = units(year)[CZ]
    assert (cz.deliveries, cz.signed, cz.done, cz.overdue_now) == (3, 2, 2, 0)  # T4's deadline 10-25 is still ahead
    assert build(Filters("2025-Q3"), today=TODAY).total == 4
    q4 = build(Filters("2025-Q4"), today=TODAY)
    assert (q4.total, units(q4)[CZ].deliveries, units(q4)[CZ].signed) == (1, 1, 0)
    assert build(Filters("2025-Q4"), today=date(2025, 10, 26)).overall.overdue_now == 1  # the day after T4's deadline


def test_a_month_is_its_local_days(register):
    """T7 at 23:30 on New Year's Eve is December 2024; T8 ten minutes after midnight is January 2025."""
    assert build(Filters("2024-12"), today=TODAY).total == 1
    assert build(Filters("2025-01"), today=TODAY).total == 1
    assert DailyReceived.objects.filter(day=date(2025, 1, 1)).get().telegrams == 1


def test_filters_by_precedence_sender_and_unit(register):
    pingji = build(Filters("2025", precedence="平急"), today=TODAY)
    assert pingji.total == 3
    assert (units(pingji)[CZ].deliveries, units(pingji)[CZ].signed, units(pingji)[CZ].sign_p50) == (2, 1, pytest.approx(4 * H))
    quanzong = build(Filters("2025", sender=QUANZONG), today=TODAY)
    assert quanzong.total == 2 and {u.name: u.deliveries for u in quanzong.units} == {CZ: 1, ZGH: 1}
    cz_id = units(quanzong)[CZ].unit_id
    mine = build(Filters("2025-09", unit_id=cz_id), today=TODAY)
    assert mine.total == 2 and mine.by_precedence == {"特提": 0, "特急": 1, "加急": 0, "平急": 1}  # delivered to 财政厅
    assert [u.name for u in mine.units] == [CZ] and mine.overall.name == CZ and mine.overall.deliveries == 2
    both = build(Filters("2025", precedence="平急", sender=QUANZONG), today=TODAY)
    assert both.total == 1 and {u.name: u.deliveries for u in both.units} == {CZ: 1}


def test_daily_series_of_a_month_and_weekly_of_a_quarter(register):
    september = build(Filters("2025-09"), today=TODAY).series
    assert len(september) == 30
    assert {label: v for label, v in september if v} == {"9/1": {"特急": 1}, "9/10": {"平急": 1}, "9/20": {"特提": 1},
                                                       "9/25": {"加急": 1}}
    quarter = build(Filters("2025-Q3"), today=TODAY).series
    assert quarter[0][0] == "6/30"  # weeks start on Monday
    assert sum(sum(v.values()) for _, v in quarter) == 4


def test_an_empty_period_has_zeros_and_no_percentiles(register):
    r = build(Filters("2025-03"), today=TODAY)
    assert (r.total, r.units, r.overall.deliveries, r.overall.sign_p50, r.overall.on_time_rate) == (0, [], 0, None, None)


def test_the_incremental_refresh_recomputes_only_the_months_that_changed(register, staff_cz):
    summary.refresh()  # each run re-reads the logs from the run before it (a late commit is not missed)
    sign(register["T4"], CZ, local(2025, 10, 16, 8, 0), staff_cz)  # 24 h after delivery
    result = summary.refresh()
    assert (result.full, result.months) == (False, ["2025-10"])
    assert result.periods == ["2025", "2025-10", "2025-Q4"]
    assert units(build(Filters("2025-10"), today=TODAY))[CZ].sign_p50 == pytest.approx(24 * H)
    assert units(build(Filters("2025"), today=TODAY))[CZ].signed == 3
    assert summary.refresh().months == ["2025-10"]  # read once more (the overlap) ...
    assert summary.refresh().months == []  # ... then nothing new: nothing recomputed


def test_a_void_and_a_corrected_receipt_time_move_the_figures(register, clerk):
    from telegrams import actions

    summary.refresh()
    summary.refresh()
    with clock(local(2025, 10, 20, 9, 0)):
        actions.void(register["T2"], actor=clerk, reason="误登记")
        actions.correct(register["T5"], {"received_at": local(2025, 8, 30, 16, 0)}, actor=clerk, reason="收报时间填错")
    result = summary.refresh()
    assert result.months == ["2025-08", "2025-09"]
    r = build(Filters("2025-09"), today=TODAY)
    assert r.total == 2 and r.by_precedence == {"特提": 1, "特急": 1, "加急": 0, "平急": 0}
    assert units(r)[CZ].deliveries == 1
    assert build(Filters("2025-08"), today=TODAY).by_precedence["加急"] == 1


def test_the_full_rebuild_and_the_incremental_agree(register, staff_cz):
    sign(register["T4"], CZ, local(2025, 10, 16, 8, 0), staff_cz)
    summary.refresh()

    def snapshot():
        return sorted((r.period, r.precedence, r.sender, r.unit_id, r.deliveries, r.signed, r.done, r.on_time,
                       r.sign_p50, r.done_p90) for r in UnitPeriod.objects.all())

    incremental = snapshot()
    summary.refresh(full=True)
    assert snapshot() == incremental


@pytest.mark.postgres
@pytest.mark.skipif(connection.vendor != "postgresql", reason="the SQL path runs on PostgreSQL only")
def test_postgresql_and_python_compute_the_same_figures(register):
    start, end = summary.period_bounds("2025")
    sql, python = summary._unit_figures_sql(start, end), summary.unit_figures_python(start, end)
    assert sql.keys() == python.keys()
    for key in sql:
        assert sql[key].pop("open_deadlines") == python[key].pop("open_deadlines"), key
        assert sql[key] == pytest.approx(python[key]), key
    assert sql[(0, "", "")]  # something was compared
