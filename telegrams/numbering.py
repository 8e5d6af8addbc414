"""Receipt numbers: {RECEIPT_PREFIX}[{year}]{n}号, n from 1 each year, unique and gapless."""
from __future__ import annotations

import re
from typing import NamedTuple

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from audit.models import ChainHead
from core.errors import Duplicate, InvalidInput
from directory import snapshot

from .models import ReceiptCounter, Telegram

RECEIPT_RE = re.compile(r"^(?P<prefix>.*?)[\[［〔](?P<year>\d{4})[\]］〕](?P<seq>\d{1,7})号$")


# A year's numbers a clerk may type for records kept on paper before the system (earlier years): no office
# receives this many telegrams in a year, and a slip of the finger must not move a counter for ever.
PAPER_SEQ_MAX = 99_999


def year_prefix(year: int) -> str:
    return f"{settings.RECEIPT_PREFIX}[{year}]"


def format_receipt_no(year: int, seq: int) -> str:
    return f"{year_prefix(year)}{seq}号"


def parse_receipt_no(text: str) -> tuple[str, int, int] | None:
    m = RECEIPT_RE.match(text.strip().replace(" ", ""))
    if not m:
        return None
    return m["prefix"], int(m["year"]), int(m["seq"])


class Numbered(NamedTuple):
    seq: int
    receipt_no: str
    audit_head: tuple[int, str] | None  # the audit chain head, locked by the same statement (PostgreSQL)
    units_token: str | None = None  # the directory's version as the statement saw it (`units_token=True`)


def number(telegram, *, also: tuple[str, list] | None = None, units_token: bool = False) -> Numbered:
    """Give a telegram already inserted (without a number, in the caller's transaction) the next number of its
    year. Taking the number locks the year's counter row until the transaction ends, so concurrent clerks queue
    here and nobody skips or repeats a number; a rollback gives the number back. Registrations therefore run
    this last, just before the audit entry and COMMIT: everything else is written before the queue.

    On PostgreSQL one statement takes the number, writes it into the row, and locks and reads the audit chain's
    head for the entry that follows (audit.services.record_many(head=…)): the counter first, then the head, the
    order every transaction takes them in. Elsewhere `audit_head` is None and the append locks it itself.

    `also`: (sql, params) of one more INSERT of this telegram's own rows (its blind-index row), run by the same
    statement on PostgreSQL — one round trip fewer; elsewhere, run before the number.

    `units_token`: also read the unit directory's version (directory.snapshot.TOKEN_SQL), for a registration
    planned with the snapshot it had in memory to check it was still current (by the same statement on
    PostgreSQL; elsewhere by one more query)."""
    assert transaction.get_connection().in_atomic_block, "number() must run inside the registration transaction"
    year = telegram.receipt_year
    counter = ReceiptCounter._meta.db_table
    if also and connection.vendor != "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(*also)
        also = None
    for attempt in (0, 1):
        head = None
        if connection.vendor == "postgresql":
            # A data-modifying WITH runs once, whether the query reads it or not.
            extra_sql, extra_params = (f"x AS ({also[0]}), ", list(also[1])) if also else ("", [])
            token_sql = snapshot.TOKEN_SQL if units_token else "NULL"
            with connection.cursor() as cursor:
                cursor.execute(
                    f"WITH {extra_sql}c AS (UPDATE {counter} SET last = last + 1 WHERE year = %s RETURNING last), "
                    f"t AS (UPDATE {Telegram._meta.db_table} t SET receipt_seq = c.last, receipt_no = %s || c.last || '号' "
                    "FROM c WHERE t.id = %s RETURNING c.last AS last) "
                    f"SELECT t.last, h.seq, h.hash, {token_sql} FROM t LEFT JOIN LATERAL "  # LATERAL on t: counter first
                    f"(SELECT seq, hash FROM {ChainHead._meta.db_table} WHERE id = 1 AND t.last IS NOT NULL FOR UPDATE) h ON true",
                    [*extra_params, year, year_prefix(year), telegram.pk],
                )
                row = cursor.fetchone()
            also = None  # written even when the year's counter did not exist yet: the retry must not repeat it
            seq = row and row[0]
            if row and row[1] is not None:
                head = (row[1], row[2])
            token = row[3] if row else None
        else:
            with connection.cursor() as cursor:
                cursor.execute(f"UPDATE {counter} SET last = last + 1 WHERE year = %s RETURNING last", [year])
                row = cursor.fetchone()
            seq = row and row[0]
            if seq:
                Telegram.objects.filter(pk=telegram.pk).update(receipt_seq=seq, receipt_no=format_receipt_no(year, seq))
            token = snapshot.token_now() if units_token and seq else None
        if seq:
            telegram.receipt_seq, telegram.receipt_no = seq, format_receipt_no(year, seq)
            return Numbered(seq, telegram.receipt_no, head, token)
        if attempt == 0:  # first of the year; the unique primary key settles a race between two first clerks
            ReceiptCounter.objects.get_or_create(year=year)
    raise RuntimeError(f"telegram {telegram.pk} could not be numbered")  # the row vanished: a caller's bug


def check_paper_number(text: str, received_year: int) -> tuple[int, int]:
    """A typed 收文号 (a number already written on paper) as (year, seq), or InvalidInput saying why not: it must
    carry the year the telegram was received, and in the current year it may not run ahead of the counter (the
    system gives this year's numbers; a typed one can only be one it gave or the next)."""
    parsed = parse_receipt_no(text)
    if not parsed:
        raise InvalidInput(f"收文号格式不正确：{text}", field="receipt_no")
    _, year, seq = parsed
    if year != received_year:
        raise InvalidInput(f"收文号的年度 {year} 与收报时间的年度 {received_year} 不一致。", field="receipt_no")
    if seq < 1 or seq > PAPER_SEQ_MAX:
        raise InvalidInput(f"收文号序号 {seq} 超出范围（1—{PAPER_SEQ_MAX}）。", field="receipt_no")
    if year == timezone.localdate().year:
        last = ReceiptCounter.objects.filter(year=year).values_list("last", flat=True).first() or 0
        if seq > last + 1:
            raise InvalidInput(
                f"本年度收文号已编至第{last}号，不能补录第{seq}号；请清空收文号由系统自动编号。", field="receipt_no")
    return year, seq


def claim(year: int, seq: int) -> str:
    """Keep a number already written on paper; the year's counter moves past it (numbers below stay free)."""
    assert transaction.get_connection().in_atomic_block
    ReceiptCounter.objects.get_or_create(year=year)
    counter = ReceiptCounter.objects.select_for_update().get(year=year)
    if year == timezone.localdate().year and seq > counter.last + 1:  # checked again under the counter's lock
        raise InvalidInput(f"本年度收文号已编至第{counter.last}号，不能补录第{seq}号。", field="receipt_no")
    if Telegram.objects.filter(receipt_year=year, receipt_seq=seq).exists():
        raise Duplicate(f"收文号 {format_receipt_no(year, seq)} 已被占用。", field="receipt_no", code="number_taken")
    if seq > counter.last:
        counter.last = seq
        counter.save(update_fields=["last"])
    return format_receipt_no(year, seq)
