"""Issue 12, the units' part: a unit sends back a telegram routed to it by mistake (退回, the clerk routes it on),
passes it to another unit with its leader's agreement (转办), the clerk signs for a unit without an account
(代签收), a 阅件 goes round units that mark it 已阅, read receipts (未读 → 已读), and a unit's 办理结果 — with its
sealed attachments — is seen by the clerk, leaders and the unit itself, never by the other units."""
from __future__ import annotations

import csv
import io
import json

import pytest
from django.urls import reverse

from audit.models import AuditEntry
from core.errors import Forbidden, InvalidInput, NotAllowed
from directory.models import Unit
from notifications.models import Alert, AlertKind
from routing import actions
from routing.models import Delivery, DeliveryState, Handback, ResultFile, RoutingEvent, RoutingOrder, Transfer
from telegrams.inputs import ScanUpload
from telegrams.models import Telegram, TelegramState
from tests import factories
from tests.conftest import client_for

pytestmark = pytest.mark.django_db

PDF = factories.PDF
CZ, ZGH, MZ = "自治区财政厅", "自治区总工会", "自治区民政厅"  # 民政厅 has no 承办人 account in the demo


def unit(name: str) -> Unit:
    return Unit.objects.get(name=name)


# ----------------------------------------------------------------------------------------- 退回 and re-routing


def test_a_unit_sends_back_a_misrouted_telegram_and_the_clerk_routes_it_on(clerk, staff_zgh, staff_cz, after_commit):
    t = factories.register(clerk)  # the seed: 送：自治区总工会
    with after_commit():
        handback = factories.hand_back(t, staff_zgh, "该事项由财政厅主管，非本单位职责。")
    d = handback.delivery
    assert d.state == DeliveryState.RETURNED
    t.refresh_from_db()
    assert t.state == TelegramState.INSTRUCTED  # nobody has it now: it waits to be routed again
    alert = Alert.objects.get(user=clerk, kind=AlertKind.HANDBACK)
    assert alert.text == f"自治区总工会退回 {t.receipt_no}：该事项由财政厅主管，非本单位职责。请重新分送。"
    # The clerk's 待处理 list shows it, with the reason.
    page = client_for(clerk).get(reverse("routing:unknown_units")).content.decode()
    assert 'id="handbacks"' in page and "该事项由财政厅主管" in page

    with pytest.raises(InvalidInput) as same:
        actions.reroute(handback, unit=unit(ZGH), actor=clerk)
    assert same.value.message == "自治区总工会已退回此件，请选择其他单位。"
    order = actions.reroute(handback, unit=unit(CZ), actor=clerk)
    assert order.source == RoutingOrder.Source.REROUTE and order.routes[0]["role"] == "handle"
    factories.route_pending(t)
    moved = factories.delivery_of(t, staff_cz)
    assert (moved.role, moved.deadline, moved.state) == (d.role, d.deadline, DeliveryState.DELIVERED)
    handback.refresh_from_db()
    assert (handback.rerouted_to.name, handback.resolved_by) == (CZ, clerk)
    with pytest.raises(NotAllowed) as twice:
        actions.reroute(handback, unit=unit(MZ), actor=clerk)
    assert twice.value.message == "该退回已经处理过。"
    # The history says why.
    notes = list(RoutingEvent.objects.filter(telegram=t).values_list("note", flat=True))
    assert "退回：该事项由财政厅主管，非本单位职责。" in notes
    assert "自治区总工会退回（该事项由财政厅主管，非本单位职责），改送自治区财政厅" in notes
    assert [e.action for e in AuditEntry.objects.filter(action__in=["routing.hand_back", "routing.reroute"])] == [
        "routing.hand_back", "routing.reroute"]


