"""manage.py parse_instruction: the contract JSON, against units in the database."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from directory.models import Unit

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def units(db):
    for name, short_name, aliases in [
        ("自治区党委组织部", "组织部", []),
        ("自治区党委宣传部", "宣传部", []),
        ("自治区财政厅", "财政厅", ["区财政厅"]),
        ("自治区人力资源和社会保障厅", "人社厅", []),
        ("自治区民政厅", "民政厅", []),
        ("自治区总工会", "", ["区总工会"]),
        ("中华全国总工会", "全总", []),
        ("银川市总工会", "", []),
    ]:
        Unit.objects.update_or_create(name=name, defaults={"short_name": short_name, "aliases": aliases})
    Unit.objects.update_or_create(name="自治区撤销办", defaults={"short_name": "撤销办", "active": False})


def run(*args: str) -> dict:
    out = StringIO()
    call_command("parse_instruction", *args, stdout=out)
    lines = out.getvalue().strip().splitlines()
    assert len(lines) == 1, out.getvalue()
    return json.loads(lines[0])


@pytest.mark.django_db
def test_seed_instruction(units):
    assert run("送：自治区总工会。", "--json") == {
        "routes": [{"unit": "自治区总工会", "role": "handle"}], "unknown": [], "deadline": None, "archive": False,
    }


@pytest.mark.django_db
def test_lead_assist_and_deadline(units):
    data = run("请组织部牵头，宣传部、财政厅配合办理，请于7月20日前报结果。", "--json",
               "--received-on", "2026-05-01")
    assert data == {
        "routes": [
            {"unit": "自治区党委组织部", "role": "lead"},
            {"unit": "自治区党委宣传部", "role": "assist"},
            {"unit": "自治区财政厅", "role": "assist"},
        ],
        "unknown": [],
        "deadline": "2026-07-20",
        "archive": False,
    }


@pytest.mark.django_db
def test_received_on_rolls_a_passed_date_to_next_year(units):
    assert run("7月20日前办结", "--json", "--received-on", "2026-08-01")["deadline"] == "2027-07-20"


@pytest.mark.django_db
def test_unknown_units_are_listed_not_an_error(units):
    data = run("转人社厅、石嘴山市总工会阅知。", "--json")
    assert data["routes"] == [{"unit": "自治区人力资源和社会保障厅", "role": "read"}]
    assert data["unknown"] == ["石嘴山市总工会"]


@pytest.mark.django_db
def test_inactive_units_are_not_routed(units):
    assert run("送撤销办", "--json")["routes"] == []


@pytest.mark.django_db
def test_archive(units):
    assert run("存档。", "--json") == {"routes": [], "unknown": [], "deadline": None, "archive": True}


@pytest.mark.django_db
def test_output_is_utf8_not_escaped(units):
    out = StringIO()
    call_command("parse_instruction", "送区总工会", "--json", stdout=out)
    assert "自治区总工会" in out.getvalue() and "\\u" not in out.getvalue()


@pytest.mark.django_db
def test_human_readable_output(units):
    out = StringIO()
    call_command("parse_instruction", "请财政厅牵头，石嘴山市民政局配合。", stdout=out)
    text = out.getvalue()
    assert "自治区财政厅\t牵头" in text and "未找到单位：石嘴山市民政局" in text


@pytest.mark.django_db
@pytest.mark.parametrize("args", [("   ", "--json"), ("送财政厅", "--received-on", "2026-13-01"),
                                  ("请于2月30日前办结", "--json")])
def test_bad_input_is_a_command_error(units, args):
    with pytest.raises(CommandError) as info:
        call_command("parse_instruction", *args, stdout=StringIO())
    assert "\n" not in str(info.value)


def test_empty_text_exits_non_zero_with_one_line():
    # A subprocess uses the project database, not the test one, so only the error path (no DB access) is tested.
    env = {**os.environ, "PYTHONIOENCODING": "utf-8"}
    proc = subprocess.run(
        [sys.executable, "manage.py", "parse_instruction", "", "--json"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=False,
    )
    assert proc.returncode != 0
    assert proc.stdout == ""
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "批办内容为空" in lines[0]
