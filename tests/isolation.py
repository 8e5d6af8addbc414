"""A pytest plugin (pytest.ini: -p tests.isolation): state that lives outside the test database gets a fresh
place per test, like the database itself — the audit witness log (a test's rolled-back chain must not meet an
earlier test's witnessed checkpoints)."""
from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _own_witness_log(settings, tmp_path, monkeypatch):
    settings.AUDIT_WITNESS_DIR = tmp_path / "witness"
    settings.AUDIT_WITNESS_MIRRORS = []
    monkeypatch.setenv("AUDIT_WITNESS_DIR", str(tmp_path / "witness"))  # worker/server subprocesses too
