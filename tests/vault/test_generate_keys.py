"""generate_keys prints the three production secrets in exactly the form settings.py reads."""
from __future__ import annotations

import base64
import io
import json
import os
import subprocess
import sys

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.core.management import call_command

from tests.conftest import ROOT
from vault import crypto

NAMES = ["DJANGO_SECRET_KEY", "TELEGRAM_DATA_KEYS", "AUDIT_SIGNING_KEY"]


def generate() -> tuple[str, dict[str, str]]:
    out = io.StringIO()
    call_command("generate_keys", stdout=out)
    text = out.getvalue()
    return text, dict(line.split("=", 1) for line in text.splitlines())


def test_three_lines_and_nothing_else_each_value_usable():
    text, values = generate()
    assert [line.split("=", 1)[0] for line in text.splitlines()] == NAMES
    assert len(values["DJANGO_SECRET_KEY"]) >= 50 and len(set(values["DJANGO_SECRET_KEY"])) >= 5
    ring = crypto.KeyRing.parse(values["TELEGRAM_DATA_KEYS"])
    assert len(ring.keys) == 1 and len(ring.keys[ring.current]) == 32
    token = crypto.seal_text("正文", b"telegram:x:body", ring)
    assert crypto.open_text(token, b"telegram:x:body", ring) == "正文"
    raw = base64.b64decode(values["AUDIT_SIGNING_KEY"], validate=True)
    assert len(raw) == 32
    Ed25519PrivateKey.from_private_bytes(raw).sign(b"checkpoint")


def test_every_run_gives_fresh_values():
    _, a = generate()
    _, b = generate()
    assert all(a[name] != b[name] for name in NAMES)


def _settings_in_subprocess(env: dict[str, str]) -> dict[str, str]:
    code = (
        "import django, json; django.setup(); from django.conf import settings as s; "
        f"print(json.dumps({{n: getattr(s, 'SECRET_KEY' if n == 'DJANGO_SECRET_KEY' else n) for n in {NAMES!r}}}))"
    )
    clean = {k: v for k, v in os.environ.items() if k not in NAMES and k != "DJANGO_DEBUG"}
    proc = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env={**clean, **env},
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout.strip().splitlines()[-1])


def test_production_settings_start_with_the_printed_values(tmp_path):
    """DEBUG off refuses to start without the three secrets; with the printed lines as the environment it
    starts and reads them back unchanged."""
    _, values = generate()
    got = _settings_in_subprocess({"DJANGO_DEBUG": "off", "TELEGRAM_VAR_DIR": str(tmp_path), **values})
    assert got == values


def test_the_printed_lines_work_as_an_env_file(tmp_path):
    """The same lines saved as a file are read by settings' own env-file reader (var/secrets.env)."""
    text, values = generate()
    (tmp_path / "secrets.env").write_text(text)
    got = _settings_in_subprocess({"TELEGRAM_VAR_DIR": str(tmp_path)})
    assert got == values
