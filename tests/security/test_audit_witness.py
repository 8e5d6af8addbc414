"""A database superuser attacks the audit chain; the witness log outside the database (and the entries' MACs)
catch every attack that `verify_audit` used to call OK.

On PostgreSQL the attacker works as a superuser would: `SET session_replication_role = replica` switches every
trigger off for the session (the append-only guards included). On SQLite there are no triggers to switch off.
Each attack ends the same way: `verify_audit` exits non-zero naming the seq, `audit_checkpoint` refuses to sign
(non-zero) and an alarm is raised — shown on the audit pages and /healthz, and announced for the admin alert."""
from __future__ import annotations

import json
import shutil
from contextlib import contextmanager
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from alarms.models import Alarm, Kind
from audit import signing, witness
from audit.chain import link_hash
from audit.events import AuditAlarm
from audit.mac import entry_mac
from audit.models import AuditEntry, ChainHead, Checkpoint
from audit.verify import verify_chain
from core import events
from tests.audit.helpers import append, forged, insert_raw, row, set_head, sql
from tests.conftest import client_for

pytestmark = pytest.mark.django_db


def run(*args) -> str:
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue().strip().splitlines()[-1]


def fails(*args) -> str:
    with pytest.raises(CommandError) as caught:
        call_command(*args, stdout=StringIO())
    return str(caught.value)


@contextmanager
def superuser():
    """Every trigger off for this session, as `SET session_replication_role = replica` does for a superuser."""
    if connection.vendor == "postgresql":
        sql("SET session_replication_role = replica")
    try:
        yield
    finally:
        if connection.vendor == "postgresql":
            sql("SET session_replication_role = origin")


@pytest.fixture
def announced(monkeypatch):
    """The AuditAlarm events, as the notifications app's listener would receive them (after commit)."""
    seen: list[AuditAlarm] = []
    monkeypatch.setitem(events._listeners, AuditAlarm, [seen.append])
    return seen


@pytest.fixture
def chain():
    """Ten entries; the signer witnessed seq 5, so the witness log outside the database holds (5, hash)."""
    append(5)
    assert run("audit_checkpoint") == f"checkpoint 5 {row(5).hash}"
    append(5)
    assert run("verify_audit") == "OK 10 entries"
    return list(AuditEntry.objects.order_by("seq"))


def assert_caught(seq: int, reason: str, announced, django_capture_on_commit_callbacks) -> None:
    assert fails("verify_audit") == f"FAIL at seq {seq}: {reason}"
    with django_capture_on_commit_callbacks(execute=True):
        message = fails("audit_checkpoint")
    assert "拒绝签署检查点" in message
    alarm = Alarm.objects.get(kind=Kind.AUDIT, cleared_at__isnull=True)
    assert "拒绝签署检查点" in alarm.message
    assert [e.alarm_id for e in announced] == [alarm.pk]
    assert Checkpoint.objects.filter(seq__gt=5).count() == 0  # nothing new was signed


def test_rehash_after_an_edit_with_the_checkpoints_deleted_is_caught(
        chain, announced, django_capture_on_commit_callbacks):
    """The old attack: edit seq 3, delete the checkpoints, re-hash to the head. Even with the application's MAC
    key (an insider), the witnessed hash at seq 5 no longer matches."""
    prev = chain[2].prev_hash
    with superuser():
        sql("DELETE FROM audit_checkpoint")
        for e in chain[2:]:
            data = '{"i":"改"}' if e.seq == 3 else e.data
            digest = link_hash(prev, e.seq, e.at, e.actor_id, e.actor_name, e.action, e.object_type, e.object_id, data)
            sql("UPDATE audit_auditentry SET data = %s, prev_hash = %s, hash = %s, mac = %s WHERE seq = %s",
                [data, prev, digest, entry_mac(digest), e.seq])
            prev = digest
        set_head(10, prev)
    assert_caught(5, "witnessed hash mismatch", announced, django_capture_on_commit_callbacks)


def test_cutting_the_chain_back_with_its_checkpoints_and_head_is_caught(
        chain, announced, django_capture_on_commit_callbacks):
    with superuser():
        sql("DELETE FROM audit_auditentry WHERE seq > 3")
        sql("DELETE FROM audit_checkpoint")
        set_head(3, row(3).hash)
    assert_caught(5, "witnessed entry missing (chain head at seq 3)", announced, django_capture_on_commit_callbacks)


def test_emptying_the_chain_is_caught(chain, announced, django_capture_on_commit_callbacks):
    with superuser():
        sql("DELETE FROM audit_auditentry")
        sql("DELETE FROM audit_checkpoint")
        set_head(0, "0" * 64)
    assert_caught(5, "witnessed entry missing (chain head at seq 0)", announced, django_capture_on_commit_callbacks)


def test_a_forged_appended_entry_is_never_signed(chain, announced, django_capture_on_commit_callbacks):
    """A forged 批示 entry for a leader, appended with a correct link and the head moved: the signer refuses to
    sign it (the entry lacks the MAC only the application can compute), so it never gets a checkpoint."""
    entry = forged(11, row(10).hash, action="annotation.write", data=json.dumps({"text": "同意，立即办理"}))
    with superuser():
        insert_raw(entry)
        set_head(11, entry["hash"])
    assert_caught(11, "bad entry mac", announced, django_capture_on_commit_callbacks)
    assert Checkpoint.objects.order_by("-seq").first().seq == 5