def test_a_handback_needs_a_reason_and_an_open_delivery(clerk, staff_zgh, leader):
    t = factories.register(clerk)
    factories.route_pending(t)
    d = factories.delivery_of(t, staff_zgh)
    with pytest.raises(InvalidInput) as empty:
        actions.hand_back(d, actor=staff_zgh, reason="  ")
    assert empty.value.message == "请填写退回原因。"
    actions.sign(d, actor=staff_zgh)
    actions.complete(d, actor=staff_zgh, result="已办。")
    with pytest.raises(NotAllowed) as done:
        actions.hand_back(d, actor=staff_zgh, reason="弄错了")
    assert done.value.message == "该来电已办结，不能退回。"
    assert not Handback.objects.exists()
    other = factories.another(clerk)
    handback = factories.hand_back(other, staff_zgh)
    with pytest.raises(NotAllowed) as twice:
        actions.hand_back(handback.delivery, actor=staff_zgh, reason="再退一次")
    assert twice.value.message == "本单位已退回该来电。"
    with pytest.raises(Forbidden):
        actions.reroute(handback, unit=unit(CZ), actor=staff_zgh)
    actions.settle_handback(handback, actor=leader, note="已电话告知来电单位改报财政厅。")
    handback.refresh_from_db()
    assert handback.resolution == "已电话告知来电单位改报财政厅。" and handback.rerouted_to is None


# ------------------------------------------------------------------------------------------------------- 转办


def test_a_unit_transfers_its_delivery_with_its_leaders_agreement(clerk, staff_zgh, staff_cz):
    t = factories.register(clerk)
    factories.route_pending(t)
    d = factories.delivery_of(t, staff_zgh)
    with pytest.raises(InvalidInput) as itself:
        actions.transfer(d, actor=staff_zgh, to_unit=unit(ZGH), reason="x", approved_by="张主席")
    assert itself.value.message == "不能转办给本单位。"
    with pytest.raises(InvalidInput) as unapproved:
        actions.transfer(d, actor=staff_zgh, to_unit=unit(CZ), reason="涉及经费", approved_by="")
    assert unapproved.value.message == "转办须经本单位领导同意，请填写同意转办的领导姓名。"
    with pytest.raises(InvalidInput) as no_reason:
        actions.transfer(d, actor=staff_zgh, to_unit=unit(CZ), reason="", approved_by="张主席")
    assert no_reason.value.message == "请填写转办原因。"

    item = actions.transfer(d, actor=staff_zgh, to_unit=unit(CZ), reason="涉及经费安排，由财政厅办理。", approved_by="张主席")
    d.refresh_from_db()
    assert d.state == DeliveryState.TRANSFERRED and item.approved_by == "张主席"
    factories.route_pending(t)
    forwarded = factories.delivery_of(t, staff_cz)
    assert (forwarded.role, forwarded.deadline) == (d.role, d.deadline)
    assert Transfer.objects.get().order.source == RoutingOrder.Source.TRANSFER
    note = RoutingEvent.objects.filter(delivery=d).last().note
    assert note == "转办自治区财政厅：涉及经费安排，由财政厅办理。（经张主席同意）"
    # The telegram follows the unit that has it now.
    factories.sign_and_finish(t, staff_cz)
    assert Telegram.objects.get(pk=t.pk).state == TelegramState.DONE


# ------------------------------------------------------------------------------------------------------ 代签收


@pytest.mark.usefixtures("urgent_via_worker")
def test_the_clerk_signs_for_a_unit_without_an_account_and_is_warned_when_it_is_routed(clerk, staff_zgh, after_commit):
    t = factories.register(clerk, instruction="送：自治区民政厅。")
    with after_commit():
        factories.route_pending(t)
    warning = Alert.objects.get(user=clerk, kind=AlertKind.NO_STAFF)
    assert warning.text == f"{t.receipt_no} 已分送自治区民政厅，该单位尚无承办人账号，请代签收。"
    d = Delivery.objects.get(telegram=t)
    with pytest.raises(Forbidden):
        actions.sign(d, actor=staff_zgh, proxy=True)
    actions.sign(d, actor=clerk, proxy=True)
    d.refresh_from_db()
    assert (d.state, d.proxy_signed, d.signed_by) == (DeliveryState.SIGNED, True, clerk)
    assert RoutingEvent.objects.filter(delivery=d).last().note == "签收（王机要代签收，自治区民政厅尚无承办人账号）"
    assert json.loads(AuditEntry.objects.filter(action="routing.sign").last().data)["proxy"] is True
    actions.complete(d, actor=clerk, result="已电话通知民政厅，按要求落实。", proxy=True)
    assert Telegram.objects.get(pk=t.pk).state == TelegramState.DONE
    # The page shows the warning and the 代签 record.
    page = client_for(clerk).get(reverse("telegrams:detail", args=[t.pk])).content.decode()
    assert "该单位尚无承办人账号" in page and "代签：王机要" in page


