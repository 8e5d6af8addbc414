"""Directory contracts: seed_demo and import_units (DESIGN.md), roles created by a migration."""
from __future__ import annotations

import json
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.contrib.auth.models import Group
from django.core.management import CommandError, call_command

from directory.models import Person, Unit

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.django_db


def test_role_groups_exist_after_migrate():
    assert set(Group.objects.values_list("name", flat=True)) >= {"机要员", "领导", "承办人", "管理员"}


def test_seed_demo_loads_every_unit_of_the_seed_and_a_user_per_role_twice_safely():
    out = StringIO()
    call_command("seed_demo", stdout=out)
    call_command("seed_demo", stdout=out)
    names = set(Unit.objects.values_list("name", flat=True))
    assert {"中华全国总工会办公厅", "中华全国总工会", "自治区总工会", "新疆生产建设兵团总工会",
            "中央和国家机关工会联合会"} <= names
    assert len(names) >= 6 + 12
    assert Unit.objects.count() == len(names)  # no duplicates on the second run
    roles = {p.user.groups.get().name for p in Person.objects.select_related("user")}
    assert roles == {"机要员", "领导", "承办人", "管理员"}
    text = out.getvalue()
    assert "clerk" in text and "leader" in text and "admin" in text and "Demo-2026-mingdian" in text


def test_import_units_upserts_by_name_with_aliases_and_parents(tmp_path):
    csv_file = tmp_path / "units.csv"
    csv_file.write_text(
        "name,short_name,aliases,parent\n"
        "银川市人民政府,银川市政府,银川政府|市政府,\n"
        "银川市财政局,市财政局,银川财政,银川市人民政府\n", encoding="utf-8")
    out = StringIO()
    call_command("import_units", str(csv_file), stdout=out)
    assert "新增 2" in out.getvalue()
    unit = Unit.objects.get(name="银川市财政局")
    assert unit.short_name == "市财政局" and unit.aliases == ["银川财政"] and unit.parent.name == "银川市人民政府"
    csv_file.write_text("name,short_name,aliases,parent\n银川市财政局,银川财政局,,\n", encoding="utf-8")
    call_command("import_units", str(csv_file), stdout=out)
    unit.refresh_from_db()
    assert unit.short_name == "银川财政局" and unit.aliases == [] and unit.parent is None
    assert Unit.objects.filter(name="银川市财政局").count() == 1


@pytest.mark.parametrize("content, message", [
    ("名称,简称\n甲,乙\n", "表头应为"),
    ("name,short_name,aliases,parent\n,无名,,\n", "第2行：单位名称为空"),
    ("name,short_name,aliases,parent\n甲单位,,,不存在的上级\n", "上级单位“不存在的上级”不存在"),
])
def test_import_units_refuses_bad_files_and_writes_nothing(tmp_path, content, message):
    f = tmp_path / "bad.csv"
    f.write_text(content, encoding="utf-8")
    before = Unit.objects.count()
    with pytest.raises(CommandError, match=message):
        call_command("import_units", str(f))
    assert Unit.objects.count() == before


def test_import_units_missing_file_exits_non_zero_with_one_line():
    result = subprocess.run([sys.executable, "manage.py", "import_units", "/nonexistent.csv"], cwd=ROOT,
                            capture_output=True, text=True)
    assert result.returncode != 0
    assert "无法读取文件" in result.stderr and len(result.stderr.strip().splitlines()) == 1


def test_show_telegram_contract(clerk_client):
    from django.urls import reverse

    from tests.telegrams.helpers import SEED_FORM

    clerk_client.post(reverse("telegrams:create"), SEED_FORM)
    out = StringIO()
    call_command("show_telegram", "宁机明收[2020]1号", "--json", stdout=out)
    data = json.loads(out.getvalue())
    assert list(data) == ["receipt_no", "sender_unit", "precedence", "classification", "received_at", "title",
                          "annotation", "instruction", "sending_unit", "sender_doc_no", "addressees", "body",
                          "signatory", "signed_on", "cc", "state", "deliveries", "annotations"]
    assert data["receipt_no"] == "宁机明收[2020]1号"
    assert data["received_at"] == "2020-05-01T21:36:00+08:00"
    assert data["sender_doc_no"] == "工发电〔2020〕7号"
    assert data["signed_on"] == "2020-05-01" and data["cc"] == ["新疆生产建设兵团总工会"]
    assert data["state"] == "instructed" and data["annotations"] == []
    with pytest.raises(CommandError, match="不存在"):
        call_command("show_telegram", "宁机明收[2020]999号", "--json")


def test_demo_admin_can_manage_units_and_people_in_django_admin(demo):
    from tests.conftest import client_for

    c = client_for(demo["admin"])
    assert c.get("/admin/directory/unit/").status_code == 200
    assert c.get("/admin/directory/person/").status_code == 200
    assert c.get("/admin/directory/unit/add/").status_code == 200
    assert client_for(demo["clerk"]).get("/admin/directory/unit/").status_code == 302  # not staff: to login
