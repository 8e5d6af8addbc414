"""Journeys of leaders: the 待批示 inbox, writing and confirming a routing 批示, corrections, 阅示."""
from __future__ import annotations

import re

import pytest
from django.urls import reverse

from annotations import actions, drafts
from annotations.models import Annotation, AppendOnlyError, ReadRequest
from audit.models import AuditEntry
from core.errors import ActionError, Forbidden
from routing.models import RoutingOrder
from telegrams.models import TelegramState
from tests.conftest import client_for

from .helpers import fingerprint, register, write, write_and_confirm

pytestmark = pytest.mark.django_db


def inbox_rows(client) -> list[str]:
    html = client.get(reverse("annotations:inbox")).content.decode()
    body = html.split("<tbody>")[1].split("</tbody>")[0]
    return [row for row in body.split("</tr>") if "<td" in row and 'class="empty"' not in row]


def test_leader_sees_a_teti_telegram_at_the_top_of_the_inbox_with_its_age(clerk, leader):
    old = register(clerk, precedence="平急", hours_ago=50, proposal="拟请财政厅阅处。")
    teti = register(clerk, precedence="特提", hours_ago=3)
    routed = register(clerk, precedence="特提", hours_ago=5, instruction="送：自治区总工会。")

    rows = inbox_rows(client_for(leader))

    assert len(rows) == 2, rows
    assert teti.receipt_no in rows[0] and "prec-特提" in rows[0] and "3小时" in rows[0]
    assert 'class="urgent"' in rows[0]
    assert old.receipt_no in rows[1] and "2天2小时" in rows[1] and "拟请财政厅阅处。" in rows[1]
    assert all(routed.receipt_no not in r for r in rows)  # its 批办 already sent it out


def test_inbox_is_for_leaders_only(clerk, staff_cz):
    for user in (clerk, staff_cz):
        assert client_for(user).get(reverse("annotations:inbox")).status_code == 403


def test_leader_writes_a_routing_annotation_and_confirms_the_units(clerk, leader):
    t = register(clerk, precedence="特提", hours_ago=2)
    c = client_for(leader)
    detail = c.get(reverse("telegrams:detail", args=[t.pk])).content.decode()
    assert 'id="annotation-box"' in detail and reverse("annotations:write", args=[t.pk]) in detail

    page = write(c, t, "请财政厅牵头，民政厅配合办理。")

    html = page.content.decode()
    assert page.status_code == 200 and "核对批示" in html
    cells = re.sub(r"<td[^>]*>", "<td>", html)  # the cells' classes and phone labels aside
    assert "自治区财政厅</td><td>牵头" in cells and "自治区民政厅</td><td>配合" in cells
    assert not Annotation.objects.exists() and not RoutingOrder.objects.exists()  # nothing until confirmed

    done = write(c, t, "请财政厅牵头，民政厅配合办理。", action="confirm", fingerprint=fingerprint(html))

    assert done.status_code == 302 and done["Location"] == reverse("telegrams:detail", args=[t.pk])
    a = Annotation.objects.get()
    assert (a.telegram, a.author, a.author_name, a.version, a.superseded) == (t, leader, "李领导", 1, False)
    assert a.text == "请财政厅牵头，民政厅配合办理。"
    order = RoutingOrder.objects.get()
    assert order.source == "annotation" and order.created_by == leader and order.urgent
    assert [(r["unit"], r["role"]) for r in order.routes] == [("自治区财政厅", "lead"), ("自治区民政厅", "assist")]
    t.refresh_from_db()
    assert t.state == TelegramState.INSTRUCTED
    actions = list(AuditEntry.objects.order_by("seq").values_list("action", flat=True))
    assert actions[-2:] == ["annotation.write", "routing.order"]  # one transaction: the 批示, then its order
    page = c.get(reverse("telegrams:detail", args=[t.pk])).content.decode()
    cell = page.split('id="annotations"')[1].split("</td>")[0]
    assert "请财政厅牵头，民政厅配合办理。" in cell and "李领导" in cell
    assert inbox_rows(c) == []  # no longer waiting


def test_a_plain_annotation_is_saved_at_once(clerk, leader):
    t = register(clerk)
    response = write(client_for(leader), t, "同意。")
    assert response.status_code == 302
    assert Annotation.objects.get().text == "同意。"
    assert not RoutingOrder.objects.exists()


