"""Who is alerted when: the notification policy, reacting to the events the domain apps announce."""
from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db import transaction
from django.urls import reverse

from alarms.events import AlarmRaised
from annotations.events import CirculationFinished, CirculationReached, ReadRequested
from core.events import listen
from directory import roles
from directory.access import staffed_units
from directory.models import Unit
from ocr.actions import OcrFinished
from ocr.models import OcrJob
from reminders import actions as reminder_actions
from reminders.events import ReminderClaimed
from reminders.models import ReminderKind, ReminderRecord
from routing.events import DeadlineChanged, Delivered, DeliveryHandedBack, TelegramReturned, UnknownUnitsFound
from telegrams.events import TelegramOpened, TelegramRegistered
from telegrams.models import Precedence, Telegram

from .models import AlertKind
from .services import Notice, mark_read, notify, notify_all

URGENT = (Precedence.TETI, Precedence.TEJI)


def _active(role: str):
    return get_user_model().objects.filter(groups__name=role, is_active=True).select_related("person").distinct()


def urgent_arrival(event: TelegramRegistered) -> None:
    """A 特提/特急 arrival alerts every leader."""
    if event.precedence not in URGENT:
        return
    telegram = Telegram.objects.get(pk=event.telegram_id)
    notify(_active(roles.LEADER), kind=AlertKind.URGENT, telegram=telegram,
           text=f"{event.precedence}来电：{event.receipt_no} {event.sender} {event.title}")


# What an alert and its e-mail quote of a telegram (not its body): a routing batch reads many at once.
NOTICE_FIELDS = ("id", "receipt_no", "title", "precedence", "sender_unit_name", "received_at")


def delivered(event: Delivered) -> None:
    """The staff of each unit a telegram newly reached: one query for the staff, one for the telegrams, one
    insert for the batch's alerts."""
    unit_ids = {u for _, units in event.reached for u in units}
    if not unit_ids:
        return
    staff_by_unit: dict[int, list] = {}
    for user in _active(roles.STAFF).filter(person__unit_id__in=unit_ids):
        staff_by_unit.setdefault(user.person.unit_id, []).append(user)
    if not staff_by_unit:
        return
    telegrams = Telegram.objects.only(*NOTICE_FIELDS).in_bulk([t for t, _ in event.reached])
    notify_all(Notice([u for unit in units for u in staff_by_unit.get(unit, [])], AlertKind.DELIVERED,
                      f"{telegrams[t].precedence}来电待签收：{telegrams[t].receipt_no} {telegrams[t].title}", telegrams[t])
               for t, units in event.reached)


def unstaffed(event: Delivered) -> None:
    """The clerks: a telegram reached a unit that has no 承办人 account yet, so nobody there will sign for it."""
    unit_ids = {u for _, units in event.reached for u in units}
    lacking = unit_ids - staffed_units(unit_ids)
    if not lacking:
        return
    names = dict(Unit.objects.filter(pk__in=lacking).values_list("pk", "name"))
    missing = {t: [names[u] for u in units if u in names] for t, units in event.reached}
    missing = {t: found for t, found in missing.items() if found}
    if not missing:
        return
    telegrams = Telegram.objects.only(*NOTICE_FIELDS).in_bulk(list(missing))
    clerks = list(_active(roles.CLERK))
    notify_all(Notice(clerks, AlertKind.NO_STAFF, f"{telegrams[t].receipt_no} 已分送{'、'.join(found)}，"
                      "该单位尚无承办人账号，请代签收。", telegrams[t]) for t, found in missing.items())


def handed_back(event: DeliveryHandedBack) -> None:
    """The clerks: a unit sent a telegram back; it waits for them to route it on."""
    telegram = Telegram.objects.get(pk=event.telegram_id)
    unit = Unit.objects.get(pk=event.unit_id)
    notify(_active(roles.CLERK), kind=AlertKind.HANDBACK, telegram=telegram,
           text=f"{unit.name}退回 {telegram.receipt_no}：{event.reason.rstrip('。.')}。请重新分送。")


def returned(event: TelegramReturned) -> None:
    """The staff of units whose deliveries the 退文 cancelled."""
    if not event.units:
        return
    telegram = Telegram.objects.get(pk=event.telegram_id)
    staff = _active(roles.STAFF).filter(person__unit_id__in=event.units)
    notify(staff, kind=AlertKind.CANCELLED, telegram=telegram,
           text=f"{telegram.receipt_no} 已退文，对本单位的分送已撤销，无需办理。")


def circulation_reached(event: CirculationReached) -> None:
    telegram = Telegram.objects.get(pk=event.telegram_id)
    leaders = get_user_model().objects.filter(pk=event.leader_id, is_active=True)
    notify(leaders, kind=AlertKind.CIRCULATION, telegram=telegram,
           text=f"{event.by}传阅：{telegram.receipt_no} {telegram.title}，阅毕请传下一位。")


def circulation_finished(event: CirculationFinished) -> None:
    telegram = Telegram.objects.get(pk=event.telegram_id)
    starter = get_user_model().objects.filter(pk=event.started_by_id, is_active=True)
    notify(starter, kind=AlertKind.CIRCULATION_DONE, telegram=telegram,
           text=f"{telegram.receipt_no} 传阅完毕。")


