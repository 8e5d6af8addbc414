"""``manage.py import_telegram FILE|FOLDER [--user NAME]`` and the importing service: a telegram terminal's texts
registered through the same path as the form (number, encryption, audit, routing), each file once."""
from __future__ import annotations

import json
import re
import shutil
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from audit.models import AuditEntry
from intake import importing
from routing.models import RoutingOrder, UnknownUnit
from telegrams.models import ImportedFile, ReceiptCounter, Telegram

pytestmark = pytest.mark.django_db

SAMPLES = Path(__file__).parent / "samples"
SEED = SAMPLES / "seed_744.txt"


def run(*args: str) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("import_telegram", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def show(receipt_no: str) -> dict:
    out = StringIO()
    call_command("show_telegram", receipt_no, "--json", stdout=out)
    return json.loads(out.getvalue())


def test_the_seed_file_is_registered_with_its_paper_number_and_shown(demo, clerk):
    out, _ = run(str(SEED))
    assert out.splitlines()[-1] == "宁机明收[2020]744号"

    record = show("宁机明收[2020]744号")
    assert record["title"] == "中华全国总工会关于学习宣传贯彻习近平总书记给郑州圆方集团职工回信精神的通知"
    assert record["sender_unit"] == "中华全国总工会办公厅" and record["precedence"] == "特提"
    assert record["received_at"] == "2020-05-01T21:36:00+08:00"
    assert record["sender_doc_no"] == "工发电〔2020〕7号"
    assert record["instruction"] == "送：自治区总工会。"
    assert record["addressees"] == ["各省、自治区、直辖市总工会", "各全国产业工会", "中央和国家机关工会联合会",
                                    "全总各部门、各直属单位"]
    assert record["body"].startswith("4月30日") and record["state"] == "instructed"

    t = Telegram.objects.get()
    assert t.registered_by == clerk  # --user defaults to the first active 机要员
    assert "4月30日" not in t.body_enc  # encrypted like a form registration
    assert RoutingOrder.objects.filter(telegram=t).exists()  # the 批办 went out
    assert ReceiptCounter.objects.get(year=2020).last == 744
    imported = ImportedFile.objects.get()
    assert (imported.filename, imported.telegram, imported.imported_by) == ("seed_744.txt", t, clerk)
    actions = list(AuditEntry.objects.filter(object_id=str(t.pk)).values_list("action", flat=True))
    assert "telegram.register" in actions and "telegram.import" in actions


def test_importing_the_same_file_again_fails_and_registers_nothing(demo):
    run(str(SEED))
    audit_before = AuditEntry.objects.count()
    with pytest.raises(CommandError) as exc:
        run(str(SEED))
    message = str(exc.value)
    assert "\n" not in message and "已导入过" in message and "宁机明收[2020]744号" in message
    assert Telegram.objects.count() == 1 and AuditEntry.objects.count() == audit_before


def test_the_same_telegram_in_other_bytes_is_refused_as_a_duplicate(demo, tmp_path):
    run(str(SEED))
    copy = tmp_path / "744-gbk.txt"
    copy.write_bytes(SEED.read_text(encoding="utf-8").encode("gb18030"))  # same text, another encoding
    with pytest.raises(CommandError, match="重复收文：中华全国总工会办公厅 的 工发电〔2020〕7号 已经登记过"):
        run(str(copy))
    # Another telegram that carries a number already taken: refused, the number is not reused.
    other = tmp_path / "other.txt"
    other.write_text(SEED.read_text(encoding="utf-8").replace("工发电〔2020〕7号", "工发电〔2020〕70号"), encoding="utf-8")
    with pytest.raises(CommandError, match=r"收文号 宁机明收\[2020\]744号 已被占用"):
        run(str(other))
    assert Telegram.objects.count() == 1 and ImportedFile.objects.count() == 1


def test_numbers_move_on_after_an_imported_paper_number(demo, clerk_client, tmp_path):
    run(str(SEED))
    bare = tmp_path / "next.txt"
    bare.write_text(SEED.read_text(encoding="utf-8").replace("宁机明收[2020]744号", "").replace(
        "工发电〔2020〕7号", "工发电〔2020〕8号"), encoding="utf-8")
    out, _ = run(str(bare))
    assert out.splitlines()[-1] == "宁机明收[2020]745号"


def copy_samples(folder: Path) -> Path:
    folder.mkdir()
    for sample in SAMPLES.glob("*.txt"):
        shutil.copy(sample, folder / sample.name)
    (folder / "scan.txt").write_bytes(b"%PDF-1.4\n" + b"\x00" * 100)  # a stray binary named .txt
    (folder / "notes.md").write_text("不是 .txt，不看")
    return folder


def skip_lines(err: str) -> dict[str, str]:
    """file name → its 跳过 line on stderr."""
    return {m[1]: m[0] for m in re.finditer(r"^跳过 (\S+?)（.*$", err, re.M)}


def test_a_folder_is_imported_once_and_the_second_run_says_why_it_skips_everything(demo, tmp_path):
    folder = copy_samples(tmp_path / "terminal-out")
    out, err = run(str(folder))

    numbers = out.splitlines()
    assert numbers and all(n.startswith("宁机明收[") and n.endswith("号") for n in numbers)
    assert "宁机明收[2020]744号" in numbers
    assert len(numbers) == Telegram.objects.count() == ImportedFile.objects.count()
    skipped = skip_lines(err)
    # What the samples hold that cannot be registered here, each with its reason.
    assert "（密电不得登记）" in skipped["s10_yearless_mideng.txt"]
    # A 批办 naming a unit the directory lacks is no reason to skip: registered, the name waits for the clerk.
    assert "s01_guoban_teji.txt" not in skipped
    assert UnknownUnit.objects.filter(name="自治区水利厅", resolved_at__isnull=True).exists()
    assert "（缺少或不合规的项目）" in skipped["s03_bare_pingji.txt"]
    assert "请填写来电单位" in skipped["s03_bare_pingji.txt"] and "请填写收报时间" in skipped["s03_bare_pingji.txt"]
    assert "（无法读取）" in skipped["scan.txt"] and "PDF" in skipped["scan.txt"]
    assert "notes.md" not in err
    assert len(numbers) + len(skipped) == len(list(SAMPLES.glob("*.txt"))) + 1
    assert f"已登记 {len(numbers)} 份，跳过 {len(skipped)} 份" in err
    first_run = set(Telegram.objects.values_list("receipt_no", flat=True))

    # Second run: nothing new; every file is accounted for, and the run fails because some files still can't be
    # imported while nothing could be (the documented rule).
    audit_before = AuditEntry.objects.count()
    with pytest.raises(CommandError, match="没有登记任何来电"):
        out2, err2 = StringIO(), StringIO()
        try:
            call_command("import_telegram", str(folder), stdout=out2, stderr=err2)
        finally:
            second_out, second_err = out2.getvalue(), err2.getvalue()
    assert second_out == ""
    skipped2 = skip_lines(second_err)
    assert set(skipped2) == set(skipped) | {n for n in (p.name for p in folder.glob("*.txt")) if n not in skipped}
    for name in set(skipped2) - set(skipped):
        assert "（已导入过）" in skipped2[name]
    assert "（已导入过）" in skipped2["seed_744.txt"] and "宁机明收[2020]744号" in skipped2["seed_744.txt"]
    assert "（密电不得登记）" in skipped2["s10_yearless_mideng.txt"]
    assert set(Telegram.objects.values_list("receipt_no", flat=True)) == first_run
    assert AuditEntry.objects.count() == audit_before


def test_a_folder_run_that_only_finds_already_imported_files_succeeds(demo, tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    shutil.copy(SEED, folder / "a.txt")
    assert run(str(folder))[0] == "宁机明收[2020]744号\n"
    shutil.copy(SEED, folder / "b.txt")  # the same bytes under another name
    out, err = run(str(folder))
    assert out == ""
    assert "跳过 b.txt（已导入过）" in err and "跳过 a.txt（已导入过）" in err
    assert Telegram.objects.count() == 1


def test_a_new_file_dropped_into_the_folder_is_picked_up_on_the_next_run(demo, tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    shutil.copy(SAMPLES / "s10_yearless_mideng.txt", folder / "s10.txt")  # 密电: refused
    with pytest.raises(CommandError):
        run(str(folder))
    shutil.copy(SEED, folder / "seed.txt")
    out, err = run(str(folder))  # one registered, one failing: exit 0, the failure reported
    assert out.splitlines() == ["宁机明收[2020]744号"]
    assert "跳过 s10.txt（密电不得登记）" in err


def test_user_option(demo, leader):
    with pytest.raises(CommandError, match="用户不存在或已停用：nobody"):
        run(str(SEED), "--user", "nobody")
    with pytest.raises(CommandError, match="不是机要员"):
        run(str(SEED), "--user", "leader")
    demo["clerk"].is_active = False
    demo["clerk"].save()
    with pytest.raises(CommandError, match="用户不存在或已停用：clerk"):
        run(str(SEED), "--user", "clerk")
    with pytest.raises(CommandError, match="没有在用的机要员账号"):
        run(str(SEED))
    assert not Telegram.objects.exists()


def test_bad_paths_and_unreadable_files_exit_with_one_line(demo, tmp_path):
    with pytest.raises(CommandError, match="文件不存在"):
        run(str(tmp_path / "nope.txt"))
    garbage = tmp_path / "garbage.txt"
    garbage.write_text("hello world 12345", encoding="utf-8")
    with pytest.raises(CommandError, match="garbage.txt：无法识别电报文本") as exc:
        run(str(garbage))
    assert "\n" not in str(exc.value)
    assert not Telegram.objects.exists() and not ImportedFile.objects.exists()


def test_import_text_with_an_unknown_unit_registers_it_and_flags_the_name(demo, clerk):
    text = SEED.read_text(encoding="utf-8").replace("送：自治区总工会。", "送：自治区总公会。")
    flagged = importing.import_text(text, actor=clerk)
    assert flagged.receipt_no == "宁机明收[2020]744号" and not RoutingOrder.objects.filter(telegram=flagged).exists()
    waiting = UnknownUnit.objects.get(telegram=flagged)
    assert waiting.name == "自治区总公会" and "自治区总工会" in waiting.suggestions  # the suggestion, for the clerk
    assert AuditEntry.objects.filter(action="routing.unknown_units").exists()
    assert not ImportedFile.objects.exists()  # a text, not a file: nothing to remember
