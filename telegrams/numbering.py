"""Receipt numbers: {RECEIPT_PREFIX}[{year}]{n}号, n from 1 each year, unique and gapless."""
from __future__ import annotations

import re

from django.conf import settings
from django.db import connection, transaction

from .models import ReceiptCounter

RECEIPT_RE = re.compile(r"^(?P<prefix>.*?)[\[［〔](?P<year>\d{4})[\]］〕](?P<seq>\d{1,7})号$")


class NumberTaken(Exception):
    pass


def format_receipt_no(year: int, seq: int) -> str:
    return f"{settings.RECEIPT_PREFIX}[{year}]{seq}号"


def parse_receipt_no(text: str) -> tuple[str, int, int] | None:
    m = RECEIPT_RE.match(text.strip().replace(" ", ""))
    if not m:
        return None
    return m["prefix"], int(m["year"]), int(m["seq"])


def allocate(year: int) -> tuple[int, str]:
    """Take the next number of the year. The UPDATE locks the year's counter row until the caller's transaction
    ends, so concurrent clerks queue here and nobody skips or repeats a number; a rollback gives the number back.
    One round trip (UPDATE … RETURNING): the lock is held until commit, so every statement under it counts."""
    assert transaction.get_connection().in_atomic_block, "allocate() must run inside the registration transaction"
    sql = f"UPDATE {ReceiptCounter._meta.db_table} SET last = last + 1 WHERE year = %s RETURNING last"
    with connection.cursor() as cursor:
        cursor.execute(sql, [year])
        row = cursor.fetchone()
        if row is None:  # first of the year; the unique primary key settles a race between two first clerks
            ReceiptCounter.objects.get_or_create(year=year)
            cursor.execute(sql, [year])
            row = cursor.fetchone()
    return row[0], format_receipt_no(year, row[0])


def claim(year: int, seq: int) -> str:
    """Keep a number already written on paper; the year's counter moves past it (numbers below stay free)."""
    from .models import Telegram

    assert transaction.get_connection().in_atomic_block
    ReceiptCounter.objects.get_or_create(year=year)
    counter = ReceiptCounter.objects.select_for_update().get(year=year)
    if Telegram.objects.filter(receipt_year=year, receipt_seq=seq).exists():
        raise NumberTaken(format_receipt_no(year, seq))
    if seq > counter.last:
        counter.last = seq
        counter.save(update_fields=["last"])
    return format_receipt_no(year, seq)
