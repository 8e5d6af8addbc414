"""催办 as a unit lives it across 国庆 2026 (10-01..10-07 off, Saturday 10-10 worked): a 特急 telegram received on
Monday 09-28, counted in working days, is due 10-08; it is reminded the working day before, on the day, then each
working day overdue, the holiday skipped; after three overdue reminders the clerks and leaders hear of it. Each
step is sent once, whatever runs the pass again. The command's output is the contract of DESIGN.md."""
from __future__ import annotations

import json
from datetime import date, datetime
from io import StringIO

import pytest
from django.core import mail
from django.core.management import CommandError, call_command
from django.utils import timezone

from audit.models import AuditEntry
from core.errors import InvalidInput, NotAllowed
from notifications.models import Alert, AlertKind
from reminders import actions
from reminders.models import ReminderRecord
from routing import actions as routing_actions
from tests import factories

pytestmark = pytest.mark.django_db


def local(*args) -> datetime:
    return timezone.make_aware(datetime(*args))


@pytest.fixture
def working(settings):
    settings.DEADLINE_COUNTING = "working"
    settings.REMINDER_ESCALATE_AFTER = 3
    return settings


@pytest.fixture
def teji(working, clerk):
    """特急, received Monday 2026-09-28 09:00, routed to 自治区总工会 at 09:30."""
    t = factories.register(clerk, precedence="特急", received_at=local(2026, 9, 28, 9, 0))
    factories.route_pending(t)
    factories.arrived(t, local(2026, 9, 28, 9, 30))
    return t


def remind(at: str, capture) -> list[str]:
    out = StringIO()
    with capture(execute=True):
        call_command("remind_overdue", "--at", at, stdout=out)
    return out.getvalue().splitlines()


def test_the_deadline_counts_working_days_across_national_day(teji):
    assert list(teji.deliveries.values_list("deadline", flat=True)) == [date(2026, 10, 8)]  # 09-29, 09-30, 10-08


def test_reminders_follow_working_days_across_the_holiday_and_escalate_after_three(
        teji, staff_zgh, clerk, leader, django_capture_on_commit_callbacks):
    no = teji.receipt_no
    assert remind("2026-09-29T09:00", django_capture_on_commit_callbacks) == []  # two working days ahead
    assert remind("2026-09-30T09:00", django_capture_on_commit_callbacks) == [f"{no}\t自治区总工会\tbefore"]
    assert remind("2026-10-03T09:00", django_capture_on_commit_callbacks) == []  # 国庆: nothing new
    assert remind("2026-10-08T09:00", django_capture_on_commit_callbacks) == [f"{no}\t自治区总工会\tdue"]
    assert remind("2026-10-09T09:00", django_capture_on_commit_callbacks) == [f"{no}\t自治区总工会\toverdue"]
    assert remind("2026-10-10T09:00", django_capture_on_commit_callbacks) == [f"{no}\t自治区总工会\toverdue"]  # 调休
    assert remind("2026-10-11T09:00", django_capture_on_commit_callbacks) == []  # Sunday
    assert remind("2026-10-12T09:00", django_capture_on_commit_callbacks) == [
        f"{no}\t自治区总工会\toverdue", f"{no}\t自治区总工会\tescalation"]
    assert remind("2026-10-12T09:00", django_capture_on_commit_callbacks) == []  # the same moment again

    records = list(ReminderRecord.objects.order_by("id").values_list("step_key", "kind", "overdue_days"))
    assert records == [
        ("2026-10-08:before", "before", 0), ("2026-10-08:due", "due", 0), ("2026-10-08:overdue-1", "overdue", 1),
        ("2026-10-08:overdue-2", "overdue", 2), ("2026-10-08:overdue-3", "overdue", 3),
        ("2026-10-08:escalation", "escalation", 3),
    ]
    unit_alerts = Alert.objects.filter(user=staff_zgh, kind=AlertKind.REMINDER).order_by("id")
    assert [a.text.split("：")[0] for a in unit_alerts] == ["催办提醒", "催办提醒", "逾期催办", "逾期催办", "逾期催办"]
    assert "已逾期3天" in unit_alerts.last().text and "2026-10-08" in unit_alerts.last().text
    escalated = Alert.objects.filter(kind=AlertKind.REMINDER, text__startswith="逾期上报")
    assert {a.user_id for a in escalated} >= {clerk.pk, leader.pk} and staff_zgh.pk not in {a.user_id for a in escalated}
    assert not ReminderRecord.objects.filter(sent_at__isnull=True).exists()
    assert AuditEntry.objects.filter(action="reminders.sent").count() == 6


