"""Scans at the desk: the OCR engine is replaced by a stand-in that "reads" the seed's receipt text line by line
(the real engine is tested in tests/ocr and the browser journey); the ocr queue is recorded, not published."""
from __future__ import annotations

import io
from pathlib import Path

import pytest

from ocr import engine
from ocr.layout import Line
from tests.browser.helpers import tiny_png

SEED_TEXT = (Path(__file__).parent.parent / "telegrams" / "samples" / "seed_744.txt").read_text(encoding="utf-8")
# A small but real PNG and JPEG (their headers are read for the pixel size), and a PDF as far as content sniffing
# looks at it.
PNG = tiny_png(48, 24)
PDF = b"%PDF-1.7\n" + b"\x00" * 64


def jpeg(width: int = 40, height: int = 30) -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (width, height), "white").save(out, "JPEG")
    return out.getvalue()


@pytest.fixture(autouse=True)
def scan_root(settings, tmp_path):
    settings.SCAN_ROOT = tmp_path / "scans"
    return settings.SCAN_ROOT


@pytest.fixture
def sent(monkeypatch):
    """Jobs sent to the `ocr` queue, recorded instead of published."""
    calls: list[int] = []
    monkeypatch.setattr("ocr.actions.dispatch", calls.append)
    return calls


@pytest.fixture
def ocr_installed(monkeypatch):
    monkeypatch.setattr(engine, "available", lambda: True)


@pytest.fixture
def ocr_missing(monkeypatch):
    monkeypatch.setattr(engine, "available", lambda: False)


def seed_lines(doubtful: dict[str, float] | None = None) -> list[Line]:
    """The seed text as OCR lines, every line read with 0.995 except those containing a key of `doubtful`."""
    doubtful = doubtful or {}
    lines = []
    for text in SEED_TEXT.splitlines():
        score = next((c for part, c in doubtful.items() if part in text), 0.995)
        lines.append(Line(text.strip(), score))
    return lines


@pytest.fixture
def reads_the_seed(monkeypatch):
    """The stand-in engine: two pages, progress reported, the seed's lines read (the title doubtful)."""

    def read_document(content, *, on_page=None, dpi=200, max_pages=10):
        for n in (1, 2):
            if on_page:
                on_page(n, 2)
        lines = seed_lines({"给郑州圆方集团职工回信精神的通知": 0.72, "工发电": 0.93})
        return engine.OcrResult(text="\n".join(ln.text for ln in lines), lines=lines, pages=2, seconds=3.0)

    monkeypatch.setattr(engine, "read_document", read_document)
