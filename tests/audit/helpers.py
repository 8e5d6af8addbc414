"""Building audit chains and tampering with them the way someone with database access would."""
from __future__ import annotations

from contextlib import contextmanager

from django.db import connection, transaction
from django.utils import timezone

from audit.chain import link_hash
from audit.mac import entry_mac
from audit.models import AuditEntry, ChainHead
from audit.services import record

TABLES = ("audit_auditentry", "audit_checkpoint")


def append(n: int, actor=None, action: str = "test.event", **data) -> list[AuditEntry]:
    out = []
    for i in range(n):
        with transaction.atomic():
            out.append(record(actor or "测试", action, None, {"i": i, "text": "宁机明收[2020]744号 “引号” \\ 反斜杠", **data}))
    return out


@contextmanager
def tampering():
    """On PostgreSQL the append-only triggers refuse UPDATE/DELETE: an attacker with table-owner rights
    switches them off first. SQLite has no triggers to switch off."""
    pg = connection.vendor == "postgresql"
    if pg:
        with connection.cursor() as c:
            for table in TABLES:
                c.execute(f"ALTER TABLE {table} DISABLE TRIGGER USER")
    try:
        yield
    finally:
        if pg:
            with connection.cursor() as c:
                for table in TABLES:
                    c.execute(f"ALTER TABLE {table} ENABLE TRIGGER USER")


def sql(statement: str, params=()):
    with connection.cursor() as c:
        c.execute(statement, params)


def row(seq: int) -> AuditEntry:
    return AuditEntry.objects.get(seq=seq)


def forged(seq: int, prev_hash: str, action: str = "telegram.void", data: str = '{"reason":"伪造"}', *,
           with_app_key: bool = False) -> dict:
    """A well-formed entry linking to prev_hash: what a forger with the code can compute. Its MAC is right only
    `with_app_key` (an insider on the application servers); someone with database access alone cannot make one."""
    at = timezone.now()
    digest = link_hash(prev_hash, seq, at, None, "系统", action, "", "", data)
    return {
        "seq": seq, "at": at, "actor_id": None, "actor_name": "系统", "action": action, "object_type": "",
        "object_id": "", "data": data, "prev_hash": prev_hash, "hash": digest,
        "mac": entry_mac(digest) if with_app_key else "0" * 64,
    }


def insert_raw(fields: dict):
    """INSERT bypassing the ORM's save(): the same SQL any client could send."""
    cols = ", ".join(fields)
    marks = ", ".join(["%s"] * len(fields))
    values = [connection.ops.adapt_datetimefield_value(v) if k == "at" else v for k, v in fields.items()]
    sql(f"INSERT INTO audit_auditentry ({cols}) VALUES ({marks})", values)


def set_head(seq: int, digest: str):
    ChainHead.objects.filter(id=1).update(seq=seq, hash=digest)
