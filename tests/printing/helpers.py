"""The seed telegram (tests/telegrams/samples/seed_744.txt) registered through the clerk's form, with its full
body, its paper receipt number 744, its 批办 routed and a delivery signed and done — a slip with everything on it."""
from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from django.urls import reverse

from tests.telegrams.helpers import SEED_BODY_FILE, form

SEED_RECEIPT_NO = "宁机明收[2020]744号"


def seed_body() -> str:
    """The telegram's body as the seed has it: after the 主送 line, up to the signature."""
    lines = [line.strip() for line in SEED_BODY_FILE.read_text(encoding="utf-8").splitlines()]
    start = next(i for i, line in enumerate(lines) if line.startswith("各省") and line.endswith("："))
    end = max(i for i, line in enumerate(lines) if line == "中华全国总工会办公厅")
    return "\n".join(line for line in lines[start + 1:end] if line)


def register_seed(clerk_client, **overrides):
    from telegrams.models import Telegram

    data = form(receipt_no=SEED_RECEIPT_NO, body=seed_body(), **overrides)
    response = clerk_client.post(reverse("telegrams:create"), data)
    assert response.status_code == 302, response.content.decode()[:3000]
    return Telegram.objects.get(receipt_no=data["receipt_no"] or SEED_RECEIPT_NO)


def route_now(telegram) -> None:
    """Run the routing task in-process (the on_commit send never fires inside a test transaction)."""
    from tests.factories import route_pending

    route_pending(telegram)


def pdf_text(content: bytes) -> str:
    """The PDF's text in content order (WeasyPrint draws in document order): pdftotext -raw, else pypdf."""
    if shutil.which("pdftotext"):
        done = subprocess.run(["pdftotext", "-raw", "-enc", "UTF-8", "-", "-"], input=content,
                              capture_output=True, check=True)
        return done.stdout.decode("utf-8")
    import io

    from pypdf import PdfReader

    return "\n".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(content)).pages)


def squeeze(text: str) -> str:
    """Text without whitespace: table cells and line wraps put spaces and newlines between characters."""
    return "".join(text.split())


def pdf_to_png(content: bytes, out_dir: Path, *, resolution: int = 80) -> list[Path]:
    pdf = out_dir / "slip.pdf"
    pdf.write_bytes(content)
    subprocess.run(["pdftoppm", "-png", "-r", str(resolution), str(pdf), str(out_dir / "page")], check=True)
    return sorted(out_dir.glob("page*.png"))
