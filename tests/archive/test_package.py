"""The archive package: export → verify OK, and every kind of tampering named by `verify_archive`, which needs
neither the database nor Django's settings."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.conf import settings as django_settings
from django.core.management import CommandError, call_command

from archive import verifier
from audit import merkle, services, signing
from audit.models import AuditEntry, Checkpoint
from audit.verify import verify_chain
from core.errors import NotAllowed
from printing import archive_package
from telegrams.models import Telegram
from tests import factories
from tests.audit.helpers import append, sql, tampering

from .helpers import export, files_of, problem, repack

pytestmark = pytest.mark.django_db
ROOT = Path(django_settings.BASE_DIR)


@pytest.fixture
def archived(clerk, staff_zgh):
    """A finished telegram with two scans, archived, among other telegrams' entries before and after it."""
    factories.finished(clerk, staff_zgh)
    t = factories.finished(clerk, staff_zgh, scans=[factories.PDF, factories.PDF + b"% page 2\n"])
    factories.archive(t, clerk, "Y")
    factories.finished(clerk, staff_zgh)
    return Telegram.objects.get(pk=t.pk)


def test_a_package_exported_by_the_command_verifies_offline(archived, clerk, tmp_path, capsys):
    services.sign_head()
    out = tmp_path / "pkg.zip"
    call_command("export_archive", archived.receipt_no, "--out", str(out))
    assert capsys.readouterr().out.strip() == str(out)

    call_command("verify_archive", str(out))
    assert capsys.readouterr().out == "OK\n"
    key = signing.public_key_b64()
    call_command("verify_archive", str(out), "--public-key", key)
    assert capsys.readouterr().out == "OK\n"

    files = files_of(out.read_bytes())
    manifest = json.loads(files["manifest.json"])["metadata"]
    archival = archived.archivals.get()
    assert manifest["档号"] == archival.archive_no and manifest["保管期限"] == "永久" and manifest["密级"] == "无（明电）"
    assert manifest["receipt"]["receipt_no"] == archived.receipt_no
    assert f"<档号>{archival.archive_no}</档号>" in files["manifest.xml"].decode()
    assert files["body.txt"].decode() == archived.body
    assert files["slip.pdf"].startswith(b"%PDF")
    assert sorted(n for n in files if n.startswith("scans/")) == ["scans/01-scan1.pdf", "scans/02-scan2.pdf"]
    assert "BEGIN PUBLIC KEY" in files["public_key.pem"].decode()
    # Every file is in the hash list; the entries are this telegram's only (other telegrams travel as hashes).
    listed = {line.split("  ", 1)[1] for line in files["SHA256SUMS"].decode().splitlines()}
    assert listed == set(files) - {"SHA256SUMS"}
    entries = [json.loads(line) for line in files["audit/entries.jsonl"].decode().splitlines()]
    others = {str(pk) for pk in Telegram.objects.exclude(pk=archived.pk).values_list("pk", flat=True)}
    assert entries and not any(e["object_type"] == "telegrams.telegram" and e["object_id"] in others for e in entries)
    assert all(archived.receipt_no in e["data"] for e in entries)
    assert len({e["seq"] for e in entries}) < AuditEntry.objects.count()
    # The export itself is audited.
    assert AuditEntry.objects.filter(action="archive.export", object_id=str(archived.pk)).exists()


