"""Issue 12, the clerk's part: 初审 marks a telegram 阅件 or 办件; a telegram not for this office is returned (退文)
with reasons from the checklist — it keeps its number, what was routed is cancelled, show_telegram says
`returned`; a recorded 答复 (or "no reply needed") closes a finished telegram (已办毕)."""
from __future__ import annotations

import json
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEntry
from core.errors import Forbidden, IllegalTransition, InvalidInput, NotAllowed
from notifications.models import Alert, AlertKind
from routing import actions as routing_actions
from routing.models import Delivery, DeliveryState, OrderState, RoutingEvent, RoutingOrder
from telegrams import actions as telegram_actions
from telegrams.inputs import ReplyInput
from telegrams.models import Reply, Telegram, TelegramChange, TelegramReturn, TelegramState
from tests import factories

pytestmark = pytest.mark.django_db


def show(receipt_no: str) -> dict:
    out = StringIO()
    call_command("show_telegram", receipt_no, "--json", stdout=out)
    return json.loads(out.getvalue())


def audit_actions(telegram: Telegram) -> list[str]:
    return list(AuditEntry.objects.filter(object_type="telegrams.telegram", object_id=str(telegram.pk))
                .order_by("seq").values_list("action", flat=True))


# ------------------------------------------------------------------------------------------------- 初审


def test_first_review_marks_a_banjian_and_the_clerk_may_change_it_while_open(clerk):
    t = factories.register(clerk, instruction="")
    factories.review(t, clerk, "handle")
    t.refresh_from_db()
    assert (t.kind, t.reviewed_by, t.state) == ("handle", clerk, TelegramState.REGISTERED)
    assert t.get_kind_display() == "办件" and t.reviewed_at is not None
    factories.review(t, clerk, "handle")  # a double click: nothing new
    factories.review(t, clerk, "read")
    changes = list(TelegramChange.objects.filter(telegram=t, field="kind").values_list("old", "new", "reason"))
    assert changes == [("", "办件", "初审"), ("办件", "阅件", "初审改判")]
    assert audit_actions(t).count("telegram.review") == 2


def test_first_review_refuses_a_kind_it_does_not_know_and_a_returned_telegram(clerk):
    t = factories.register(clerk, instruction="")
    with pytest.raises(InvalidInput) as bad:
        telegram_actions.review(t, kind="secret", actor=clerk)
    assert bad.value.message == "请选择阅件或办件。"
    factories.return_telegram(t, clerk, "duplicate")
    with pytest.raises(NotAllowed) as closed:
        factories.review(t, clerk)
    assert closed.value.message == "该来电已退文，不能再初审。"


# ------------------------------------------------------------------------------------------------- 退文


def test_returning_a_routed_telegram_keeps_its_number_and_cancels_what_the_unit_had(clerk, staff_zgh, after_commit):
    t = factories.register(clerk)  # the seed: its 批办 routes it to 自治区总工会
    factories.route_pending(t)
    delivery = factories.delivery_of(t, staff_zgh)
    routing_actions.sign(delivery, actor=staff_zgh)
    number = t.receipt_no

    with after_commit():
        factories.return_telegram(t, clerk, "not_ours", "other", other="应由国务院办公厅转发", note="请按规定渠道报送。")

    t.refresh_from_db()
    assert (t.state, t.receipt_no) == (TelegramState.RETURNED, number)
    record = TelegramReturn.objects.get(telegram=t)
    assert record.reasons == ["not_ours", "other"] and record.returned_by == clerk
    assert record.reason_labels == ["不属于本机关职责", "其他：应由国务院办公厅转发"]
    delivery.refresh_from_db()
    assert delivery.state == DeliveryState.CANCELLED
    event = RoutingEvent.objects.filter(delivery=delivery).last()
    assert (event.from_state, event.to_state, event.note) == ("signed", "cancelled", "退文，撤销对自治区总工会的分送")
    assert TelegramChange.objects.get(telegram=t, field="state").reason == "退文：不属于本机关职责；其他：应由国务院办公厅转发"
    entry = AuditEntry.objects.get(action="telegram.return")
    data = json.loads(entry.data)
    assert data["reasons"] == ["not_ours", "other"] and data["cancelled"] == ["自治区总工会"]
    # The unit is told it need not handle it any more.
    alert = Alert.objects.get(user=staff_zgh, kind=AlertKind.CANCELLED)
    assert "已退文" in alert.text
    # The contract: show_telegram --json reports the returned state and the cancelled delivery.
    shown = show(number)
    assert shown["state"] == "returned" and shown["receipt_no"] == number
    assert shown["deliveries"] == [{"unit": "自治区总工会", "role": "handle", "state": "cancelled", "deadline": "2020-05-02"}]


