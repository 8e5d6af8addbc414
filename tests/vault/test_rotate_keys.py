"""Key rotation journeys: the office puts a new key first, runs rotate_keys, and then retires the old key."""
from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import time
import uuid

import pytest
from django.core.management import CommandError, call_command

from audit.models import AuditEntry
from telegrams.models import Scan, Telegram
from tests.conftest import ROOT, db_url_for_subprocess
from vault import crypto, registry

from .conftest import ANNOTATION, PDF, RESULT, register_seed, route_and_complete, write_annotation

pytestmark = pytest.mark.django_db


def run(*args) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("rotate_keys", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def tokens() -> dict[str, list[str]]:
    """Every stored value's key id, per registry kind (files read from disk)."""
    found = {}
    for kind in registry.sealed_fields():
        values = kind.model._base_manager.exclude(**{kind.field: ""}).values_list(kind.field, flat=True)
        found[kind.name] = [crypto.text_key_id(v) for v in values]
    for files in registry.sealed_files():
        rows = list(files.model._base_manager.all())
        found[files.name] = [crypto.key_id_of(files.path(r).read_bytes()) for r in rows]
        found[files.name + " key_id"] = [getattr(r, files.key_field) for r in rows]
    return found


def everything_opens(telegrams, delivery, annotation=None) -> None:
    for t in telegrams:
        t = Telegram.objects.get(pk=t.pk)
        assert t.body.startswith("4月30日")
        for scan in Scan.objects.filter(telegram=t):
            assert scan.read() == PDF
    delivery.refresh_from_db()
    assert delivery.result == RESULT
    if annotation is not None:
        annotation.refresh_from_db()
        assert annotation.text == ANNOTATION


@pytest.fixture
def office(clerk, clerk_client, staff_zgh, leader, keys, scan_root):
    """Two telegrams with scans, a 办结 result and a 批示, all sealed under the old key."""
    first = register_seed(clerk)
    second = register_seed(clerk, sender_doc_no="工发电〔2020〕8号", body="4月30日，第二件来电正文。")
    delivery = route_and_complete(first, staff_zgh)
    annotation = write_annotation(first, leader)
    return {"telegrams": [first, second], "delivery": delivery, "annotation": annotation}


def test_rotation_moves_everything_to_the_new_key_and_the_old_key_can_then_go(office, keys, settings):
    before = tokens()
    assert all(kid == keys["old_kid"] for kids in before.values() for kid in kids)
    expected = sum(len(kids) for name, kids in before.items() if not name.endswith("key_id"))
    assert expected == 2 + 2 + 1 + (1 if office["annotation"] else 0)  # bodies, scans, result, 批示

    # Without rotation, retiring the old key would lose the data: the test below can fail.
    settings.TELEGRAM_DATA_KEYS = keys["new"]
    with pytest.raises(crypto.VaultError):
        _ = Telegram.objects.get(pk=office["telegrams"][0].pk).body

    settings.TELEGRAM_DATA_KEYS = f"{keys['new']},{keys['old']}"  # the office puts the new key first
    out, _ = run()
    assert out.splitlines()[0].startswith(f"已重新加密 {expected} 项，跳过 0 项")
    assert all(kid == keys["new_kid"] for kids in tokens().values() for kid in kids)
    everything_opens(office["telegrams"], office["delivery"], office["annotation"])

    out, _ = run()  # resumable: a second run finds nothing to do
    assert out.splitlines()[0].startswith(f"已重新加密 0 项，跳过 {expected} 项")

    settings.TELEGRAM_DATA_KEYS = keys["new"]  # the old key is removed from the ring
    everything_opens(office["telegrams"], office["delivery"], office["annotation"])

    audits = list(AuditEntry.objects.filter(action="vault.rotate_keys").order_by("seq"))
    assert len(audits) == 2 and audits[0].object_type == "vault"
    first, second = (json.loads(a.data) for a in audits)
    assert (first["reencrypted"], first["skipped"], first["key_id"]) == (expected, 0, keys["new_kid"])
    assert (second["reencrypted"], second["skipped"]) == (0, expected)
    assert "4月30日" not in audits[0].data


def test_rotation_in_small_batches_reaches_the_same_end(office, keys, settings):
    settings.TELEGRAM_DATA_KEYS = f"{keys['new']},{keys['old']}"
    run("--batch-size", "1")
    assert all(kid == keys["new_kid"] for kids in tokens().values() for kid in kids)
    settings.TELEGRAM_DATA_KEYS = keys["new"]
    everything_opens(office["telegrams"], office["delivery"], office["annotation"])


def test_a_value_no_key_opens_stops_the_run_naming_the_row_and_its_batch_is_not_written(office, keys, settings):
    first, second = office["telegrams"]
    # Simulate a ciphertext copied from another row: it can only fail to open.
    Telegram.objects.filter(pk=second.pk).update(body_enc=Telegram.objects.get(pk=first.pk).body_enc)
    settings.TELEGRAM_DATA_KEYS = f"{keys['new']},{keys['old']}"
    with pytest.raises(CommandError) as err:
        run()
    message = str(err.value)
    assert f"telegrams.Telegram #{second.pk}" in message and str(second.uid) in message and "body_enc" in message
    assert "\n" not in message
    # Both bodies were in the failing batch: neither was rewritten.
    assert {crypto.text_key_id(v) for v in Telegram.objects.values_list("body_enc", flat=True)} == {keys["old_kid"]}
    failed = AuditEntry.objects.get(action="vault.rotate_keys")
    assert f"telegrams.Telegram #{second.pk}" in failed.data

    # Batches of one: the first body is committed before the second one stops the run; a re-run after the
    # repair picks up where it stopped.
    with pytest.raises(CommandError):
        run("--batch-size", "1")
    assert crypto.text_key_id(Telegram.objects.get(pk=first.pk).body_enc) == keys["new_kid"]
    repaired = Telegram.objects.get(pk=second.pk)
    repaired.set_body("4月30日，第二件来电正文（重新录入）。")
    repaired.save()
    out, _ = run("--batch-size", "1")
    assert "已重新加密" in out
    assert all(kid == keys["new_kid"] for kids in tokens().values() for kid in kids)


def test_a_missing_scan_file_stops_the_run_and_the_other_files_of_its_batch_stay_as_they_were(
    office, keys, settings, scan_root
):
    good = Scan.objects.filter(telegram=office["telegrams"][0]).get()
    scan = Scan.objects.filter(telegram=office["telegrams"][1]).get()
    scan.path.unlink()
    before = good.path.read_bytes()
    settings.TELEGRAM_DATA_KEYS = f"{keys['new']},{keys['old']}"
    with pytest.raises(CommandError, match=f"telegrams.Scan #{scan.pk}.*文件不存在"):
        run()
    # The good scan was re-sealed into a temporary file first; the failure threw that away.
    assert good.path.read_bytes() == before
    assert Scan.objects.get(pk=good.pk).key_id == keys["old_kid"]
    assert sorted(p.name for p in scan_root.iterdir()) == [good.path.name]


def test_a_scan_swapped_by_an_interrupted_run_is_only_relabelled(office, keys, settings):
    settings.TELEGRAM_DATA_KEYS = f"{keys['new']},{keys['old']}"
    scan = Scan.objects.filter(telegram=office["telegrams"][0]).get()
    # The file was re-sealed under the new key but the row's key_id was never committed.
    scan.path.write_bytes(crypto.seal(PDF, scan.aad))
    untouched = scan.path.read_bytes()
    out, _ = run()
    assert "修正 1 个扫描件的密钥标记" in out
    assert scan.path.read_bytes() == untouched
    scan.refresh_from_db()
    assert scan.key_id == keys["new_kid"] and scan.read() == PDF


def test_orphan_scan_files_are_reported_and_removed_only_when_old(office, keys, scan_root):
    old = scan_root / f"{uuid.uuid4()}.bin"
    fresh = scan_root / f"{uuid.uuid4()}.bin"
    for path in (old, fresh):
        path.write_bytes(b"k\x00" + os.urandom(40))
    os.utime(old, (time.time() - 7200, time.time() - 7200))
    out, _ = run()
    assert "发现 1 个无记录的扫描文件" in out and old.exists()
    out, _ = run("--remove-orphans")
    assert "已删除 1 个无记录的扫描文件" in out
    assert not old.exists() and fresh.exists()
    assert all(s.path.exists() for s in Scan.objects.all())  # files with a row are never orphans


def test_progress_goes_to_stderr_only_on_a_terminal(office, keys, settings):
    class Terminal(io.StringIO):
        def isatty(self):
            return True

    settings.TELEGRAM_DATA_KEYS = f"{keys['new']},{keys['old']}"
    _, err = run()
    assert err == ""
    terminal = Terminal()
    call_command("rotate_keys", stdout=io.StringIO(), stderr=terminal)
    assert "\rtelegrams.Telegram.body_enc：2/2" in terminal.getvalue()


@pytest.mark.parametrize("args, setting, message", [
    (["--batch-size", "0"], None, "--batch-size"),
    ([], "k1:short", "TELEGRAM_DATA_KEYS"),
])
def test_bad_options_and_a_bad_ring_are_refused(settings, args, setting, message):
    if setting:
        settings.TELEGRAM_DATA_KEYS = setting
    with pytest.raises(CommandError, match=message):
        call_command("rotate_keys", *args, skip_checks=True, stdout=io.StringIO())


@pytest.mark.django_db(transaction=True)
def test_the_command_exits_non_zero_with_a_one_line_reason(office, keys, settings, scan_root):
    first, second = office["telegrams"]
    Telegram.objects.filter(pk=second.pk).update(body_enc=Telegram.objects.get(pk=first.pk).body_enc)
    env = {**os.environ, "DATABASE_URL": db_url_for_subprocess(), "SCAN_ROOT": str(scan_root),
           "TELEGRAM_DATA_KEYS": f"{keys['new']},{keys['old']}"}
    proc = subprocess.run([sys.executable, "manage.py", "rotate_keys"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode != 0
    assert proc.stdout == ""
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and f"telegrams.Telegram #{second.pk}" in lines[0], proc.stderr
