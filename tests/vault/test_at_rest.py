"""From the outside: after a telegram goes through the office, its body, 批示 and 办结 result appear nowhere in the
raw database (the SQLite file, or a pg_dump of the PostgreSQL database), and its scan file holds no plaintext."""
from __future__ import annotations

import os
import subprocess
import uuid
from pathlib import Path

import pytest
from django.db import connection

from tests.telegrams.helpers import SEED_FORM

from .conftest import (
    ANNOTATION,
    PDF_MARKER,
    RESULT,
    register_seed,
    route_and_complete,
    write_annotation,
)

pytestmark = pytest.mark.django_db(transaction=True)  # the raw file / pg_dump only sees committed data


def raw_database() -> bytes:
    """Every byte the database holds for the test database, as an outsider with file or dump access sees it."""
    s = connection.settings_dict
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        name = Path(s["NAME"])
        assert name.is_file(), f"expected a file-backed SQLite test database, got {name}"
        return b"".join(p.read_bytes() for p in (name, Path(f"{name}-wal")) if p.exists())
    env = {**os.environ, "PGPASSWORD": s.get("PASSWORD") or ""}
    dump = subprocess.run(
        ["pg_dump", "-h", s["HOST"] or "127.0.0.1", "-p", str(s["PORT"] or 5432), "-U", s["USER"], s["NAME"]],
        env=env, capture_output=True, timeout=120,
    )
    assert dump.returncode == 0, dump.stderr.decode()
    return dump.stdout


def chinese_marker() -> str:
    """A phrase that exists only in this test run, so nothing left over from another test can match it."""
    digits = "零一二三四五六七八九甲乙丙丁戊己"
    return "核对标记" + "".join(digits[int(c, 16)] for c in uuid.uuid4().hex[:12])


def assert_absent(raw: bytes, phrases: list[str]) -> None:
    found = [p for p in phrases if p.encode("utf-8") in raw]
    assert not found, f"plaintext found in the raw database: {found}"


def test_body_result_and_批示_appear_nowhere_in_the_raw_database(
    clerk, staff_zgh, leader, scan_root, no_broker
):
    marker = chinese_marker()
    body = SEED_FORM["body"] + "\n" + marker
    telegram = register_seed(clerk, body=body)
    delivery = route_and_complete(telegram, staff_zgh)
    write_annotation(telegram, leader)

    # The service reads them back, so they were really stored.
    telegram.refresh_from_db()
    delivery.refresh_from_db()
    assert telegram.body == body and delivery.result == RESULT

    raw = raw_database()
    # The search works: plaintext-by-design register fields are found in the same bytes.
    assert SEED_FORM["title"].encode() in raw
    assert telegram.receipt_no.encode() in raw
    assert SEED_FORM["instruction"].encode() in raw  # 批办 is a register field, plaintext by design

    body_phrases = [body, marker, "国际劳动节来临之际", *(line for line in body.splitlines() if line)]
    assert_absent(raw, body_phrases)
    assert_absent(raw, [RESULT, "落实情况另行书面报告"])
    assert_absent(raw, [ANNOTATION, "务必认真学习领会"])


def test_the_scan_file_on_disk_holds_no_plaintext(clerk, clerk_client, scan_root, no_broker):
    telegram = register_seed(clerk)
    (scan,) = telegram.scans.all()
    stored = scan.path.read_bytes()
    assert scan.path.parent == scan_root
    assert scan.read().startswith(b"%PDF-") and PDF_MARKER in scan.read()  # it is the uploaded file
    assert PDF_MARKER not in stored and b"%PDF" not in stored
    assert scan.filename.encode() in raw_database()  # the file name is a register field; the content is not


def test_a_routing_批示_appears_nowhere_in_the_raw_database(clerk, clerk_client, leader, scan_root, no_broker):
    telegram = register_seed(clerk, instruction="")
    text = "请财政厅研办，抓紧拿出贯彻落实意见报我。" + chinese_marker()
    write_annotation(telegram, leader, text)
    assert_absent(raw_database(), [text, "抓紧拿出贯彻落实意见报我"])