@pytest.mark.usefixtures("urgent_via_worker")
def test_a_pending_order_is_cancelled_so_the_worker_routes_nothing_afterwards(clerk, leader):
    t = factories.register(clerk)
    order = RoutingOrder.objects.get(telegram=t)
    factories.return_telegram(t, clerk, "incomplete")
    order.refresh_from_db()
    assert order.state == OrderState.CANCELLED
    assert routing_actions.route(order.pk) == 0
    assert not Delivery.objects.filter(telegram=t).exists()
    # …and nobody routes it again.
    with pytest.raises(NotAllowed) as refused:
        factories.annotate(t, leader, "请财政厅办理。")
    assert refused.value.message == "该来电已退文，不再分送。"


@pytest.mark.parametrize("reasons, other, message", [
    ([], "", "请至少勾选一项退文原因。"),
    (["other"], "  ", "勾选“其他”时请写明退文原因。"),
    (["bogus"], "", "退文原因不正确。"),
])
def test_a_return_without_a_proper_reason_is_refused_and_changes_nothing(clerk, reasons, other, message):
    from telegrams.inputs import ReturnInput

    t = factories.register(clerk, instruction="")
    before = AuditEntry.objects.count()
    with pytest.raises(InvalidInput) as bad:
        routing_actions.return_telegram(t, ReturnInput(reasons=reasons, other_reason=other), actor=clerk)
    assert bad.value.message == message
    t.refresh_from_db()
    assert t.state == TelegramState.REGISTERED and not TelegramReturn.objects.exists()
    assert AuditEntry.objects.count() == before


def test_returning_an_archived_a_finished_or_a_returned_telegram_is_refused(clerk, staff_zgh, leader):
    filed = factories.another(clerk, instruction="存档。")
    assert filed.state == TelegramState.ARCHIVED
    with pytest.raises(IllegalTransition) as archived:
        factories.return_telegram(filed, clerk)
    assert archived.value.message == "已归档的来电不能退文；如需改动，请管理员先撤销归档。"

    finished = factories.another(clerk)
    factories.sign_and_finish(finished, staff_zgh)
    with pytest.raises(IllegalTransition) as done:
        factories.return_telegram(finished, clerk)
    assert done.value.message == "该来电已办结，不能退文。"

    once = factories.another(clerk, instruction="")
    factories.return_telegram(once, clerk)
    with pytest.raises(IllegalTransition) as twice:
        factories.return_telegram(once, clerk)
    assert twice.value.message == "该来电已经退文。"
    with pytest.raises(Forbidden):
        factories.return_telegram(factories.another(clerk, instruction=""), leader)
    assert TelegramReturn.objects.count() == 1


def test_the_same_return_submitted_twice_returns_once(clerk):
    t = factories.register(clerk, instruction="")
    factories.return_telegram(t, clerk, "duplicate", key="a" * 32)
    with pytest.raises(telegram_actions.AlreadyReturned):
        factories.return_telegram(t, clerk, "duplicate", key="a" * 32)
    assert TelegramReturn.objects.count() == 1 and AuditEntry.objects.filter(action="telegram.return").count() == 1


def test_the_clerk_returns_a_telegram_through_the_form_and_the_page_says_so(clerk, clerk_client):
    t = factories.register(clerk, instruction="")
    page = clerk_client.get(reverse("telegrams:return", args=[t.pk])).content.decode()
    for label in ("不属于本机关职责", "重复来文", "格式或要素不全", "附件缺失", "其他"):
        assert label in page
    refused = clerk_client.post(reverse("telegrams:return", args=[t.pk]), {"reasons": ["other"], "note": "x"})
    assert "勾选“其他”时请写明退文原因。" in refused.content.decode()
    done = clerk_client.post(reverse("telegrams:return", args=[t.pk]),
                             {"reasons": ["no_attachment"], "note": "请补齐附件后重新报送。"}, follow=True)
    page = done.content.decode()
    assert "已退文，收文号保留" in page and 'id="returned-banner"' in page and "附件缺失" in page
    assert reverse("printing:return_notice", args=[t.pk]) in page


# ------------------------------------------------------------------------------------------------- 答复


