"""Sending alerts and reading a person's list. `notify` writes the in-app rows in its own transaction and hands
the message to the other channels once that commits."""
from __future__ import annotations

from collections.abc import Iterable
from functools import partial
from typing import NamedTuple

from django.db import transaction
from django.utils import timezone

from telegrams.models import Telegram

from .channels import Message, send_everywhere
from .models import Alert, AlertKind

MAX_TEXT = 300


def _mail_body(text: str, telegram: Telegram | None) -> str:
    if telegram is None:
        return f"{text}\n\n请登录明电收文管理系统查看。"
    return (f"{text}\n\n收文号：{telegram.receipt_no}\n来电单位：{telegram.sender_unit_name}\n"
            f"等级：{telegram.precedence}\n收报时间：{timezone.localtime(telegram.received_at):%Y-%m-%d %H:%M}\n\n"
            "请登录明电收文管理系统查看。")


class Notice(NamedTuple):
    """One alert to some users, as `notify` takes it; `notify_all` writes several at once."""
    users: Iterable
    kind: str
    text: str
    telegram: Telegram | None = None
    link: str = ""


def notify(users, *, kind: str, text: str, telegram: Telegram | None = None, link: str = "") -> list[Alert]:
    """Alert `users` (deduplicated) in the app and through every configured channel."""
    return notify_all([Notice(users, kind, text, telegram, link)])


def notify_all(notices: Iterable[Notice]) -> list[Alert]:
    """Several notices in one transaction and one INSERT (a routing batch reaches many telegrams at once: a
    transaction per telegram made the alerts cost more than the routing); each goes to the other channels as its
    own message once that commits."""
    rows: list[Alert] = []
    messages: list[Message] = []
    for notice in notices:
        users = list({u.pk: u for u in notice.users}.values())
        if not users:
            continue
        text, telegram = notice.text[:MAX_TEXT], notice.telegram
        rows += [Alert(user=u, telegram=telegram, kind=notice.kind, text=text, link=notice.link) for u in users]
        label = AlertKind(notice.kind).label
        subject = (f"【{telegram.precedence}】{label}：{telegram.receipt_no}" if telegram else f"【{label}】{text}")[:200]
        messages.append(Message(kind_label=label, subject=subject, text=_mail_body(text, telegram),
                                recipients=tuple(users)))
    if not rows:
        return []
    with transaction.atomic():
        alerts = Alert.objects.bulk_create(rows)
        for message in messages:
            transaction.on_commit(partial(send_everywhere, message), robust=True)
    return alerts


def mark_read(user, *, telegram_id: int | None = None, alert_id: int | None = None) -> int:
    """Opening a telegram clears its alerts for that user; with neither argument, all of them."""
    if not getattr(user, "is_authenticated", False):
        return 0
    qs = Alert.objects.filter(user=user, read_at__isnull=True)
    if telegram_id is not None:
        qs = qs.filter(telegram_id=telegram_id)
    if alert_id is not None:
        qs = qs.filter(pk=alert_id)
    return qs.update(read_at=timezone.now())


def unread_count(user) -> int:
    if not getattr(user, "is_authenticated", False):
        return 0
    return Alert.objects.filter(user=user, read_at__isnull=True).count()