def test_an_unknown_unit_is_named_with_suggestions_and_nothing_is_saved(clerk, leader):
    t = register(clerk)
    c = client_for(leader)

    page = write(c, t, "请财正厅牵头办理。")

    html = page.content.decode()
    assert "未找到单位：财正厅" in html and "自治区财政厅" in html
    assert 'value="confirm"' not in html  # no 确认 until every unit resolves
    # Even a hand-made confirmation of exactly that parse is refused, by the view and by the service.
    forced = write(c, t, "请财正厅牵头办理。", action="confirm",
                   fingerprint=drafts.prepare(t, "请财正厅牵头办理。", actor=leader).fingerprint)
    assert forced.status_code == 200 and "未找到单位：财正厅" in forced.content.decode()
    assert not Annotation.objects.exists() and not RoutingOrder.objects.exists()
    with pytest.raises(ActionError, match="未找到单位：财正厅"):
        actions.annotate(t, "请财正厅牵头办理。", leader)
    assert not AuditEntry.objects.filter(action__startswith="annotation.").exists()


def test_a_text_edited_after_it_was_shown_must_be_confirmed_again(clerk, leader):
    t = register(clerk)
    c = client_for(leader)
    shown = fingerprint(write(c, t, "请财政厅办理。").content.decode())

    page = write(c, t, "请民政厅办理。", action="confirm", fingerprint=shown)

    assert "已变化" in page.content.decode() and "自治区民政厅" in page.content.decode()
    assert not Annotation.objects.exists() and not RoutingOrder.objects.exists()


def test_units_already_sent_by_the_clerk_are_not_sent_twice(clerk, leader):
    t = register(clerk, instruction="送：自治区总工会。")
    html = write(client_for(leader), t, "请区总工会阅处，财政厅阅知。").content.decode()
    assert "已分送，不再重复" in html

    write_and_confirm(client_for(leader), t, "请区总工会阅处，财政厅阅知。")

    latest = RoutingOrder.objects.filter(source="annotation").get()
    assert [(r["unit"], r["role"]) for r in latest.routes] == [("自治区财政厅", "read")]


def test_a_correction_is_a_new_version_and_the_old_one_stays_visible(clerk, leader, leader2):
    t = register(clerk)
    c = client_for(leader)
    write(c, t, "同意，请抓紧。")
    first = Annotation.objects.get()

    response = c.post(reverse("annotations:correct", args=[first.pk]),
                      {"text": "同意，请尽快报送意见。", "reason": "笔误"})

    assert response.status_code == 302
    first.refresh_from_db()
    second = Annotation.objects.exclude(pk=first.pk).get()
    assert first.superseded and first.text == "同意，请抓紧。"
    assert (second.version, second.supersedes, second.reason, second.superseded) == (2, first, "笔误", False)
    assert second.created_at >= first.created_at
    cell = c.get(reverse("telegrams:detail", args=[t.pk])).content.decode().split('id="annotations"')[1]
    cell = cell.split("</td>")[0]
    assert '<div class="annotation superseded"><div class="text">同意，请抓紧。</div>' in cell
    assert "同意，请尽快报送意见。" in cell and "第2版：笔误" in cell
    assert cell.index("同意，请抓紧。") < cell.index("同意，请尽快报送意见。")  # in order
    assert AuditEntry.objects.filter(action="annotation.correct").count() == 1

    # An old version cannot be corrected again, nor someone else's 批示, nor without a reason.
    again = c.post(reverse("annotations:correct", args=[first.pk]), {"text": "另写", "reason": "再改"}, follow=True)
    assert "已经更正过" in again.content.decode()
    other = client_for(leader2).post(reverse("annotations:correct", args=[second.pk]), {"text": "改", "reason": "改"})
    assert other.status_code == 404
    no_reason = c.post(reverse("annotations:correct", args=[second.pk]), {"text": "再改一次", "reason": ""})
    assert "请填写更正原因。" in no_reason.content.decode()
    assert Annotation.objects.count() == 2


def test_annotations_are_never_edited_or_deleted_in_place(clerk, leader):
    t = register(clerk)
    write(client_for(leader), t, "同意。")
    a = Annotation.objects.get()
    a.reason = "偷改"
    with pytest.raises(AppendOnlyError):
        a.save()
    with pytest.raises(AppendOnlyError):
        a.delete()
    assert Annotation.objects.get().reason == ""