def read_requested(event: ReadRequested) -> None:
    telegram = Telegram.objects.get(pk=event.telegram_id)
    leaders = get_user_model().objects.filter(pk__in=event.leader_ids, is_active=True)
    notify(leaders, kind=AlertKind.READ_REQUEST, telegram=telegram,
           text=f"{event.by}请您阅示：{telegram.receipt_no} {telegram.title}")


def unknown_units(event: UnknownUnitsFound) -> None:
    """The clerks: a registered telegram's 批办 named units the directory lacks (they wait on 待处理)."""
    telegram = Telegram.objects.get(pk=event.telegram_id)
    notify(_active(roles.CLERK), kind=AlertKind.UNKNOWN_UNITS, telegram=telegram,
           text=f"{telegram.receipt_no} 的批办中有未找到的单位：{'、'.join(event.names)}，请在“待处理单位”中分送。")


def _reminder_text(record: ReminderRecord) -> str:
    t, unit = record.telegram, record.delivery.unit.name
    due = f"{record.deadline:%Y-%m-%d}" if record.deadline else ""
    head = f"{t.receipt_no}《{t.title}》"
    if record.kind == ReminderKind.BEFORE:
        return f"催办提醒：{head}将于{due}到期，请抓紧办理。"
    if record.kind == ReminderKind.DUE:
        return f"催办提醒：{head}今天（{due}）到期，请按时办结。"
    if record.kind == ReminderKind.OVERDUE:
        return f"逾期催办：{head}办结期限{due}，已逾期{record.overdue_days}天，请尽快办结并报送办理结果。"
    if record.kind == ReminderKind.ESCALATION:
        return f"逾期上报：{unit}办理{head}已逾期{record.overdue_days}天（期限{due}），多次催办仍未办结。"
    return f"机要室催办：{head}（期限{due}）：{record.note}"


def reminder(event: ReminderClaimed) -> None:
    """A 催办 step claimed once (reminders.actions): the unit's 承办人 (the clerks when it has none), or — an
    escalation — the clerks and the leaders. Marked sent in the same transaction as the in-app alerts, so it goes
    out once even when re-taken."""
    record = ReminderRecord.objects.select_related("telegram", "delivery__unit").filter(pk=event.record_id).first()
    if record is None or record.sent_at is not None:
        return
    if record.kind == ReminderKind.ESCALATION:
        users = list(_active(roles.CLERK)) + list(_active(roles.LEADER))
    else:
        users = list(_active(roles.STAFF).filter(person__unit_id=record.delivery.unit_id))
        if not users:  # a unit without 承办人 accounts: the clerks, who sign and report for it (代签收)
            users = list(_active(roles.CLERK))
    with transaction.atomic():
        if reminder_actions.mark_sent(record.pk, recipients=len({u.pk for u in users})):
            notify(users, kind=AlertKind.REMINDER, telegram=record.telegram, text=_reminder_text(record))


def deadline_changed(event: DeadlineChanged) -> None:
    """The unit's 承办人: the clerk moved their deadline."""
    telegram = Telegram.objects.get(pk=event.telegram_id)
    staff = _active(roles.STAFF).filter(person__unit_id=event.unit_id)
    notify(staff, kind=AlertKind.REMINDER, telegram=telegram,
           text=f"{telegram.receipt_no} 的办结期限已改为{event.deadline}。")


def alarm(event: AlarmRaised) -> None:
    """An alarm (the audit chain no longer matches its witness, routing stalled): every administrator."""
    links = {"audit": reverse("audit:verify"), "routing": reverse("routing:history")}
    notify(_active(roles.ADMIN), kind=AlertKind.SYSTEM, text=event.message, link=links.get(event.kind, ""))


def opened(event: TelegramOpened) -> None:
    mark_read(get_user_model()(pk=event.user_id), telegram_id=event.telegram_id)


def ocr_finished(event: OcrFinished) -> None:
    """The person who uploaded a scan (for the intake folder: its account, INTAKE_USER): read or not. The link
    leads to the desk's list of scans waiting to be registered, at this one."""
    job = OcrJob.objects.filter(pk=event.job_id).only("filename", "pages", "error").first()
    if job is None:
        return
    if event.ok:
        text = f"扫描件“{job.filename}”已识别完成（共 {job.pages} 页），请核对后登记。"
    else:
        text = f"扫描件“{job.filename}”识别失败：{job.error}。可对照扫描件手工登记。"
    users = get_user_model().objects.filter(pk=event.user_id, is_active=True)
    notify(users, kind=AlertKind.OCR, text=text, link=f"{reverse('intake:scans')}#job-{job.pk}")


def connect() -> None:
    listen(TelegramRegistered, urgent_arrival)
    listen(Delivered, delivered)
    listen(Delivered, unstaffed)
    listen(DeliveryHandedBack, handed_back)
    listen(TelegramReturned, returned)
    listen(CirculationReached, circulation_reached)
    listen(CirculationFinished, circulation_finished)
    listen(ReadRequested, read_requested)
    listen(UnknownUnitsFound, unknown_units)
    listen(TelegramOpened, opened)
    listen(AlarmRaised, alarm)
    listen(OcrFinished, ocr_finished)
    listen(ReminderClaimed, reminder)
    listen(DeadlineChanged, deadline_changed)
