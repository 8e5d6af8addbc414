"""归档 by the clerk: the 档号 (全宗号-年度-保管期限代码-件号), the frozen telegram, 撤销归档 by an admin, batches."""
from __future__ import annotations

import json

import pytest
from django.core.management import call_command
from django.db import transaction

from archive import actions as archive_actions
from archive.models import Archival
from audit.models import AuditEntry
from core.errors import Forbidden, IllegalTransition, InvalidInput, NotAllowed
from routing import actions as routing_actions
from routing.models import Delivery, DeliveryState
from routing.planning import plan_for
from telegrams import actions as telegram_actions
from telegrams.inputs import ScanUpload
from telegrams.models import Telegram, TelegramState
from tests import factories

pytestmark = pytest.mark.django_db


def show(receipt_no: str, capsys) -> dict:
    call_command("show_telegram", receipt_no, "--json")
    return json.loads(capsys.readouterr().out)


def test_the_clerk_archives_a_finished_telegram_under_its_own_number(clerk, staff_zgh, settings, capsys):
    settings.ARCHIVE_FONDS = "X047"
    t = factories.finished(clerk, staff_zgh)
    assert t.state == TelegramState.DONE

    archival = factories.archive(t, clerk, "D30")

    t.refresh_from_db()
    assert t.state == TelegramState.ARCHIVED
    assert archival.archive_no == f"X047-{t.receipt_year}-D30-0001"
    assert archival.get_retention_display() == "定期30年" and archival.previous_state == TelegramState.DONE
    assert show(t.receipt_no, capsys)["state"] == "archived"
    entry = AuditEntry.objects.filter(action="archive.archive").get()
    data = json.loads(entry.data)
    assert data["archive_no"] == archival.archive_no and data["metadata"]["密级"] == "无（明电）"
    assert data["metadata"]["题名"] == t.title and data["metadata"]["文号"] == t.sender_doc_no
    # The earlier entries of this telegram (registration, routing, 签收, 办结) are named by seq: the package must carry them.
    earlier = set(AuditEntry.objects.filter(seq__lt=entry.seq, object_type__in=["telegrams.telegram", "routing.delivery"])
                  .values_list("seq", flat=True))
    assert earlier and earlier <= set(data["audit_seqs"])
    assert t.changes.filter(field="state").last().reason.startswith(f"归档：档号 {archival.archive_no}")


def test_item_numbers_run_per_year_and_retention(clerk, staff_zgh):
    a, b, c = (factories.finished(clerk, staff_zgh) for _ in range(3))
    first = factories.archive(a, clerk, "D30")
    permanent = factories.archive(b, clerk, "Y")
    second = factories.archive(c, clerk, "D30")
    assert (first.item_no, permanent.item_no, second.item_no) == (1, 1, 2)
    assert permanent.archive_no.endswith("-Y-0001") and second.archive_no.endswith("-D30-0002")


def test_only_finished_telegrams_are_archived_and_only_by_the_clerk(clerk, staff_zgh, leader):
    open_one = factories.another(clerk)
    with pytest.raises(IllegalTransition) as refused:
        factories.archive(open_one, clerk)
    assert "办毕（已办结、已办毕或已退文）后才能归档" in refused.value.message
    done = factories.finished(clerk, staff_zgh)
    with pytest.raises(Forbidden):
        factories.archive(done, leader)
    with pytest.raises(InvalidInput):
        archive_actions.archive(done, retention="D99", actor=clerk)
    factories.archive(done, clerk)
    with pytest.raises(IllegalTransition) as twice:
        factories.archive(done, clerk)
    assert "已归档，档号" in twice.value.message
    assert Archival.objects.count() == 1


def test_returned_closed_and_filed_telegrams_can_be_archived(clerk, staff_zgh):
    returned = factories.another(clerk)
    factories.return_telegram(returned, clerk)
    closed = factories.finished(clerk, staff_zgh)
    factories.no_reply(closed, clerk)
    filed = factories.another(clerk, instruction="存档。")
    assert filed.state == TelegramState.ARCHIVED
    for t in (returned, closed, filed):
        factories.archive(Telegram.objects.get(pk=t.pk), clerk, "D10")
    assert set(Telegram.objects.filter(pk__in=[returned.pk, closed.pk, filed.pk]).values_list("state", flat=True)) == {
        TelegramState.ARCHIVED}
    assert Archival.objects.get(telegram=filed).previous_state == TelegramState.ARCHIVED