def test_the_alarm_shows_on_the_audit_pages_and_healthz(chain, admin_user, django_capture_on_commit_callbacks):
    with superuser():
        sql("DELETE FROM audit_auditentry WHERE seq > 3")
        set_head(3, row(3).hash)
    with django_capture_on_commit_callbacks(execute=True):
        fails("audit_checkpoint")
    admin = client_for(admin_user)
    for name in ("audit:log", "audit:verify"):
        page = admin.get(reverse(name)).content.decode()
        assert 'id="alarm-banner"' in page and "审计链被截断或清空" in page, name
    health = admin.get("/healthz").json()
    assert health["audit"] == "alarm"
    assert health["alarms"][0]["kind"] == "audit" and "第 5 条" in health["alarms"][0]["message"]
    # Seen again by the next beat: still one alarm, counted, no second announcement.
    fails("audit_checkpoint")
    assert Alarm.objects.get(kind=Kind.AUDIT).seen == 2


def test_an_intact_chain_has_no_banner_and_healthz_says_ok(chain, admin_user):
    admin = client_for(admin_user)
    assert 'id="alarm-banner"' not in admin.get(reverse("audit:log")).content.decode()
    health = admin.get("/healthz").json()
    assert health["audit"] == "ok" and health["alarms"] == []


def test_verify_audit_against_a_witness_copy_kept_elsewhere(chain, settings, tmp_path):
    """The configured witness is lost (or was never mounted); a copy kept elsewhere still catches the rewrite."""
    copy = tmp_path / "elsewhere.jsonl"
    shutil.copy(witness.configured_files()[0], copy)
    with superuser():
        sql("DELETE FROM audit_auditentry WHERE seq > 3")
        sql("DELETE FROM audit_checkpoint")
        set_head(3, row(3).hash)
    settings.AUDIT_WITNESS_DIR = tmp_path / "empty"
    assert run("verify_audit") == "OK 3 entries"  # without a witness, a cut-back chain looks whole…
    assert fails("verify_audit", "--witness", str(copy)) == "FAIL at seq 5: witnessed entry missing (chain head at seq 3)"
    assert "不存在" in fails("verify_audit", "--witness", str(tmp_path / "nope.jsonl"))


def test_a_forged_witness_line_is_no_witness(chain, tmp_path):
    lines = witness.configured_files()[0].read_text().splitlines()
    fake = json.loads(lines[0])
    fake.update(seq=8, hash=row(8).hash)  # a real hash, but signed by nobody
    forged_copy = tmp_path / "forged.jsonl"
    forged_copy.write_text(lines[0] + "\n" + json.dumps(fake) + "\n")
    assert fails("verify_audit", "--witness", str(forged_copy)) == "FAIL at seq 8: bad witness signature"
    torn = tmp_path / "torn.jsonl"
    torn.write_text(lines[0] + "\n" + lines[0][:20] + "\n")
    assert fails("verify_audit", "--witness", str(torn)).startswith("FAIL at seq 0: witness unreadable")
    # A damaged witness log is never signed past: the signer says so and raises the alarm.
    with witness.configured_files()[0].open("a") as f:
        f.write(lines[0][:20] + "\n")
    assert "见证日志无法读取" in fails("audit_checkpoint")
    assert Alarm.objects.filter(kind=Kind.AUDIT, key="witness-io").exists()


def test_missing_checkpoints_are_caught_against_the_configured_interval(settings):
    """Entries older than AUDIT_CHECKPOINT_MAX_LAG that no witnessed checkpoint covers: the signer stopped, or
    its checkpoints went missing. Once a checkpoint covers them, verify passes again."""
    settings.AUDIT_CHECKPOINT_MAX_LAG = 180
    append(3)
    later = timezone.now() + timedelta(seconds=200)
    result = verify_chain(now=later)
    assert (result.first_bad_seq, result.reason) == (1, "checkpoint overdue")
    assert verify_chain().ok  # within the lag: fine
    run("audit_checkpoint")
    assert verify_chain(now=later).ok
    append(1)
    result = verify_chain(now=later)
    assert (result.ok, result.first_bad_seq) == (False, 4)


def test_audit_checkpoint_prints_the_head_and_signs_only_what_is_new():
    assert run("audit_checkpoint") == f"checkpoint 0 {'0' * 64}"  # an empty chain: nothing to sign
    append(2)
    head = ChainHead.objects.get()
    assert run("audit_checkpoint") == f"checkpoint 2 {head.hash}"
    assert run("audit_checkpoint") == f"checkpoint 2 {head.hash}"  # nothing new: the same witnessed head
    assert Checkpoint.objects.count() == 1
    assert [w.seq for w in witness.read_all()] == [2]


def test_only_the_signer_holds_the_signing_key(settings):
    """Web and worker run with AUDIT_PUBLIC_KEY only: they verify, they cannot sign."""
    append(2)
    run("audit_checkpoint")
    settings.AUDIT_PUBLIC_KEY = signing.public_key_b64()
    settings.AUDIT_SIGNING_KEY = ""
    assert run("verify_audit") == "OK 2 entries"
    append(1)
    assert "AUDIT_SIGNING_KEY" in fails("audit_checkpoint")


def test_an_admin_clears_a_handled_alarm_and_that_is_audited(chain, django_capture_on_commit_callbacks):
    from django.contrib.auth.models import User

    with superuser():
        sql("DELETE FROM audit_auditentry WHERE seq > 3")
        set_head(3, row(3).hash)
    fails("audit_checkpoint")
    alarm = Alarm.objects.get(kind=Kind.AUDIT)
    root = User.objects.create_superuser("root", "root@example.com", "Root-pass-2026-x")
    response = client_for(root).post(reverse("admin:alarms_alarm_changelist"),
                                     {"action": "clear_selected", "_selected_action": [alarm.pk]})
    assert response.status_code == 302
    alarm.refresh_from_db()
    assert alarm.cleared_at is not None
    assert AuditEntry.objects.filter(action="alarms.cleared", object_id=str(alarm.pk)).exists()
