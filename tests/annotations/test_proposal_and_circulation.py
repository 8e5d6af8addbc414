"""Issue 12, the leaders' part: the office proposes (拟办) and a leader approves it in one action (同意拟办), which
routes exactly the proposal's units; a telegram goes round an ordered list of leaders (传阅), each reading it,
perhaps adding a 批示, and passing it on — and anyone allowed sees where it is and who read it when."""
from __future__ import annotations

import json

import pytest
from django.urls import reverse

from annotations import actions
from annotations.models import Annotation, Circulation, CirculationStep
from audit.models import AuditEntry
from core.errors import Forbidden, InvalidInput, NotAllowed
from notifications.models import Alert, AlertKind
from routing.models import Delivery, RoutingOrder
from telegrams.models import Telegram
from tests import factories
from tests.conftest import client_for

pytestmark = pytest.mark.django_db


def inbox_row(user, telegram: Telegram) -> str:
    """The telegram's row in the leader's 待批示 ("" when it is not there)."""
    html = client_for(user).get(reverse("annotations:inbox")).content.decode()
    rows = html.split("<tbody>")[1].split("</tbody>")[0].split("</tr>")
    return next((row for row in rows if telegram.receipt_no in row), "")


def in_inbox(user, telegram: Telegram) -> bool:
    return bool(inbox_row(user, telegram))

PROPOSAL = "拟请财政厅牵头，民政厅配合办理。"


# ------------------------------------------------------------------------------------------ 拟办 and 同意拟办


def test_the_leader_approves_the_proposal_in_one_action_and_exactly_its_units_are_routed(clerk, leader):
    t = factories.register(clerk, instruction="")
    factories.propose(t, clerk, PROPOSAL)
    page = client_for(leader).get(reverse("telegrams:detail", args=[t.pk])).content.decode()
    assert PROPOSAL in page and "同意后分送：自治区财政厅（牵头）、自治区民政厅（配合，尚无承办人账号）" in page
    assert in_inbox(leader, t)  # the leader sees it first

    r = client_for(leader).post(reverse("annotations:approve", args=[t.pk]), {
        "fingerprint": actions.proposal_fingerprint(PROPOSAL), "submission": "b" * 32}, follow=True)
    assert "已同意拟办，按拟办分送：自治区财政厅（牵头）、自治区民政厅（配合）。" in r.content.decode()
    approval = Annotation.objects.get(telegram=t)
    assert (approval.text, approval.approves_proposal, approval.author) == ("同意拟办。", True, leader)
    order = RoutingOrder.objects.get(telegram=t)
    assert [(x["unit"], x["role"]) for x in order.routes] == [("自治区财政厅", "lead"), ("自治区民政厅", "assist")]
    factories.route_pending(t)
    assert sorted(Delivery.objects.filter(telegram=t).values_list("unit__name", "role")) == [
        ("自治区民政厅", "assist"), ("自治区财政厅", "lead")]
    assert json.loads(AuditEntry.objects.get(action="annotation.write").data)["approves_proposal"] == PROPOSAL

    # The same click again (same form) saves nothing; a second approval of the same proposal is refused.
    again = client_for(leader).post(reverse("annotations:approve", args=[t.pk]), {
        "fingerprint": actions.proposal_fingerprint(PROPOSAL), "submission": "b" * 32}, follow=True)
    assert "这条批示已经保存，未重复保存。" in again.content.decode()
    with pytest.raises(NotAllowed) as twice:
        factories.approve(t, leader)
    assert twice.value.message == "李领导已同意该拟办意见。"
    assert Annotation.objects.count() == 1 and RoutingOrder.objects.count() == 1


def test_a_proposal_changed_since_the_leader_saw_it_is_not_approved(clerk, leader):
    t = factories.register(clerk, instruction="")
    factories.propose(t, clerk, PROPOSAL)
    seen = actions.proposal_fingerprint(PROPOSAL)
    factories.propose(t, clerk, "拟请民政厅办理。")
    with pytest.raises(NotAllowed) as changed:
        actions.approve_proposal(t, actor=leader, fingerprint=seen)
    assert changed.value.message == "拟办意见刚被修改，请核对新的拟办意见后再同意。"
    assert not Annotation.objects.exists() and not RoutingOrder.objects.exists()


def test_a_proposal_must_name_units_the_directory_knows(clerk, leader):
    t = factories.register(clerk, instruction="")
    with pytest.raises(InvalidInput) as unknown:
        factories.propose(t, clerk, "拟请自治区水利厅办理。")
    assert unknown.value.message.startswith("拟办意见中未找到单位：自治区水利厅")
    assert unknown.value.field == "proposal"
    with pytest.raises(Forbidden):
        actions.propose(t, PROPOSAL, actor=leader)
    with pytest.raises(NotAllowed) as none:
        factories.approve(t, leader)
    assert none.value.message == "该来电没有拟办意见，请直接写批示。"
    assert Telegram.objects.get(pk=t.pk).proposal == ""