def test_a_pass_after_a_pause_sends_only_the_newest_step(teji, django_capture_on_commit_callbacks):
    assert remind("2026-10-10T10:00", django_capture_on_commit_callbacks) == [f"{teji.receipt_no}\t自治区总工会\toverdue"]
    assert list(ReminderRecord.objects.values_list("step_key", flat=True)) == ["2026-10-08:overdue-2"]


def test_a_finished_delivery_is_not_reminded(teji, staff_zgh, django_capture_on_commit_callbacks):
    factories.sign_and_finish(teji, staff_zgh)
    assert remind("2026-10-09T09:00", django_capture_on_commit_callbacks) == []


def test_a_claim_a_crashed_worker_left_unsent_is_sent_by_a_later_pass(
        teji, staff_zgh, settings, django_capture_on_commit_callbacks):
    settings.REMINDER_RETRY_SECONDS = 600
    with django_capture_on_commit_callbacks(execute=False):  # the process dies before its after-commit work
        sent = actions.run_pass(local(2026, 10, 9, 9, 0))
    assert [s.kind for s in sent] == ["overdue"]
    assert ReminderRecord.objects.get().sent_at is None and not Alert.objects.filter(kind=AlertKind.REMINDER).exists()
    assert remind("2026-10-09T09:05", django_capture_on_commit_callbacks) == []  # too soon: it may still be sending
    assert remind("2026-10-09T09:11", django_capture_on_commit_callbacks) == [f"{teji.receipt_no}\t自治区总工会\toverdue"]
    assert ReminderRecord.objects.get().sent_at is not None
    assert Alert.objects.filter(user=staff_zgh, kind=AlertKind.REMINDER).count() == 1
    assert remind("2026-10-09T09:30", django_capture_on_commit_callbacks) == []


def test_a_changed_deadline_starts_a_new_series(teji, clerk, staff_zgh, django_capture_on_commit_callbacks):
    remind("2026-10-09T09:00", django_capture_on_commit_callbacks)
    d = factories.delivery_of(teji, staff_zgh)
    with django_capture_on_commit_callbacks(execute=True):
        routing_actions.change_deadline(d, deadline=date(2026, 10, 16), reason="该单位申请延期一周，主任同意。", actor=clerk)
    d.refresh_from_db()
    assert d.deadline == date(2026, 10, 16)
    assert d.events.last().note == "自治区总工会办结期限由2026-10-08改为2026-10-16：该单位申请延期一周，主任同意。"
    entry = json.loads(AuditEntry.objects.get(action="routing.deadline_changed").data)
    assert entry["from"] == "2026-10-08" and entry["to"] == "2026-10-16"
    assert Alert.objects.filter(user=staff_zgh, text__contains="办结期限已改为2026-10-16").exists()
    assert remind("2026-10-12T09:00", django_capture_on_commit_callbacks) == []  # no longer overdue
    assert remind("2026-10-15T09:00", django_capture_on_commit_callbacks) == [f"{teji.receipt_no}\t自治区总工会\tbefore"]


def test_only_the_clerk_changes_a_deadline_and_only_with_a_reason(teji, clerk, staff_zgh, leader):
    d = factories.delivery_of(teji, staff_zgh)
    with pytest.raises(InvalidInput, match="请填写修改原因"):
        routing_actions.change_deadline(d, deadline=date(2026, 10, 16), reason=" ", actor=clerk)
    with pytest.raises(InvalidInput, match="与原期限相同"):
        routing_actions.change_deadline(d, deadline=date(2026, 10, 8), reason="核对", actor=clerk)
    with pytest.raises(Exception, match="只有机要员"):
        routing_actions.change_deadline(d, deadline=date(2026, 10, 16), reason="延期", actor=leader)


def test_manual_reminder_by_the_clerk_with_a_note(teji, clerk, staff_zgh, django_capture_on_commit_callbacks):
    d = factories.delivery_of(teji, staff_zgh)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        record = actions.remind(d, actor=clerk, note="请今天下班前报送办理结果。", token="a" * 32)
        again = actions.remind(d, actor=clerk, note="请今天下班前报送办理结果。", token="a" * 32)  # double click
    assert again.pk == record.pk and record.kind == "manual" and record.by == clerk
    alert = Alert.objects.get(user=staff_zgh, kind=AlertKind.REMINDER)
    assert alert.text.startswith("机要室催办：") and alert.text.endswith("请今天下班前报送办理结果。")
    assert len(mail.outbox) == (1 if staff_zgh.email else 0)
    assert json.loads(AuditEntry.objects.get(action="reminders.sent").data)["note"] == "请今天下班前报送办理结果。"
    with pytest.raises(InvalidInput, match="请填写催办内容"):
        actions.remind(d, actor=clerk, note="")
    factories.sign_and_finish(teji, staff_zgh)
    with pytest.raises(NotAllowed, match="已办结，无需催办"):
        actions.remind(d, actor=clerk, note="请报送。")


