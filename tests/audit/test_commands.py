"""The verify_audit and audit_public_key commands, as outside checks call them."""
from __future__ import annotations

import base64
import io
import os
import subprocess
import sys

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from django.core.management import CommandError, call_command

from audit import services, signing
from audit.chain import checkpoint_message
from audit.models import Checkpoint
from tests.conftest import ROOT, db_url_for_subprocess

from .helpers import append, sql, tampering


class Tty(io.StringIO):
    def isatty(self):
        return True


def run(*args, stderr=None) -> tuple[str, str]:
    out, err = io.StringIO(), stderr or io.StringIO()
    call_command(*args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


@pytest.mark.django_db
def test_verify_audit_prints_ok_n_entries_as_its_last_line():
    append(12)
    services.checkpoint()
    out, err = run("verify_audit")
    assert out.splitlines()[-1] == "OK 12 entries"
    assert err == ""  # progress only on a terminal


@pytest.mark.django_db
def test_progress_goes_to_stderr_on_a_terminal_and_stdout_stays_clean(monkeypatch):
    import audit.verify

    monkeypatch.setattr(audit.verify, "PROGRESS_EVERY", 5)
    append(12)
    out, err = run("verify_audit", stderr=Tty())
    assert out == "OK 12 entries\n"
    assert "12/12" in err


@pytest.mark.django_db
def test_verify_audit_fails_naming_the_first_bad_seq():
    append(20)
    with tampering():
        sql("UPDATE audit_auditentry SET data = %s WHERE seq = 17", ['{"i":"改"}'])
        sql("UPDATE audit_auditentry SET data = %s WHERE seq = 18", ['{"i":"也改"}'])
    with pytest.raises(CommandError) as exc:
        run("verify_audit")
    assert str(exc.value) == "FAIL at seq 17: hash mismatch"
    assert exc.value.returncode != 0


@pytest.mark.django_db
def test_verify_audit_against_a_public_key_given_on_the_command_line():
    append(3)
    services.checkpoint()
    kept_outside = run("audit_public_key")[0].strip()
    assert run("verify_audit", "--public-key", kept_outside)[0].splitlines()[-1] == "OK 3 entries"
    pem = run("audit_public_key", "--pem")[0]
    assert run("verify_audit", "--public-key", pem)[0].splitlines()[-1] == "OK 3 entries"
    other = signing.public_key_b64(Ed25519PrivateKey.generate().public_key())
    with pytest.raises(CommandError, match="FAIL at seq 3: bad checkpoint signature"):
        run("verify_audit", "--public-key", other)
    with pytest.raises(CommandError, match="--public-key 无效"):
        run("verify_audit", "--public-key", "not-a-key")


@pytest.mark.django_db
def test_audit_public_key_output_verifies_a_checkpoint_signature():
    append(2)
    cp = services.checkpoint()
    raw = base64.b64decode(run("audit_public_key")[0].strip(), validate=True)
    key = Ed25519PublicKey.from_public_bytes(raw)
    key.verify(base64.b64decode(cp.signature), checkpoint_message(cp.seq, cp.hash, cp.at))  # raises if bad
    stored = Checkpoint.objects.get(pk=cp.pk)  # what the database gave back verifies as well
    key.verify(base64.b64decode(stored.signature), checkpoint_message(stored.seq, stored.hash, stored.at))
    pem_key = serialization.load_pem_public_key(run("audit_public_key", "--pem")[0].encode())
    pem_key.verify(base64.b64decode(cp.signature), checkpoint_message(cp.seq, cp.hash, cp.at))


@pytest.mark.django_db(transaction=True)
def test_verify_audit_exits_non_zero_on_a_bad_chain_as_a_process():
    append(5)
    env = {**os.environ, "DATABASE_URL": db_url_for_subprocess()}
    cmd = [sys.executable, "manage.py", "verify_audit"]
    ok = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert ok.returncode == 0, ok.stderr
    assert ok.stdout.splitlines()[-1] == "OK 5 entries"
    with tampering():
        sql("DELETE FROM audit_auditentry WHERE seq = 2")
    bad = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert bad.returncode != 0
    assert "FAIL at seq 2: entry missing (deleted)" in bad.stderr
    assert len(bad.stderr.strip().splitlines()) == 1