def test_a_reply_closes_a_finished_telegram_and_its_text_is_sealed(clerk, staff_zgh, clerk_client):
    t = factories.register(clerk)
    factories.sign_and_finish(t, staff_zgh)
    answer = factories.reply(t, clerk, method="telegram", doc_no="宁办电[2020]12号", text="已转发各市总工会学习贯彻。")
    t.refresh_from_db()
    assert t.state == TelegramState.CLOSED and t.get_state_display() == "已办毕"
    answer.refresh_from_db()
    assert answer.text == "已转发各市总工会学习贯彻。" and "学习贯彻" not in answer.text_enc
    assert answer.doc_no == "宁办电〔2020〕12号" and answer.get_method_display() == "电报"
    assert TelegramChange.objects.get(telegram=t, field="state").reason == "电报答复"
    data = json.loads(AuditEntry.objects.get(action="telegram.reply").data)
    assert data["method"] == "telegram" and data["text_hmac"] and "学习贯彻" not in AuditEntry.objects.get(action="telegram.reply").data
    assert show(t.receipt_no)["state"] == "closed"
    page = clerk_client.get(reverse("telegrams:detail", args=[t.pk])).content.decode()
    assert 'id="replies"' in page and "已转发各市总工会学习贯彻。" in page


def test_a_telegram_still_in_hand_cannot_be_closed_and_bad_replies_are_refused(clerk, staff_zgh):
    t = factories.register(clerk)
    factories.route_pending(t)
    routing_actions.sign(factories.delivery_of(t, staff_zgh), actor=staff_zgh)
    with pytest.raises(IllegalTransition) as open_:
        factories.reply(t, clerk)
    assert open_.value.message == "尚有单位未办结，不能答复办毕。"
    now = timezone.now()
    for data, message in [
        (ReplyInput(method="", text="x", replied_at=now, replied_by="王"), "请选择答复方式（电报、传真或公文）。"),
        (ReplyInput(method="fax", text=" ", replied_at=now, replied_by="王"), "请填写答复内容。"),
        (ReplyInput(method="fax", text="x", replied_at=None, replied_by="王"), "请填写答复时间。"),
        (ReplyInput(method="fax", text="x", replied_at=now + timedelta(hours=2), replied_by="王"), "答复时间不能晚于当前时间。"),
        (ReplyInput(method="fax", text="x", replied_at=t.received_at - timedelta(days=1), replied_by="王"),
         "答复时间不能早于收报时间。"),
        (ReplyInput(method="fax", text="x", replied_at=now, replied_by=""), "请填写答复人。"),
        (ReplyInput(needed=False, note=""), "请说明无需答复的原因。"),
    ]:
        with pytest.raises(InvalidInput) as bad:
            telegram_actions.reply(t, data, actor=clerk)
        assert bad.value.message == message
    assert not Reply.objects.exists()


def test_a_telegram_needing_no_reply_closes_once_and_a_later_routing_instruction_reopens_it(clerk, leader, staff_cz):
    t = factories.register(clerk, instruction="")  # never routed: a 阅件 the leaders read
    factories.no_reply(t, clerk, "仅供领导阅知，无需答复。")
    t.refresh_from_db()
    assert t.state == TelegramState.CLOSED
    with pytest.raises(IllegalTransition) as twice:
        factories.no_reply(t, clerk)
    assert twice.value.message == "该来电已答复办毕。"
    factories.annotate(t, leader, "请财政厅办理。")
    factories.route_pending(t)
    t.refresh_from_db()
    assert t.state == TelegramState.INSTRUCTED  # reopened: 财政厅 has it to handle
    assert Reply.objects.get(telegram=t).note == "仅供领导阅知，无需答复。"


def test_the_reply_form_keeps_what_was_typed_when_it_is_refused(clerk, clerk_client, staff_zgh):
    t = factories.register(clerk)
    factories.sign_and_finish(t, staff_zgh)
    url = reverse("telegrams:reply", args=[t.pk])
    r = clerk_client.post(url, {"needed": "1", "method": "fax", "text": "已传达。", "replied_by": "王机要", "replied_at": ""})
    page = r.content.decode()
    assert "请填写答复时间。" in page and "已传达。" in page
    r = clerk_client.post(url, {"needed": "1", "method": "fax", "text": "已传达。", "replied_by": "王机要",
                                "replied_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M")})
    assert r.status_code == 302
    assert Telegram.objects.get(pk=t.pk).state == TelegramState.CLOSED