def test_no_proxy_signing_for_a_unit_that_has_its_own_staff(clerk, staff_zgh):
    t = factories.register(clerk)
    factories.route_pending(t)
    d = factories.delivery_of(t, staff_zgh)
    with pytest.raises(NotAllowed) as staffed:
        actions.sign(d, actor=clerk, proxy=True)
    assert staffed.value.message == "自治区总工会已有承办人账号，请由本单位签收和办结。"
    assert client_for(clerk).post(reverse("routing:proxy_sign", args=[d.pk])).status_code == 404
    assert Delivery.objects.get(pk=d.pk).state == DeliveryState.DELIVERED


# ------------------------------------------------------------------------------------- 阅件 and read receipts


def test_a_yuejian_circulates_to_two_units_each_opens_it_and_marks_it_read(clerk, staff_zgh, staff_cz):
    t = factories.register(clerk, instruction="")
    with pytest.raises(NotAllowed) as not_reviewed:
        actions.circulate(t, units=[unit(ZGH)], actor=clerk)
    assert not_reviewed.value.message == "请先在初审中将该来电定为阅件，再传阅给单位。"
    factories.review(t, clerk, "read")
    actions.circulate(t, units=[unit(ZGH), unit(CZ)], actor=clerk)
    with pytest.raises(InvalidInput) as again:
        actions.circulate(t, units=[unit(CZ)], actor=clerk)
    assert again.value.message == "自治区财政厅已在分送中。"
    factories.route_pending(t)
    deliveries = {d.unit.name: d for d in Delivery.objects.filter(telegram=t).select_related("unit")}
    assert {d.role for d in deliveries.values()} == {"read"}
    assert [d.receipt for d in deliveries.values()] == ["未读", "未读"]

    # 总工会 opens the telegram: 已读, with who and when; the clerk's opening does not count for the unit.
    client_for(clerk).get(reverse("telegrams:detail", args=[t.pk]))
    client_for(staff_zgh).get(reverse("telegrams:detail", args=[t.pk]))
    zgh = Delivery.objects.get(pk=deliveries[ZGH].pk)
    assert zgh.receipt == "已读" and zgh.opened_by == staff_zgh
    assert Delivery.objects.get(pk=deliveries[CZ].pk).receipt == "未读"
    first = zgh.opened_at
    client_for(staff_zgh).get(reverse("telegrams:detail", args=[t.pk]))
    assert Delivery.objects.get(pk=zgh.pk).opened_at == first  # the first opening is what counts

    for staff in (staff_zgh, staff_cz):
        r = client_for(staff).post(reverse("routing:sign", args=[factories.delivery_of(t, staff).pk]))
        assert r.status_code == 302
    assert {d.receipt for d in Delivery.objects.filter(telegram=t)} == {"已阅"}
    assert Telegram.objects.get(pk=t.pk).state == TelegramState.DONE  # nothing to finish
    page = client_for(clerk).get(reverse("telegrams:detail", args=[t.pk])).content.decode()
    assert page.count('class="read-receipt read-receipt-read"') == 2 and 'id="readings"' in page


# ------------------------------------------------------------------------------------------ who sees results


def _two_units_finished(clerk, staff_zgh, staff_cz) -> Telegram:
    t = factories.register(clerk, instruction="请自治区总工会牵头，财政厅配合办理。")
    factories.route_pending(t)
    for staff, text in ((staff_zgh, "总工会已部署学习贯彻。"), (staff_cz, "财政厅已安排专项经费。")):
        d = factories.delivery_of(t, staff)
        actions.sign(d, actor=staff)
        actions.complete(d, actor=staff, result=text,
                         files=[ScanUpload(f"{staff.username}-情况.pdf", "application/pdf", PDF)])
    return t


