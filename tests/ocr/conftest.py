from __future__ import annotations

import pytest

from ocr import engine


@pytest.fixture
def scan_root(settings, tmp_path):
    settings.SCAN_ROOT = tmp_path / "scans"
    return settings.SCAN_ROOT


@pytest.fixture
def sent(monkeypatch):
    """Tasks the actions send to the `ocr` queue, recorded instead of published."""
    calls: list[int] = []
    monkeypatch.setattr("ocr.actions.dispatch", calls.append)
    return calls


needs_ocr = pytest.mark.skipif(not engine.available(), reason="the OCR extra (requirements-ocr.txt) is not installed")