def test_every_kind_of_tampering_is_named(archived, clerk):
    package = export(archived, clerk)
    assert problem(package) is None
    entries = files_of(package)["audit/entries.jsonl"].decode().splitlines()

    def drop(name):
        return lambda files: files.pop(name)

    def put(name, data):
        return lambda files: files.__setitem__(name, data)

    def without_entry(kind):
        # The first entry (the registration) removed, or its data changed, with SHA256SUMS made to match.
        first = json.loads(entries[0])
        if kind == "changed":
            first["data"] = first["data"].replace(archived.receipt_no, archived.receipt_no + "（改）")
            rest = [json.dumps(first, ensure_ascii=False), *entries[1:]]
        else:
            rest = entries[1:]
        return put("audit/entries.jsonl", ("\n".join(rest) + "\n").encode()), first["seq"]

    cases = [
        (repack(package, put("body.txt", b"another body")), "changed file", "文件被改动：body.txt（SHA-256 与 SHA256SUMS 不符）"),
        (repack(package, put("body.txt", b"another body"), fix_hash_list=True), "changed file",
         "文件被改动：body.txt（与归档记录第"),
        (repack(package, drop("scans/02-scan2.pdf")), "missing file", "文件缺失：scans/02-scan2.pdf"),
        (repack(package, drop("scans/02-scan2.pdf"), fix_hash_list=True), "missing file",
         "文件缺失：scans/02-scan2.pdf（归档记录第"),
        (repack(package, drop("slip.pdf")), "missing file", "文件缺失：slip.pdf"),
        (repack(package, put("notes.txt", b"x")), "unlisted file", "清单外的文件：notes.txt"),
        (repack(package, put("manifest.xml", files_of(package)["manifest.xml"].replace(b"Y-0001", b"Y-0009")),
                fix_hash_list=True), "changed file", "文件被改动：manifest.xml（著录项与归档记录"),
    ]
    change, seq = without_entry("removed")
    cases.append((repack(package, change, fix_hash_list=True), "missing entry", f"审计记录缺失：第 {seq} 条"))
    change, seq = without_entry("changed")
    cases.append((repack(package, change, fix_hash_list=True), "broken chain", f"审计链不符：第 {seq} 条记录被改动"))

    for tampered, kind, message in cases:
        found = problem(tampered)
        assert found is not None and found.kind == kind and found.message.startswith(message), (kind, found)

    wrong_key = signing.public_key_b64(Ed25519PrivateKey.generate().public_key())
    found = problem(package, wrong_key)
    assert found.kind == "bad signature" and found.message.startswith("签名无效：签名树头") and "给定的公钥" in found.message
    # A package re-signed by a forger with its own key passes only a check against the key it carries.
    forger = Ed25519PrivateKey.generate()
    head = json.loads(files_of(package)["audit/tree_head.json"])

    def forge(files):
        files["public_key.pem"] = signing.public_key_pem(forger.public_key()).encode()
        files["audit/tree_head.json"] = json.dumps({**head, "signature": "AAAA"}).encode()

    assert problem(repack(package, forge, fix_hash_list=True)).kind == "bad signature"


def test_the_commands_name_the_problem_and_exit_non_zero(archived, clerk, tmp_path):
    bad = tmp_path / "bad.zip"
    bad.write_bytes(repack(export(archived, clerk), lambda f: f.__setitem__("body.txt", b"x")))
    with pytest.raises(CommandError, match=r"^changed file: 文件被改动：body.txt"):
        call_command("verify_archive", str(bad))
    with pytest.raises(CommandError, match="尚未归档"):
        call_command("export_archive", factories.another(clerk).receipt_no, "--out", str(tmp_path / "x.zip"))
    with pytest.raises(CommandError, match="没有收文号"):
        call_command("export_archive", "宁机明收[1999]1号", "--out", str(tmp_path / "x.zip"))


def test_verification_needs_no_database_and_no_django(archived, clerk, tmp_path):
    package = tmp_path / "pkg.zip"
    package.write_bytes(export(archived, clerk))
    key = signing.public_key_b64()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO", "DATABASE"))}
    env["DATABASE_URL"] = "postgres://nobody@127.0.0.1:1/nowhere"  # a database that does not exist
    # The pure module on its own: Django is never imported.
    probe = ("import sys, archive.verifier as v; v.verify(sys.argv[1], sys.argv[2]); "
             "assert not [m for m in sys.modules if m == 'django' or m.startswith('django.')], 'django imported'; print('OK')")
    run = subprocess.run([sys.executable, "-c", probe, str(package), key], cwd=ROOT, env=env,
                         capture_output=True, text=True, timeout=60)
    assert (run.returncode, run.stdout) == (0, "OK\n"), run.stderr
    run = subprocess.run([sys.executable, "-m", "archive.verifier", str(package), "--public-key", key], cwd=ROOT, env=env,
                         capture_output=True, text=True, timeout=60)
    assert (run.returncode, run.stdout) == (0, "OK\n"), run.stderr
    # The management command too, with the database pointing nowhere.
    run = subprocess.run([sys.executable, "manage.py", "verify_archive", str(package), "--public-key", key], cwd=ROOT,
                         env=env, capture_output=True, text=True, timeout=120)
    assert (run.returncode, run.stdout) == (0, "OK\n"), run.stderr
    package.write_bytes(repack(package.read_bytes(), lambda f: f.pop("body.txt")))
    run = subprocess.run([sys.executable, "manage.py", "verify_archive", str(package)], cwd=ROOT, env=env,
                         capture_output=True, text=True, timeout=120)
    assert run.returncode != 0 and "文件缺失：body.txt" in run.stderr