def test_a_units_result_is_seen_by_the_unit_clerk_and_leaders_but_never_by_the_other_unit(
        clerk, leader, admin_user, staff_zgh, staff_cz):
    t = _two_units_finished(clerk, staff_zgh, staff_cz)
    url = reverse("telegrams:detail", args=[t.pk])
    zgh_page = client_for(staff_zgh).get(url).content.decode()
    assert "总工会已部署学习贯彻。" in zgh_page and "财政厅已安排专项经费。" not in zgh_page
    assert "zonggonghui-情况.pdf" in zgh_page and "caizheng-情况.pdf" not in zgh_page
    assert "自治区财政厅已于" in zgh_page and "办理结果仅本单位、机要室和领导可见" in zgh_page
    for user in (clerk, leader, admin_user):
        page = client_for(user).get(url).content.decode()
        assert "总工会已部署学习贯彻。" in page and "财政厅已安排专项经费。" in page

    cz_file = ResultFile.objects.get(delivery__unit__name=CZ)
    assert client_for(staff_zgh).get(reverse("routing:result_file", args=[cz_file.pk])).status_code == 404
    got = client_for(staff_cz).get(reverse("routing:result_file", args=[cz_file.pk]))
    assert got.status_code == 200 and got.content == PDF and got["Content-Disposition"].startswith("attachment;")
    assert cz_file.path.read_bytes() != PDF and PDF not in cz_file.path.read_bytes()  # sealed on disk
    assert AuditEntry.objects.filter(action="routing.download_file").count() == 1

    # The unit's 已办结 tab shows its own result.
    done = client_for(staff_cz).get(reverse("routing:inbox") + "?tab=done").content.decode()
    assert "财政厅已安排专项经费。" in done and "caizheng-情况.pdf" in done


def test_the_admins_routing_history_and_its_csv_carry_each_result(clerk, admin_user, staff_zgh, staff_cz):
    t = _two_units_finished(clerk, staff_zgh, staff_cz)
    c = client_for(admin_user)
    assert "财政厅已安排专项经费。" in c.get(reverse("routing:history")).content.decode()
    body = b"".join(c.get(reverse("routing:history_csv")).streaming_content).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(body)))
    assert rows[0][-1] == "办理结果"
    results = {r[5]: r[-1] for r in rows[1:] if r[7] == "已办结" and r[1] == t.receipt_no}
    assert results == {ZGH: "总工会已部署学习贯彻。", CZ: "财政厅已安排专项经费。"}


def test_unit_actions_are_on_the_telegram_page_too(clerk, leader, staff_zgh):
    t = factories.register(clerk)
    factories.route_pending(t)
    d = factories.delivery_of(t, staff_zgh)
    c = client_for(staff_zgh)
    page = c.get(reverse("telegrams:detail", args=[t.pk])).content.decode()
    assert 'id="my-delivery"' in page and reverse("routing:sign", args=[d.pk]) in page
    assert reverse("routing:hand_back", args=[d.pk]) in page and reverse("routing:transfer", args=[d.pk]) in page
    r = c.post(reverse("routing:sign", args=[d.pk]), {"next": reverse("telegrams:detail", args=[t.pk])})
    assert r["Location"] == reverse("telegrams:detail", args=[t.pk])
    page = c.get(reverse("telegrams:detail", args=[t.pk])).content.decode()
    assert reverse("telegrams:complete", args=[d.pk]) in page
    # The 办结 page shows the telegram and its 批示.
    factories.annotate(t, leader, "请总工会抓紧落实。")
    done_page = c.get(reverse("telegrams:complete", args=[d.pk])).content.decode()
    assert "请总工会抓紧落实。" in done_page and t.title in done_page and "4月30日" in done_page
    r = c.post(reverse("telegrams:complete", args=[d.pk]), {"result": "已落实。"})
    assert r.status_code == 302 and Delivery.objects.get(pk=d.pk).state == DeliveryState.DONE