def test_an_archived_telegram_is_frozen(clerk, staff_zgh, leader):
    t = factories.register(clerk, instruction="送：自治区总工会。", scans=[factories.PDF])
    factories.route_pending(t)
    factories.sign_and_finish(t, staff_zgh)
    t = Telegram.objects.get(pk=t.pk)
    factories.archive(t, clerk)
    before = AuditEntry.objects.count()

    refusals = {
        "更正": lambda: telegram_actions.correct(t, {"title": "改过的标题"}, actor=clerk, reason="笔误"),
        "作废": lambda: telegram_actions.void(t, actor=clerk, reason="误登记"),
        "补充扫描件": lambda: telegram_actions.add_scans(t, [ScanUpload("x.pdf", "application/pdf", factories.PDF + b"x")],
                                                    clerk),
        "初审": lambda: factories.review(t, clerk, "read"),
        "批示": lambda: factories.annotate(t, leader, "请财政厅办理。"),
        "拟办": lambda: factories.propose(t, clerk, "请财政厅办理。"),
        "传阅": lambda: factories.circulate(t, clerk, leader),
        "答复": lambda: factories.no_reply(t, clerk),
        "退文": lambda: factories.return_telegram(t, clerk),
    }
    for step, attempt in refusals.items():
        with pytest.raises(IllegalTransition) as refused:
            attempt()
            pytest.fail(f"{step} was not refused")
        assert "归档" in refused.value.message, (step, refused.value.message)
    # Routing: a new order on it (as a routing 批示 or re-route would open) is refused.
    with pytest.raises(IllegalTransition), transaction.atomic():
        locked = Telegram.objects.select_for_update().get(pk=t.pk)  # as its callers pass it
        routing_actions.open_order(locked, source="annotation", text="", plan=plan_for("请财政厅办理。"), actor=leader)
    t.refresh_from_db()
    assert t.state == TelegramState.ARCHIVED and t.title != "改过的标题"
    assert AuditEntry.objects.count() == before


def test_a_unit_cannot_sign_a_reading_copy_of_an_archived_telegram(clerk, staff_zgh, staff_cz):
    t = factories.register(clerk, instruction="送：自治区总工会。财政厅阅。")
    factories.route_pending(t)
    factories.sign_and_finish(t, staff_zgh)
    t = Telegram.objects.get(pk=t.pk)
    reading = Delivery.objects.get(telegram=t, unit=staff_cz.person.unit)
    if t.state != TelegramState.DONE:
        pytest.skip("the reading copy keeps the telegram open here")
    factories.archive(t, clerk)
    with pytest.raises(IllegalTransition):
        routing_actions.sign(reading, actor=staff_cz)
    assert Delivery.objects.get(pk=reading.pk).state == DeliveryState.DELIVERED


def test_an_admin_revokes_an_archiving_with_a_reason(clerk, staff_zgh, admin_user, capsys):
    t = factories.finished(clerk, staff_zgh)
    first = factories.archive(t, clerk, "Y")
    with pytest.raises(Forbidden):
        archive_actions.unarchive(t, reason="著录有误", actor=clerk)
    with pytest.raises(InvalidInput):
        archive_actions.unarchive(t, reason=" ", actor=admin_user)

    archive_actions.unarchive(t, reason="保管期限定错，重新归档", actor=admin_user)

    t.refresh_from_db()
    assert t.state == TelegramState.DONE and show(t.receipt_no, capsys)["state"] == "done"
    first.refresh_from_db()
    assert first.revoked_by == admin_user and first.revoke_reason == "保管期限定错，重新归档"
    entry = AuditEntry.objects.filter(action="archive.revoke").get()
    assert json.loads(entry.data)["reason"] == "保管期限定错，重新归档" and entry.actor_id == admin_user.pk
    # Unfrozen: it can be corrected again, then archived anew under a new 件号 (the revoked one is never reused).
    telegram_actions.correct(t, {"title": "更正后的标题"}, actor=clerk, reason="笔误")
    again = factories.archive(Telegram.objects.get(pk=t.pk), clerk, "Y")
    assert again.item_no == 2 and Archival.objects.filter(telegram=t).count() == 2
    with pytest.raises(IllegalTransition):
        archive_actions.unarchive(factories.finished(clerk, staff_zgh), reason="无", actor=admin_user)


def test_a_batch_is_archived_in_order_of_receipt_or_not_at_all(clerk, staff_zgh):
    done = [factories.finished(clerk, staff_zgh) for _ in range(3)]
    still_open = factories.another(clerk)
    with pytest.raises(NotAllowed) as refused:
        archive_actions.archive_many([*done, still_open], retention="D10", actor=clerk)
    assert still_open.receipt_no in refused.value.message
    assert not Archival.objects.exists()
    assert set(Telegram.objects.filter(pk__in=[t.pk for t in done]).values_list("state", flat=True)) == {TelegramState.DONE}

    made = archive_actions.archive_many(list(reversed(done)), retention="D10", actor=clerk)

    assert [a.telegram_id for a in made] == [t.pk for t in sorted(done, key=lambda t: t.receipt_seq)]
    assert [a.item_no for a in made] == [1, 2, 3]
    assert AuditEntry.objects.filter(action="archive.archive").count() == 3
