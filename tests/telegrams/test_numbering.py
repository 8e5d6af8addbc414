"""Receipt numbers: {prefix}[{year}]{n}号, gapless and unique under concurrent clerks."""
from __future__ import annotations

import threading
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.db import connection, connections

from core.errors import ActionError
from directory import snapshot
from intake import actions as intake
from telegrams import actions
from telegrams.inputs import TelegramInput
from telegrams.models import BodyIndex, ReceiptCounter, Telegram

SH = ZoneInfo("Asia/Shanghai")


def data(n: int, year: int = 2020, **kw) -> TelegramInput:
    return TelegramInput(
        sender_unit_name="中华全国总工会办公厅", precedence="平急", title=f"测试来电{n}",
        received_at=datetime(year, 5, 1, 9, 0, tzinfo=SH), sender_doc_no=f"工发电〔{year}〕{n}号", body="正文", **kw,
    )


@pytest.mark.django_db
def test_numbers_count_from_one_each_year(clerk, settings):
    settings.RECEIPT_PREFIX = "宁机明收"
    a = actions.register(data(1, 2020), actor=clerk)
    b = actions.register(data(2, 2020), actor=clerk)
    c = actions.register(data(3, 2021), actor=clerk)
    assert [a.receipt_no, b.receipt_no, c.receipt_no] == ["宁机明收[2020]1号", "宁机明收[2020]2号", "宁机明收[2021]1号"]
    assert dict(ReceiptCounter.objects.values_list("year", "last")) == {2020: 2, 2021: 1}
    # the body's index row is written by the number's statement: once, also for a year's first (no counter yet)
    assert sorted(BodyIndex.objects.values_list("telegram_id", flat=True)) == [a.pk, b.pk, c.pk]


@pytest.mark.django_db
def test_the_prefix_comes_from_settings(clerk, settings):
    settings.RECEIPT_PREFIX = "银机明收"
    assert actions.register(data(1), actor=clerk).receipt_no == "银机明收[2020]1号"


@pytest.mark.django_db
def test_a_voided_record_keeps_its_number_and_the_next_moves_on(clerk):
    first = actions.register(data(1), actor=clerk)
    actions.void(first, actor=clerk, reason="登记错误")
    second = actions.register(data(2), actor=clerk)
    first.refresh_from_db()
    assert first.receipt_no == "宁机明收[2020]1号" and first.state == "void"
    assert second.receipt_no == "宁机明收[2020]2号"
    assert Telegram.objects.count() == 2  # never deleted


@pytest.mark.django_db
def test_a_failed_registration_gives_its_number_back(clerk):
    actions.register(data(1), actor=clerk)
    with pytest.raises(ActionError):
        actions.register(data(1), actor=clerk)  # duplicate sender number: rolled back
    assert actions.register(data(2), actor=clerk).receipt_no == "宁机明收[2020]2号"


@pytest.mark.django_db
def test_a_paper_number_is_kept_and_the_counter_moves_past_it(clerk):
    kept = actions.register(data(1, receipt_no="宁机明收[2020]744号"), actor=clerk)
    assert kept.receipt_no == "宁机明收[2020]744号"
    assert actions.register(data(2), actor=clerk).receipt_no == "宁机明收[2020]745号"
    assert BodyIndex.objects.filter(telegram=kept).count() == 1  # no number statement: its index row on its own
    with pytest.raises(ActionError, match="已被占用"):
        actions.register(data(3, receipt_no="宁机明收［2020］744号"), actor=clerk)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_twenty_clerks_saving_at_once_get_twenty_consecutive_numbers(clerk):
    if connection.vendor != "postgresql":
        pytest.skip("row locks are only meaningful on PostgreSQL (SQLite serializes all writers)")
    barrier = threading.Barrier(20)
    numbers: list[str] = []
    errors: list[BaseException] = []

    def clerk_saves(n: int) -> None:
        try:
            barrier.wait()
            numbers.append(actions.register(data(n), actor=clerk).receipt_no)
        except BaseException as exc:  # collected and asserted below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=clerk_saves, args=(n,)) for n in range(1, 21)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert sorted(numbers, key=lambda s: int(s.split("]")[1][:-1])) == [f"宁机明收[2020]{n}号" for n in range(1, 21)]
    assert ReceiptCounter.objects.get(year=2020).last == 20


@pytest.mark.django_db
def test_registration_takes_its_number_last_so_clerks_queue_only_for_the_number_and_the_audit(clerk):
    """Everything a registration writes except its number and audit entries happens before the year's counter is
    locked; from the counter's UPDATE to COMMIT only the chain head is touched."""
    from django.test.utils import CaptureQueriesContext

    actions.register(data(1), actor=clerk)  # the year's first also creates its counter row
    with CaptureQueriesContext(connection) as captured:
        telegram = intake.register(data(2, instruction="送：自治区总工会。"), actor=clerk)
    sql = [q["sql"] for q in captured.captured_queries]
    at = next(i for i, s in enumerate(sql) if "telegrams_receiptcounter" in s)
    before, after = sql[:at], sql[at + 1:]
    for table in ("telegrams_telegram", "routing_routingorder", "routing_routingevent"):
        assert any(s.startswith(f'INSERT INTO "{table}"') for s in before), table
    numbered = 'UPDATE "telegrams_telegram" SET "receipt_seq"'  # SQLite: the number is written separately
    version = f"SELECT {snapshot.TOKEN_SQL}"  # SQLite: and the directory's version read separately (a read)
    assert all("audit_" in s or s == version or s.startswith(("RELEASE SAVEPOINT", "COMMIT", numbered))
               for s in after), after
    if connection.vendor == "postgresql":  # the number's statement also locked the chain head: one append left
        assert "audit_chainhead" in sql[at] and [s for s in after if "audit_" in s][0].startswith("WITH appended")
        assert len([s for s in after if "audit_" in s]) == 1
    assert telegram.receipt_no == "宁机明收[2020]2号"
    assert Telegram.objects.get(pk=telegram.pk).receipt_no == "宁机明收[2020]2号"
    from audit.models import AuditEntry

    order_entry = AuditEntry.objects.get(action="routing.order")
    assert '"telegram":"宁机明收[2020]2号"' in order_entry.data  # written after the number existed


@pytest.mark.postgres
@pytest.mark.django_db
def test_a_telegram_without_its_number_is_never_committed(clerk):
    if connection.vendor != "postgresql":
        pytest.skip("the deferred trigger is PostgreSQL's")
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError, match="without a receipt number"), transaction.atomic():
        Telegram.objects.create(
            sender_unit_name="中华全国总工会办公厅", precedence="平急", title="未编号", receipt_year=2020,
            received_at=datetime(2020, 5, 1, 9, 0, tzinfo=SH), registered_by=clerk,
        )
        with connection.cursor() as cursor:  # what COMMIT does with the deferred check
            cursor.execute("SET CONSTRAINTS telegram_numbered IMMEDIATE")
    assert not Telegram.objects.filter(title="未编号").exists()


@pytest.mark.django_db
def test_a_number_without_its_sequence_is_refused(clerk):
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        Telegram.objects.create(
            sender_unit_name="中华全国总工会办公厅", precedence="平急", title="半个编号", receipt_year=2020,
            receipt_no="宁机明收[2020]9号", received_at=datetime(2020, 5, 1, 9, 0, tzinfo=SH), registered_by=clerk,
        )