def test_the_propose_form_shows_the_refusal_and_keeps_the_text(clerk, clerk_client):
    t = factories.register(clerk, instruction="")
    r = clerk_client.post(reverse("annotations:propose", args=[t.pk]), {"proposal": "拟请自治区水利厅办理。"})
    page = r.content.decode()
    assert "拟办意见中未找到单位：自治区水利厅" in page and "拟请自治区水利厅办理。" in page
    r = clerk_client.post(reverse("annotations:propose", args=[t.pk]), {"proposal": PROPOSAL})
    assert r.status_code == 302 and Telegram.objects.get(pk=t.pk).proposal == PROPOSAL


# --------------------------------------------------------------------------------------- 传阅 among leaders


def test_a_telegram_goes_round_two_leaders_with_read_receipts(clerk, leader, leader2, after_commit):
    t = factories.register(clerk, instruction="")
    with after_commit():
        factories.circulate(t, clerk, leader, leader2)
    steps = list(CirculationStep.objects.order_by("position"))
    assert [(s.leader, s.receipt) for s in steps] == [(leader, "未读"), (leader2, "未送达")]
    assert Alert.objects.get(user=leader, kind=AlertKind.CIRCULATION).text.startswith("王机要传阅：")
    assert not Alert.objects.filter(user=leader2, kind=AlertKind.CIRCULATION).exists()
    assert "传阅：请您阅" in inbox_row(leader, t) and "传阅：请您阅" not in inbox_row(leader2, t)

    with pytest.raises(NotAllowed) as not_yet:
        actions.pass_on(t, actor=leader2)
    assert not_yet.value.message == "传阅现在李领导处，您不能传下一位。"

    client_for(leader).get(reverse("telegrams:detail", args=[t.pk]))  # 已读
    assert CirculationStep.objects.get(leader=leader).receipt == "已读"
    factories.annotate(t, leader, "请陈领导阅。已阅。")
    with after_commit():
        client_for(leader).post(reverse("annotations:pass_on", args=[t.pk]))
    first, second = CirculationStep.objects.order_by("position")
    assert first.receipt == "已阅" and second.receipt == "未读" and second.received_at == first.passed_at
    assert Alert.objects.get(user=leader2, kind=AlertKind.CIRCULATION).text.startswith("李领导传阅：")
    with pytest.raises(NotAllowed) as passed:
        actions.pass_on(t, actor=leader)
    assert passed.value.message == "您已阅毕，传阅现在陈领导处，您不能传下一位。"

    page = client_for(clerk).get(reverse("telegrams:detail", args=[t.pk])).content.decode()
    assert "陈领导 <span class=\"urgent-text\">（在此）</span>" in page

    with after_commit():
        actions.pass_on(t, actor=leader2)
    circulation = Circulation.objects.get()
    assert circulation.finished_at is not None and circulation.holder is None
    assert Alert.objects.get(user=clerk, kind=AlertKind.CIRCULATION_DONE).text == f"{t.receipt_no} 传阅完毕。"
    assert [json.loads(e.data)["leader"] for e in AuditEntry.objects.filter(action="annotation.circulation_pass")] == [
        "李领导", "陈领导"]
    assert not in_inbox(leader2, t)  # read, with a 批示, and passed on: nothing waits for a leader


@pytest.mark.parametrize("who, message", [
    ([], "请按顺序选择传阅的领导。"),
    (["leader", "leader"], "传阅名单中李领导重复出现。"),
    (["leader", "zonggonghui"], "张承办不是领导，不能列入传阅。"),
])
def test_a_circulation_list_must_be_leaders_each_once(clerk, demo, who, message):
    t = factories.register(clerk, instruction="")
    with pytest.raises(InvalidInput) as bad:
        actions.circulate(t, [demo[u] for u in who], actor=clerk)
    assert bad.value.message == message
    assert not Circulation.objects.exists()


def test_one_circulation_at_a_time_and_not_by_unit_staff(clerk, leader, leader2, staff_zgh):
    t = factories.register(clerk, instruction="")
    factories.circulate(t, leader, leader2)
    with pytest.raises(NotAllowed) as running:
        factories.circulate(t, clerk, leader)
    assert running.value.message == "该来电正在传阅中（现在陈领导处），请待传阅完毕后再发起。"
    with pytest.raises(Forbidden):
        factories.circulate(factories.another(clerk, instruction=""), staff_zgh, leader)
    assert Circulation.objects.count() == 1


def test_confirming_a_pishi_warns_of_a_unit_nobody_can_sign_for(clerk, leader):
    t = factories.register(clerk, instruction="")
    page = client_for(leader).post(reverse("annotations:write", args=[t.pk]), {"text": "请民政厅牵头，财政厅配合办理。"})
    html = page.content.decode()
    assert 'id="unstaffed"' in html and "自治区民政厅尚无承办人账号：送达后由机要员代签收。" in html
    assert "自治区财政厅尚无" not in html  # 财政厅 has its 承办人
