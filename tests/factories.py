"""Test set-up through the actions, never by posting forms: the seed telegram and its variations registered as
the clerk's form would (intake.actions.register), routing run in-process as the worker would, a unit's
签收/办结, a leader's 批示. Form tests post forms; everything else starts here."""
from __future__ import annotations

import time
from datetime import datetime
from itertools import count

from django.utils import timezone

from annotations import actions as annotation_actions
from archive import actions as archive_actions
from intake import actions as intake_actions
from routing import actions as routing_actions
from routing.models import Delivery, OrderState, RoutingOrder
from telegrams import actions as telegram_actions
from telegrams.inputs import ReplyInput, ReturnInput, ScanUpload, TelegramInput
from telegrams.models import Telegram

SEED = {
    "sender_unit_name": "中华全国总工会办公厅",
    "precedence": "特提",
    "classification": "明电",
    "received_at": timezone.make_aware(datetime(2020, 5, 1, 21, 36)),
    "title": "中华全国总工会关于学习宣传贯彻习近平总书记给郑州圆方集团职工回信精神的通知",
    "sending_unit": "中华全国总工会",
    "sender_doc_no": "工发电〔2020〕7号",
    "addressees": ["各省、自治区、直辖市总工会", "各全国产业工会", "中央和国家机关工会联合会", "全总各部门、各直属单位"],
    "cc": ["新疆生产建设兵团总工会"],
    "pages": 4,
    "copies": 1,
    "signatory": "中华全国总工会办公厅",
    "signed_on": datetime(2020, 5, 1).date(),
    "body": "4月30日，在“五一”国际劳动节来临之际，习近平总书记给郑州圆方集团职工回信……\n各省、自治区、直辖市总工会……请及时报告全国总工会。",
    "instruction": "送：自治区总工会。",
}
PDF = b"%PDF-1.4\n% test scan\n" + b"1 0 obj << /Type /Catalog >> endobj\n" * 4 + b"%%EOF\n"

_numbers = count(100)


def telegram_input(**overrides) -> TelegramInput:
    """The seed telegram's fields; `scans=[b"%PDF…"]` (bytes) attaches scans."""
    data = {**SEED, **overrides}
    scans = [s if isinstance(s, ScanUpload) else ScanUpload(f"scan{i + 1}.pdf", "application/pdf", s)
             for i, s in enumerate(data.pop("scans", []))]
    return TelegramInput(**data, scans=scans)


def register(clerk, **overrides) -> Telegram:
    """A telegram registered as the clerk's 保存并编号 does (the seed's fields unless overridden)."""
    return intake_actions.register(telegram_input(**overrides), actor=clerk)


def another(clerk, **overrides) -> Telegram:
    """A different telegram each call (its own sender's number), otherwise the seed's fields."""
    n = next(_numbers)
    return register(clerk, **{"sender_doc_no": f"工发电〔2020〕{n}号", "title": f"关于第{n}项工作的通知", **overrides})


def route_pending(telegram: Telegram | None = None) -> int:
    """What the worker does after commit: route every pending order (of `telegram`, or all) now, in-process.

    In a transactional test the commit really dispatches, and the run's Celery worker (kept alive once a worker
    test started it) may have taken an order first: `route` skips an order another worker holds (SKIP LOCKED), so
    this waits until that worker has committed it — the deliveries exist when this returns, whoever made them."""
    orders = RoutingOrder.objects.filter(state=OrderState.PENDING)
    if telegram is not None:
        orders = orders.filter(telegram=telegram)
    routed = 0
    deadline = time.monotonic() + 30
    while True:
        routed += sum(routing_actions.route(pk, batch=1) for pk in orders.order_by("pk").values_list("pk", flat=True))
        if not orders.exists() or time.monotonic() > deadline:
            return routed
        time.sleep(0.1)


def delivery_of(telegram: Telegram, staff) -> Delivery:
    return Delivery.objects.get(telegram=telegram, unit=staff.person.unit)


def sign_and_finish(telegram: Telegram, staff, result: str = "已办理完毕。", **kwargs) -> Delivery:
    """The unit signs for its delivery and reports it done (routing it first if it is still pending)."""
    route_pending(telegram)
    delivery = delivery_of(telegram, staff)
    routing_actions.sign(delivery, actor=staff)
    return routing_actions.complete(delivery, actor=staff, result=result, **kwargs)


def annotate(telegram: Telegram, leader, text: str):
    return annotation_actions.annotate(telegram, text, leader)


# ------------------------------------------------------------------------------- the rest of the procedure


def review(telegram: Telegram, clerk, kind: str = "handle") -> Telegram:
    """初审: 办件 ("handle") or 阅件 ("read")."""
    return telegram_actions.review(telegram, kind=kind, actor=clerk)


def return_telegram(telegram: Telegram, clerk, *reasons: str, other: str = "", note: str = "", key: str = ""):
    """退文 with the checklist's reasons (ReturnReason values)."""
    return routing_actions.return_telegram(
        telegram, ReturnInput(reasons=list(reasons or ["not_ours"]), other_reason=other, note=note, submission_key=key),
        actor=clerk)


def reply(telegram: Telegram, clerk, *, method: str = "fax", text: str = "已按要求传达学习，情况已报。", **kwargs):
    data = {"method": method, "text": text, "replied_at": timezone.now(), "replied_by": "王机要", **kwargs}
    return telegram_actions.reply(telegram, ReplyInput(**data), actor=clerk)


def no_reply(telegram: Telegram, clerk, note: str = "阅件，无需答复。"):
    return telegram_actions.reply(telegram, ReplyInput(needed=False, note=note), actor=clerk)


def propose(telegram: Telegram, clerk, text: str) -> Telegram:
    return annotation_actions.propose(telegram, text, actor=clerk)


def approve(telegram: Telegram, leader):
    """同意拟办 of the proposal as it stands now."""
    telegram = Telegram.objects.get(pk=telegram.pk)
    return annotation_actions.approve_proposal(
        telegram, actor=leader, fingerprint=annotation_actions.proposal_fingerprint(telegram.proposal))


def circulate(telegram: Telegram, actor, *leaders):
    """传阅 among leaders, in this order."""
    return annotation_actions.circulate(telegram, list(leaders), actor=actor)


def hand_back(telegram: Telegram, staff, reason: str = "该事项不属于本单位职责。"):
    """The unit sends its delivery back (routing it first if it is still pending)."""
    route_pending(telegram)
    return routing_actions.hand_back(delivery_of(telegram, staff), actor=staff, reason=reason)


def arrived(telegram: Telegram, at) -> None:
    """The telegram's deliveries reached their units at `at` (a journey set in the past: the 催办 cadence leaves out
    steps that fell before a delivery arrived)."""
    Delivery.objects.filter(telegram=telegram).update(delivered_at=at)


# ------------------------------------------------------------------------------------------------------ 归档


def finished(clerk, staff, **overrides) -> Telegram:
    """A telegram routed to 自治区总工会 and finished there (已办结): ready for 归档."""
    telegram = another(clerk, **overrides)
    sign_and_finish(telegram, staff)
    return Telegram.objects.get(pk=telegram.pk)


def archive(telegram: Telegram, clerk, retention: str = "D30"):
    """归档 as the clerk's form does; returns the Archival (档号)."""
    return archive_actions.archive(telegram, retention=retention, actor=clerk)
