"""Appending to the audit chain. Every state-changing service calls `record` inside its own transaction."""
from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from .chain import canonical_json, link_hash
from .models import AuditEntry, ChainHead, Checkpoint

log = logging.getLogger(__name__)
GENESIS = "0" * 64

# What every entry appended in the current context also records (the API puts the id of the token a request was
# made with here): the actions that append need not know through which channel they were called.
_context: ContextVar[dict | None] = ContextVar("audit_context", default=None)


@contextmanager
def context(**data) -> Iterator[None]:
    """Entries appended inside add `data` (an entry's own keys win): `with context(api_token=7): action(...)`."""
    token = _context.set({**(_context.get() or {}), **data})
    try:
        yield
    finally:
        _context.reset(token)


def _actor_fields(actor) -> tuple[int | None, str]:
    if actor is None or not getattr(actor, "is_authenticated", False):
        return None, (actor if isinstance(actor, str) else "系统")
    person = getattr(actor, "person", None) if hasattr(actor, "person") else None
    return actor.pk, (person.full_name if person else actor.get_username())


def record(actor, action: str, obj: Any = None, data: dict | None = None, *, object_type: str = "") -> AuditEntry:
    """Append one entry. Must run inside the caller's transaction so the entry and the change commit together."""
    return record_many(actor, [(action, obj, data, object_type)])[0]


def record_many(actor, items: list[tuple[str, Any, dict | None, str]], *,
                head: tuple[int, str] | None = None) -> list[AuditEntry]:
    """Append entries (action, obj, data, object_type) in order under one lock of the chain head, in the
    caller's transaction: a batch of routings costs two statements on PostgreSQL (lock the head; insert the
    entries and move the head), not two per entry.

    `data` may be a function returning the dict: it is called here, for an entry prepared before the values it
    records existed (a registration's order is written before the receipt number it quotes is allocated).

    `head`: (seq, hash) of the chain head when the caller's own statement already locked it in this transaction
    (telegrams.numbering.number does, to spare the registration queue a round trip)."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("audit.record must be called inside transaction.atomic()")
    seq, prev = head or _lock_head()
    actor_id, actor_name = _actor_fields(actor)
    extra = _context.get() or {}
    entries = []
    for action, obj, data, object_type in items:
        if obj is not None and not object_type:
            object_type = obj._meta.label_lower
        object_id = "" if obj is None else str(getattr(obj, "pk", obj))
        payload = canonical_json({**extra, **((data() if callable(data) else data) or {})})
        seq += 1
        at = timezone.now()
        digest = link_hash(prev, seq, at, actor_id, actor_name, action, object_type, object_id, payload)
        entries.append(AuditEntry(
            seq=seq, at=at, actor_id=actor_id, actor_name=actor_name[:150], action=action,
            object_type=object_type, object_id=object_id, data=payload, prev_hash=prev, hash=digest,
        ))
        prev = digest
    _append(entries, seq, prev)
    return entries


# Registrations queue on the chain head from here to COMMIT (telegrams.actions.register), so on PostgreSQL the
# append is two plain statements instead of the ORM's three: lock and read the head, then insert the entries and
# move the head in one statement.

def _lock_head() -> tuple[int, str]:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT seq, hash FROM {ChainHead._meta.db_table} WHERE id = 1 FOR UPDATE")
            row = cursor.fetchone()
        if row:
            return row[0], row[1]
    head, _ = ChainHead.objects.select_for_update().get_or_create(id=1)
    return head.seq, head.hash


def _append(entries: list[AuditEntry], seq: int, digest: str) -> None:
    if not entries:
        return
    if connection.vendor != "postgresql":
        AuditEntry.objects.bulk_create(entries)
        ChainHead.objects.filter(id=1).update(seq=seq, hash=digest)
        return
    quote = connection.ops.quote_name
    fields = AuditEntry._meta.concrete_fields
    row = "(" + ", ".join(["%s"] * len(fields)) + ")"
    with connection.cursor() as cursor:
        cursor.execute(
            f"WITH appended AS (INSERT INTO {AuditEntry._meta.db_table} ({', '.join(quote(f.column) for f in fields)}) "
            f"VALUES {', '.join([row] * len(entries))}) "
            f"UPDATE {ChainHead._meta.db_table} SET seq = %s, hash = %s WHERE id = 1",
            [f.get_db_prep_save(getattr(e, f.attname), connection) for e in entries for f in fields] + [seq, digest],
        )


def checkpoint() -> Checkpoint | None:
    """Sign (seq, hash, time) of the current chain head, unless nothing was appended since the last checkpoint.

    The links from the last checkpoint up to the head are checked first, so a signature never vouches for a chain
    that is already broken (that is left for verify_audit to report)."""
    from . import signing
    from .verify import verify_segment

    head_seq, head_hash = ChainHead.objects.filter(id=1).values_list("seq", "hash").first() or (0, GENESIS)
    last = Checkpoint.objects.order_by("-seq").values_list("seq", "hash").first() or (0, GENESIS)
    if head_seq <= last[0]:
        return None
    checked = verify_segment(last[0], last[1], head_seq, head_hash)
    if not checked.ok:
        log.error("audit checkpoint refused: %s", checked.message)
        return None
    at = timezone.now()
    try:
        with transaction.atomic():
            return Checkpoint.objects.create(
                seq=head_seq, hash=head_hash, at=at, signature=signing.sign(head_seq, head_hash, at),
                public_key=signing.public_key_b64(),
            )
    except IntegrityError:  # another signer got there first
        return None
