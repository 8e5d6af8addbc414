"""``manage.py parse_telegram FILE [--json]``: the contract output, encodings and one-line failures."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from telegrams.textparse import FIELD_NAMES

ROOT = Path(__file__).resolve().parents[2]
SEED = Path(__file__).resolve().parent / "samples" / "seed_744.txt"
SEED_EXPECTED = {
    "receipt_no": "宁机明收[2020]744号",
    "sender_unit": "中华全国总工会办公厅",
    "precedence": "特提",
    "classification": "明电",
    "received_at": "2020-05-01T21:36:00+08:00",
    "title": "中华全国总工会关于学习宣传贯彻习近平总书记给郑州圆方集团职工回信精神的通知",
    "annotation": None,
    "instruction": "送：自治区总工会。",
    "sending_unit": "中华全国总工会",
    "sender_doc_no": "工发电〔2020〕7号",
    "addressees": ["各省、自治区、直辖市总工会", "各全国产业工会", "中央和国家机关工会联合会", "全总各部门、各直属单位"],
    "signatory": "中华全国总工会办公厅",
    "signed_on": "2020-05-01",
    "cc": ["新疆生产建设兵团总工会"],
}


def run(*args: str) -> str:
    out = StringIO()
    call_command("parse_telegram", *args, stdout=out)
    return out.getvalue()


def check_seed_json(data: dict[str, object]) -> None:
    assert list(data) == list(FIELD_NAMES)
    for key, value in SEED_EXPECTED.items():
        assert data[key] == value, key
    assert isinstance(data["body"], str) and data["body"].startswith("4月30日")


def test_json_output_is_one_contract_object() -> None:
    out = run(str(SEED), "--json")
    assert out.strip().count("\n") == 0
    check_seed_json(json.loads(out))
    assert "宁机明收" in out  # ensure_ascii=False: readable Chinese, not \\u escapes


def test_readable_listing() -> None:
    out = run(str(SEED))
    assert "收文号：宁机明收[2020]744号" in out
    assert "收报时间：2020年5月1日21时36分" in out
    assert "主送：各省、自治区、直辖市总工会；各全国产业工会" in out
    assert "领导批示：（未识别）" in out
    assert "未识别字段：领导批示" in out


@pytest.mark.parametrize("encoding", ["gb18030", "gbk", "utf-8-sig"])
def test_reads_gbk_and_bom_files(tmp_path: Path, encoding: str) -> None:
    path = tmp_path / "telegram.txt"
    path.write_bytes(SEED.read_text(encoding="utf-8").encode(encoding))
    check_seed_json(json.loads(run(str(path), "--json")))


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(CommandError, match="文件不存在"):
        run(str(tmp_path / "nope.txt"), "--json")


def test_directory_is_refused(tmp_path: Path) -> None:
    with pytest.raises(CommandError, match="不是文件"):
        run(str(tmp_path), "--json")


def test_undecodable_file(tmp_path: Path) -> None:
    path = tmp_path / "binary.txt"
    path.write_bytes(b"\xff\xfe\xff\x00\x81")
    with pytest.raises(CommandError, match="无法识别文件编码"):
        run(str(path), "--json")


@pytest.mark.parametrize("content", ["今天天气很好。\n我们去公园散步吧。", "", "   \n"])
def test_unparsable_text(tmp_path: Path, content: str) -> None:
    path = tmp_path / "prose.txt"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(CommandError) as exc_info:
        run(str(path), "--json")
    message = str(exc_info.value)
    assert "\n" not in message
    assert "电报文本" in message


# ---------------------------------------------------------------------------------------------
# Through manage.py, as outside checks call it


def manage(*args: str) -> subprocess.CompletedProcess[bytes]:
    env = {**os.environ, "PYTHONIOENCODING": "utf-8"}
    return subprocess.run(
        [sys.executable, "manage.py", "parse_telegram", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        timeout=120,
        check=False,  # the exit code is what we assert
    )


def test_subprocess_good_input_exits_zero() -> None:
    proc = manage(str(SEED), "--json")
    assert proc.returncode == 0, proc.stderr.decode("utf-8", "replace")
    lines = proc.stdout.decode("utf-8").strip().splitlines()
    assert len(lines) == 1
    check_seed_json(json.loads(lines[0]))


def test_subprocess_bad_input_exits_non_zero(tmp_path: Path) -> None:
    prose = tmp_path / "prose.txt"
    prose.write_text("今天天气很好。", encoding="utf-8")
    for args in ([str(prose), "--json"], [str(tmp_path / "missing.txt"), "--json"]):
        proc = manage(*args)
        assert proc.returncode != 0
        assert proc.stdout == b""
        err = proc.stderr.decode("utf-8", "replace").strip()
        assert len(err.splitlines()) == 1, err
        assert "文件不存在" in err or "无法识别电报文本" in err
