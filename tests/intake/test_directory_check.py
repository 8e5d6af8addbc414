"""A registration resolves its sender and 批办 against the directory it has in memory and checks, in the statement
that numbers the telegram, that the directory did not change meanwhile: no query of its own when it did not, and
the units as they are now when it did (the transaction is rolled back and planned again)."""
from __future__ import annotations

from unittest import mock

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from audit.models import AuditEntry
from directory import snapshot
from directory.models import Unit, UnitsVersion
from intake import actions
from intake.models import IntakeState
from routing.models import RoutingOrder, UnknownUnit
from telegrams.inputs import ScanUpload
from telegrams.models import Telegram
from tests.factories import telegram_input

from .conftest import PNG

pytestmark = pytest.mark.django_db


def test_clerk_registers_with_the_directory_in_memory_and_no_query_of_its_own(clerk):
    actions.register(telegram_input(sender_doc_no="工发电〔2020〕6号"), actor=clerk)  # the directory read, the year begun
    with CaptureQueriesContext(connection) as queries:
        telegram = actions.register(telegram_input(), actor=clerk)
    reads = [q["sql"] for q in queries.captured_queries if UnitsVersion._meta.db_table in q["sql"]]
    assert len(reads) == 1  # once, inside the transaction
    if connection.vendor == "postgresql":  # by the statement that takes the number
        assert reads[0].startswith("WITH") and "receipt_seq" in reads[0]
    assert [r["unit"] for r in RoutingOrder.objects.get(telegram=telegram).routes] == ["自治区总工会"]


def test_a_unit_added_after_the_directory_was_read_is_routed_to_by_the_next_registration(clerk):
    snapshot.current()
    Unit.objects.create(name="自治区水利厅", short_name="水利厅")  # the trigger moves the version; memory is stale
    telegram = actions.register(telegram_input(instruction="送：自治区水利厅。", sender_unit_name="水利厅"), actor=clerk)
    order = RoutingOrder.objects.get(telegram=telegram)
    assert [r["unit"] for r in order.routes] == ["自治区水利厅"]
    assert telegram.sender_unit.name == "自治区水利厅"
    assert not UnknownUnit.objects.filter(telegram=telegram).exists()
    assert Telegram.objects.count() == 1 and telegram.receipt_no.endswith("[2020]1号")  # the rolled-back try left no gap


def test_a_held_scan_taken_over_by_a_rolled_back_try_is_registered_by_the_next(clerk):
    scan = actions.hold(ScanUpload("a.png", "image/png", PNG), actor=clerk)
    with mock.patch.object(snapshot, "check", side_effect=[snapshot.Stale("changed"), None]):
        telegram = actions.register(telegram_input(), actor=clerk, held=[scan])
    scan.refresh_from_db()
    assert (scan.state, scan.telegram_id) == (IntakeState.REGISTERED, telegram.pk)
    assert [s.filename for s in telegram.scans.all()] == ["a.png"]


def test_a_directory_changing_under_every_try_refuses_the_registration_and_writes_nothing(clerk):
    scan = actions.hold(ScanUpload("a.png", "image/png", PNG), actor=clerk)
    entries = AuditEntry.objects.count()
    stale = snapshot.Stale("单位名录刚刚更新，请重新保存。")
    with mock.patch.object(snapshot, "check", side_effect=stale), pytest.raises(snapshot.Stale, match="请重新保存") as refused:
        actions.register(telegram_input(), actor=clerk, held=[scan])
    assert refused.value.code == "directory_changed"
    assert not Telegram.objects.exists() and not RoutingOrder.objects.exists()
    assert AuditEntry.objects.count() == entries
    scan.refresh_from_db()
    assert scan.state == IntakeState.WAITING
