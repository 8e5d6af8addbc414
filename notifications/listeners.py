"""Who is alerted when: the notification policy, reacting to the events the domain apps announce."""
from __future__ import annotations

from django.contrib.auth import get_user_model
from django.urls import reverse

from alarms.events import AlarmRaised
from annotations.events import CirculationFinished, CirculationReached, ReadRequested
from core.events import listen
from directory import roles
from directory.access import staffed_units
from directory.models import Unit
from ocr.actions import OcrFinished
from ocr.models import OcrJob
from routing.events import Delivered, DeliveryHandedBack, TelegramReturned, UnknownUnitsFound
from telegrams.events import TelegramOpened, TelegramRegistered
from telegrams.models import Precedence, Telegram

from .models import AlertKind
from .services import mark_read, notify

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


def delivered(event: Delivered) -> None:
    """The staff of each unit a telegram newly reached: one query for the staff, one insert per telegram."""
    unit_ids = {u for _, units in event.reached for u in units}
    if not unit_ids:
        return
    staff_by_unit: dict[int, list] = {}
    for user in _active(roles.STAFF).filter(person__unit_id__in=unit_ids):
        staff_by_unit.setdefault(user.person.unit_id, []).append(user)
    telegrams = Telegram.objects.in_bulk([t for t, _ in event.reached])
    for telegram_id, units in event.reached:
        telegram = telegrams[telegram_id]
        notify([u for unit in units for u in staff_by_unit.get(unit, [])], kind=AlertKind.DELIVERED, telegram=telegram,
               text=f"{telegram.precedence}来电待签收：{telegram.receipt_no} {telegram.title}")


def unstaffed(event: Delivered) -> None:
    """The clerks: a telegram reached a unit that has no 承办人 account yet, so nobody there will sign for it."""
    unit_ids = {u for _, units in event.reached for u in units}
    lacking = unit_ids - staffed_units(unit_ids)
    if not lacking:
        return
    names = dict(Unit.objects.filter(pk__in=lacking).values_list("pk", "name"))
    telegrams = Telegram.objects.in_bulk([t for t, _ in event.reached])
    clerks = list(_active(roles.CLERK))
    for telegram_id, units in event.reached:
        missing = [names[u] for u in units if u in names]
        if missing:
            telegram = telegrams[telegram_id]
            notify(clerks, kind=AlertKind.NO_STAFF, telegram=telegram,
                   text=f"{telegram.receipt_no} 已分送{'、'.join(missing)}，该单位尚无承办人账号，请代签收。")


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
