"""The in-memory unit directory (directory.snapshot): read once, re-read whenever the unit table changes."""
from __future__ import annotations

import pytest
from django.db import transaction

from directory import snapshot
from directory.models import Unit
from routing.planning import plan_for


@pytest.mark.django_db
def test_the_units_are_read_once_and_then_only_the_token_is_checked(demo, django_assert_num_queries):
    first = snapshot.current()
    with django_assert_num_queries(1):
        again = snapshot.current()
    assert again is first
    assert first.find("自治区总工会") is not None


@pytest.mark.django_db
def test_a_unit_added_by_the_admin_is_found_by_the_next_pishi(demo):
    assert not plan_for("送：自治区水利厅。").ok
    Unit.objects.create(name="自治区水利厅", short_name="水利厅")
    plan = plan_for("送：自治区水利厅。")
    assert plan.ok and [r["unit"] for r in plan.routes] == ["自治区水利厅"]


@pytest.mark.django_db
def test_changes_that_bypass_save_are_seen_too(demo):
    snapshot.current()
    Unit.objects.filter(name="自治区财政厅").update(active=False)  # one UPDATE, no model save()
    assert "自治区财政厅" not in [u.name for u in snapshot.current().active]
    assert not plan_for("请财政厅办理。").ok
    assert snapshot.current().find("自治区财政厅") is not None  # still known as an old sender


@pytest.mark.django_db
def test_a_rolled_back_change_never_leaves_its_units_behind(demo):
    with pytest.raises(RuntimeError), transaction.atomic():
        Unit.objects.create(name="自治区临时单位")
        assert snapshot.current().find("自治区临时单位") is not None  # seen inside its own transaction
        raise RuntimeError("rolled back")
    Unit.objects.create(name="自治区另一单位")  # a later, different change
    units = snapshot.current()
    assert units.find("自治区另一单位") is not None
    assert units.find("自治区临时单位") is None


@pytest.mark.django_db
def test_a_short_name_finds_the_sender_unit(demo, clerk):
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from telegrams.actions import register
    from telegrams.inputs import TelegramInput

    t = register(TelegramInput(
        sender_unit_name="财政厅", precedence="平急", title="简称来电",
        received_at=datetime(2020, 5, 1, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai")),
    ), actor=clerk)
    assert t.sender_unit.name == "自治区财政厅"