def test_a_package_waits_for_a_checkpoint_covering_its_archive_entry(clerk, staff_zgh):
    t = factories.finished(clerk, staff_zgh)
    services.sign_head()
    factories.archive(t, clerk)
    with pytest.raises(NotAllowed, match="尚未被签名检查点覆盖"):
        archive_package.build(Telegram.objects.get(pk=t.pk), actor=clerk)
    services.sign_head()
    assert problem(archive_package.build(Telegram.objects.get(pk=t.pk), actor=clerk).content) is None


def test_a_year_exports_one_package_per_telegram_and_an_index(clerk, staff_zgh, tmp_path, capsys):
    made = [factories.archive(factories.finished(clerk, staff_zgh), clerk, r) for r in ("D30", "Y", "D30")]
    services.sign_head()
    year = made[0].year
    call_command("export_archive", "--year", str(year), "--out", str(tmp_path / "out"))
    printed = capsys.readouterr().out.split()
    names = sorted(p.name for p in (tmp_path / "out").glob("*.zip"))
    assert names == sorted(f"{a.archive_no}.zip" for a in made) and printed[-1].endswith("index.json")
    index = json.loads((tmp_path / "out" / "index.json").read_text())
    assert index["件数"] == 3 and {row["档号"] for row in index["packages"]} == {a.archive_no for a in made}
    assert (tmp_path / "out" / "index.csv").read_text(encoding="utf-8-sig").startswith("档号,收文号,题名,保管期限,文件,sha256")
    for name in names:
        assert problem((tmp_path / "out" / name).read_bytes()) is None


def test_a_chain_signed_before_the_tree_existed_gets_a_tree_over_all_its_entries(clerk, staff_zgh):
    """Existing chains: checkpoints from before the tree carry no tree head; the next checkpoint builds the tree
    from seq 1, so the old entries are provable too (no data migration)."""
    append(5)
    old = services.sign_head().checkpoint
    with tampering():  # what a checkpoint written before migration 0005 looks like
        sql("UPDATE audit_checkpoint SET tree_root = '', tree_signature = '', tree_frontier = '' WHERE id = %s", [old.pk])
    append(3)
    t = factories.finished(clerk, staff_zgh)
    factories.archive(t, clerk)
    new = services.sign_head().checkpoint
    leaves = [merkle.leaf_hash(h) for h in AuditEntry.objects.order_by("seq").values_list("hash", flat=True)]
    assert new.tree_root == merkle.root(leaves).hex() and len(leaves) == new.seq
    assert verify_chain().ok
    assert problem(archive_package.build(Telegram.objects.get(pk=t.pk), actor=clerk).content) is None


def test_verify_audit_catches_a_tree_head_that_does_not_match_the_chain(clerk):
    append(4)
    services.sign_head()
    append(3)
    cp = services.sign_head().checkpoint
    assert Checkpoint.objects.count() == 2 and verify_chain().ok
    forged_root = "ab" * 32
    with tampering():
        sql("UPDATE audit_checkpoint SET tree_root = %s WHERE id = %s", [forged_root, cp.pk])
    result = verify_chain()
    assert (result.ok, result.first_bad_seq, result.reason) == (False, cp.seq, "tree root mismatch")
    with tampering():
        sql("UPDATE audit_checkpoint SET tree_root = %s, tree_signature = %s WHERE id = %s",
            [cp.tree_root, cp.signature, cp.pk])
    result = verify_chain()
    assert (result.ok, result.reason) == (False, "bad tree head signature")


def test_the_verifier_module_imports_nothing_of_django():
    source = (ROOT / "archive" / "verifier.py").read_text()
    imports = [line for line in source.splitlines() if line.startswith(("import ", "from "))]
    assert not [line for line in imports if "django" in line], imports
    assert verifier.load_public_key(signing.public_key_b64())


def test_the_command_signs_the_covering_checkpoint_itself_where_it_holds_the_key(clerk, staff_zgh, tmp_path, capsys):
    """On the embedded default every process holds the signing key: an export right after 归档 needs no beat."""
    t = factories.finished(clerk, staff_zgh)
    factories.archive(t, clerk)
    out = tmp_path / "now.zip"
    call_command("export_archive", t.receipt_no, "--out", str(out))
    assert capsys.readouterr().out.strip() == str(out)
    assert problem(out.read_bytes()) is None


def test_without_the_key_the_command_says_to_wait_for_the_signer(clerk, staff_zgh, tmp_path, settings):
    t = factories.finished(clerk, staff_zgh)
    factories.archive(t, clerk)
    settings.AUDIT_SIGNING_KEY = ""  # web and worker in production: only beat signs
    with pytest.raises(CommandError, match="尚未被签名检查点覆盖"):
        call_command("export_archive", t.receipt_no, "--out", str(tmp_path / "later.zip"))
    assert not (tmp_path / "later.zip").exists()
