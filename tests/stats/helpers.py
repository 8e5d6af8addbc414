"""A small register whose figures were counted by hand (see the table in `desk`), built through the same
actions as the clerk's form and the units' buttons, each at a chosen moment on the clock."""
from __future__ import annotations

import contextlib
from datetime import datetime
from itertools import count
from unittest import mock

from django.test import override_settings
from django.utils import timezone

_numbers = count(1)


def local(*args) -> datetime:
    return timezone.make_aware(datetime(*args))


@contextlib.contextmanager
def clock(moment: datetime):
    """Every timezone.now() inside the block (actions, auto_now fields, audit) answers `moment`."""
    with mock.patch("django.utils.timezone.now", return_value=moment):
        yield


def register(clerk, received: datetime, sender: str, precedence: str, instruction: str = ""):
    """The clerk registers a telegram a few minutes after it arrived; a 批办 is routed at once, as the worker does."""
    from intake import actions as intake_actions
    from telegrams.inputs import TelegramInput
    from tests.factories import route_pending

    n = next(_numbers)
    # routed below at the moment of receipt, as the table has it — a 特提 too (not as it registers)
    with clock(received + timezone.timedelta(minutes=1)), override_settings(ROUTE_URGENT_INLINE=False):
        telegram = intake_actions.register(TelegramInput(
            sender_unit_name=sender, precedence=precedence, received_at=received, title=f"关于第{n}项统计样例的通知",
            sender_doc_no=f"统计样例〔2025〕{n}号", body="请认真贯彻落实。", instruction=instruction,
        ), actor=clerk)
    with clock(received):  # delivered at the moment of receipt: times below count from here
        route_pending(telegram)
    return telegram


def delivery(telegram, unit_name: str):
    return telegram.deliveries.select_related("unit").get(unit__name=unit_name)


def sign(telegram, unit_name: str, at: datetime, user) -> None:
    from routing.actions import sign as sign_delivery

    with clock(at):
        sign_delivery(delivery(telegram, unit_name), actor=user)


def complete(telegram, unit_name: str, at: datetime, user) -> None:
    from routing.actions import complete as complete_delivery

    with clock(at):
        complete_delivery(delivery(telegram, unit_name), actor=user, result="已按要求办理完毕。")


CZ, MZ, ZGH = "自治区财政厅", "自治区民政厅", "自治区总工会"
GUOBAN, QUANZONG = "国务院办公厅", "中华全国总工会办公厅"


def desk(clerk, staff) -> dict:
    """The hand-counted register (calendar deadlines; "today" in the tests is 2025-10-20):

    | tel | received (local)   | sender | prec | to (deadline)            | 签收 after | 办结 after            |
    |-----|--------------------|--------|------|--------------------------|-----------|-----------------------|
    | T1  | 2025-09-01 09:00   | 国办   | 特急 | 财政厅 lead (09-04)       | 0.5 h     | 48 h (09-03, on time) |
    |     |                    |        |      | 民政厅 assist (09-04)     | 2 h       | 96 h (09-05, late)    |
    | T2  | 2025-09-10 14:00   | 国办   | 平急 | 财政厅 (09-20)            | 4 h       | 48 h (09-12, on time) |
    | T3  | 2025-09-20 10:00   | 全总办 | 特提 | 总工会 (09-21)            | 6 min     | — (overdue now)       |
    | T4  | 2025-10-15 08:00   | 全总办 | 平急 | 财政厅 (10-25)            | —         | —                     |
    | T5  | 2025-09-25 16:00   | 国办   | 加急 | (no 批办)                 |           |                       |
    | T6  | 2025-09-26 10:00   | 国办   | 平急 | 财政厅 — then voided      |           |                       |
    | T7  | 2024-12-31 23:30   | 国办   | 平急 | (December 2024, local)    |           |                       |
    | T8  | 2025-01-01 00:10   | 国办   | 平急 | (January 2025: 16:10 UTC the day before) |  |               |
    """
    from telegrams import actions

    t = {}
    t["T1"] = register(clerk, local(2025, 9, 1, 9, 0), GUOBAN, "特急", "请财政厅牵头，民政厅配合办理。")
    sign(t["T1"], CZ, local(2025, 9, 1, 9, 30), staff)
    sign(t["T1"], MZ, local(2025, 9, 1, 11, 0), staff)
    complete(t["T1"], CZ, local(2025, 9, 3, 9, 0), staff)
    complete(t["T1"], MZ, local(2025, 9, 5, 9, 0), staff)
    t["T2"] = register(clerk, local(2025, 9, 10, 14, 0), GUOBAN, "平急", "请财政厅办理。")
    sign(t["T2"], CZ, local(2025, 9, 10, 18, 0), staff)
    complete(t["T2"], CZ, local(2025, 9, 12, 14, 0), staff)
    t["T3"] = register(clerk, local(2025, 9, 20, 10, 0), QUANZONG, "特提", "送：自治区总工会。")
    sign(t["T3"], ZGH, local(2025, 9, 20, 10, 6), staff)
    t["T4"] = register(clerk, local(2025, 10, 15, 8, 0), QUANZONG, "平急", "请财政厅办理。")
    t["T5"] = register(clerk, local(2025, 9, 25, 16, 0), GUOBAN, "加急")
    t["T6"] = register(clerk, local(2025, 9, 26, 10, 0), GUOBAN, "平急", "请财政厅办理。")
    with clock(local(2025, 9, 26, 11, 0)):
        actions.void(t["T6"], actor=clerk, reason="重复登记")
    t["T7"] = register(clerk, local(2024, 12, 31, 23, 30), GUOBAN, "平急")
    t["T8"] = register(clerk, local(2025, 1, 1, 0, 10), GUOBAN, "平急")
    return t


INSTRUCTIONS = [
    "请财政厅办理。", "请民政厅牵头，教育厅配合办理。", "送：自治区总工会。", "请卫健委、应急管理厅研办。",
    "请公安厅办理。", "请交通运输厅阅知。", "请财政厅牵头，人社厅配合办理。", "请农业农村厅办理。",
]
SENDERS = [GUOBAN, QUANZONG, "应急管理部办公厅", "教育部办公厅", "自治区人民政府办公厅"]


def a_year(clerk, staff, *, count: int = 48, seed: int = 2025) -> None:
    """A plausible year for screenshots: `count` telegrams over 2025, most of them signed within hours and
    finished within days, the last few still open (some overdue)."""
    import random

    from routing.models import Role

    rnd = random.Random(seed)
    for n in range(count):
        received = local(2025, 1 + n * 12 // count, rnd.randint(1, 28), rnd.randint(8, 17), rnd.choice((0, 15, 30, 45)))
        precedence = rnd.choices(("特提", "特急", "加急", "平急"), weights=(1, 3, 4, 12))[0]
        telegram = register(clerk, received, rnd.choice(SENDERS), precedence, rnd.choice(INSTRUCTIONS))
        for d in telegram.deliveries.select_related("unit"):
            if n > count - 4 and rnd.random() < 0.7:
                continue  # the last ones: not yet signed
            signed = received + timezone.timedelta(hours=rnd.choice((0.2, 0.5, 1, 2, 3, 5, 8, 20)) * (0.3 if precedence == "特提" else 1))
            sign(telegram, d.unit.name, signed, staff)
            if d.role == Role.READ or (n > count - 8 and rnd.random() < 0.5):
                continue
            complete(telegram, d.unit.name, signed + timezone.timedelta(hours=rnd.choice((4, 20, 30, 50, 70, 100, 150, 260))), staff)