def test_naming_a_leader_for_reading_puts_the_telegram_in_his_inbox(clerk, leader, leader2):
    # Routed by its 批办, so it is in nobody's inbox until a 批示 asks for a leader's instruction.
    t = register(clerk, precedence="特急", instruction="送：自治区总工会。")
    assert inbox_rows(client_for(leader2)) == []

    page = write(client_for(leader), t, "请陈领导同志阅示。")
    assert "请以下领导阅示：陈领导" in page.content.decode()
    write_and_confirm(client_for(leader), t, "请陈领导同志阅示。")

    request = ReadRequest.objects.get()
    assert (request.telegram, request.leader, request.requested_by, request.done_at) == (t, leader2, leader, None)
    c2 = client_for(leader2)
    rows = inbox_rows(c2)
    assert len(rows) == 1 and t.receipt_no in rows[0] and "李领导请您阅示" in rows[0]
    assert inbox_rows(client_for(leader)) == []
    detail = c2.get(reverse("telegrams:detail", args=[t.pk])).content.decode()
    assert "李领导请您阅示" in detail

    write(c2, t, "已阅，同意。")

    request.refresh_from_db()
    assert request.done_at is not None and request.done_in.text == "已阅，同意。"
    assert inbox_rows(c2) == []


def test_an_unknown_leader_name_is_refused(clerk, leader):
    t = register(clerk)
    c = client_for(leader)
    html = write(c, t, "请王明同志阅示。").content.decode()
    assert "未找到领导：王明" in html and 'value="confirm"' not in html
    forced = write(c, t, "请王明同志阅示。", action="confirm",
                   fingerprint=drafts.prepare(t, "请王明同志阅示。", actor=leader).fingerprint)
    assert "未找到领导：王明" in forced.content.decode()
    with pytest.raises(ActionError, match="未找到领导：王明"):
        actions.annotate(t, "请王明同志阅示。", leader)
    assert not Annotation.objects.exists() and not ReadRequest.objects.exists()


def test_clerks_and_unit_staff_cannot_write_annotations(clerk, staff_cz, leader):
    t = register(clerk, instruction="请财政厅办理。")
    from routing.actions import route

    route(RoutingOrder.objects.get().pk)  # delivered to 财政厅, so its staff may open the telegram
    write(client_for(leader), t, "同意。")
    mine = Annotation.objects.get()
    entries = AuditEntry.objects.filter(action__startswith="annotation.").count()
    orders = RoutingOrder.objects.count()
    for user in (clerk, staff_cz):
        c = client_for(user)
        assert write(c, t, "请民政厅办理。", action="confirm").status_code == 403
        assert c.post(reverse("annotations:correct", args=[mine.pk]), {"text": "改", "reason": "改"}).status_code == 403
        detail = c.get(reverse("telegrams:detail", args=[t.pk])).content.decode()
        assert "同意。" in detail and 'id="annotation-box"' not in detail
    assert Annotation.objects.count() == 1 and RoutingOrder.objects.count() == orders
    assert AuditEntry.objects.filter(action__startswith="annotation.").count() == entries


def test_the_service_itself_refuses_non_leaders(clerk):
    t = register(clerk)
    with pytest.raises(Forbidden):
        actions.annotate(t, "同意。", clerk)
    assert not Annotation.objects.exists()


def test_a_void_telegram_takes_no_annotation(clerk, leader):
    from telegrams.actions import void

    t = register(clerk)
    void(t, actor=clerk, reason="重复登记")
    c = client_for(leader)
    assert 'id="annotation-box"' not in c.get(reverse("telegrams:detail", args=[t.pk])).content.decode()
    assert "已作废的来电不能批示" in write(c, t, "同意。").content.decode()
    assert not Annotation.objects.exists()


def test_a_filing_annotation_archives_the_telegram(clerk, leader):
    t = register(clerk)
    c = client_for(leader)
    assert "归档" in write(c, t, "存档。").content.decode()
    write_and_confirm(c, t, "存档。")
    t.refresh_from_db()
    assert t.state == TelegramState.ARCHIVED and Annotation.objects.get().text == "存档。"
    assert inbox_rows(c) == []


def test_the_same_confirmation_sent_twice_saves_one_annotation_and_one_order(clerk, leader):
    """A double click on 确认 (or a retry after a lost reply): the form's one-time token saves it once."""
    t = register(clerk)
    c = client_for(leader)
    token = "ab" * 16
    page = write(c, t, "请财政厅办理。", submission=token)
    confirm = {"action": "confirm", "fingerprint": fingerprint(page.content.decode()), "submission": token}
    first = write(c, t, "请财政厅办理。", **confirm)
    again = write(c, t, "请财政厅办理。", **confirm)
    assert first.status_code == again.status_code == 302
    assert Annotation.objects.count() == 1 and RoutingOrder.objects.filter(source="annotation").count() == 1
    assert "这条批示已经保存，未重复保存" in c.get(again["Location"]).content.decode()