@pytest.mark.parametrize("bad", ["yesterday", "2026-13-01", "0001-01-01T00:00"])
def test_a_bad_time_is_refused_in_chinese(bad, db):
    with pytest.raises(CommandError, match="时间格式不正确|时间超出范围"):
        call_command("remind_overdue", "--at", bad, stdout=StringIO())


def test_a_teti_is_reminded_by_the_hour(clerk, staff_zgh, django_capture_on_commit_callbacks):
    """特提 (calendar days, cadence 2h/2h): received 2026-10-01 (a holiday: it counts anyway), due the end of 10-02."""
    t = factories.register(clerk, precedence="特提", received_at=local(2026, 10, 1, 8, 0))
    factories.route_pending(t)
    factories.arrived(t, local(2026, 10, 1, 8, 10))
    assert factories.delivery_of(t, staff_zgh).deadline == date(2026, 10, 2)
    line = f"{t.receipt_no}\t自治区总工会\t"
    assert remind("2026-10-02T21:59", django_capture_on_commit_callbacks) == []
    assert remind("2026-10-02T22:00", django_capture_on_commit_callbacks) == [line + "before"]
    assert remind("2026-10-03T01:00", django_capture_on_commit_callbacks) == []
    assert remind("2026-10-03T02:00", django_capture_on_commit_callbacks) == [line + "overdue"]
    assert remind("2026-10-03T04:30", django_capture_on_commit_callbacks) == [line + "overdue"]
    assert list(ReminderRecord.objects.values_list("step_key", flat=True)) == [
        "2026-10-02:before", "2026-10-02:overdue-1", "2026-10-02:overdue-2"]


def test_the_unique_step_is_the_claim(teji, staff_zgh):
    """What a pass that lost the race sees: the insert of a step another pass recorded returns nothing."""
    d = factories.delivery_of(teji, staff_zgh)
    now = local(2026, 10, 9, 9, 0)
    first = actions._claim(d, key="2026-10-08:overdue-1", kind="overdue", due_at=now, now=now, days=1)
    assert first is not None
    assert actions._claim(d, key="2026-10-08:overdue-1", kind="overdue", due_at=now, now=now, days=1) is None
    assert ReminderRecord.objects.count() == 1


def test_a_unit_without_staff_is_chased_through_the_clerks(working, clerk, django_capture_on_commit_callbacks):
    """自治区民政厅 has no 承办人 account yet: its reminders go to the clerks, who 代签收 for it."""
    t = factories.register(clerk, precedence="特急", received_at=local(2026, 9, 28, 9, 0), instruction="送：自治区民政厅。")
    factories.route_pending(t)
    factories.arrived(t, local(2026, 9, 28, 9, 30))
    assert remind("2026-10-09T09:00", django_capture_on_commit_callbacks) == [f"{t.receipt_no}\t自治区民政厅\toverdue"]
    alert = Alert.objects.get(user=clerk, kind=AlertKind.REMINDER)
    assert alert.text.startswith(f"逾期催办：{t.receipt_no}") and ReminderRecord.objects.get().recipients >= 1


def test_a_telegram_registered_long_after_its_deadline_is_chased_at_the_first_pass(
        clerk, django_capture_on_commit_callbacks):
    """The seed case: received 2020-04-30 as 特提, registered and routed today. Its delivery is overdue on
    arrival: the first pass chases it once (not once per missed step), as does a pass run as of 2020."""
    t = factories.register(clerk, precedence="特提", received_at=local(2020, 4, 30, 9, 0))
    factories.route_pending(t)
    line = f"{t.receipt_no}\t自治区总工会\toverdue"
    # A day overdue at 特提's two-hour cadence: past the third overdue step, so escalated too (once per deadline).
    assert remind("2020-05-03T10:00", django_capture_on_commit_callbacks) == [
        line, f"{t.receipt_no}\t自治区总工会\tescalation"]
    out = StringIO()
    with django_capture_on_commit_callbacks(execute=True):
        call_command("remind_overdue", stdout=out)
    assert out.getvalue().splitlines() == [line]  # now: the newest missed step, once
    assert ReminderRecord.objects.filter(delivery__telegram=t, kind="overdue").count() == 2
