"""Appending to the audit chain. Every state-changing service calls `record` inside its own transaction."""
from __future__ import annotations

import logging
from dataclasses import dataclass
from functools import partial
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from alarms import services as alarms
from alarms.models import Kind

from . import merkle, signing, witness
from .chain import canonical_json, link_hash
from .context import added_data
from .events import AuditAlarm
from .mac import entry_mac
from .models import AuditEntry, ChainHead, Checkpoint
from .verify import verify_segment

log = logging.getLogger(__name__)
GENESIS = "0" * 64


def _actor_fields(actor) -> tuple[int | None, str]:
    if actor is None or not getattr(actor, "is_authenticated", False):
        return None, (actor if isinstance(actor, str) else "系统")
    person = getattr(actor, "person", None) if hasattr(actor, "person") else None
    return actor.pk, (person.full_name if person else actor.get_username())


def record(actor, action: str, obj: Any = None, data: dict | None = None, *, object_type: str = "") -> AuditEntry:
    """Append one entry. Must run inside the caller's transaction so the entry and the change commit together."""
    return record_many(actor, [(action, obj, data, object_type)])[0]


def record_many(actor, items: list[tuple], *,
                head: tuple[int, str] | None = None) -> list[AuditEntry]:
    """Append entries (action, obj, data, object_type) in order under one lock of the chain head, in the
    caller's transaction: a batch of routings costs two statements on PostgreSQL (lock the head; insert the
    entries and move the head), not two per entry.

    `data` may be a function returning the dict: it is called here, for an entry prepared before the values it
    records existed (a registration's order is written before the receipt number it quotes is allocated).

    An item may carry a fifth element, its own actor (None: the system), for an entry of work done on the
    batch's behalf by someone else (a 特提 registration's inline routing is the system's, as the worker's is).

    `head`: (seq, hash) of the chain head when the caller's own statement already locked it in this transaction
    (telegrams.numbering.number does, to spare the registration queue a round trip)."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("audit.record must be called inside transaction.atomic()")
    seq, prev = head or _lock_head()
    batch_actor = _actor_fields(actor)
    extra = added_data()
    entries = []
    for item in items:
        action, obj, data, object_type = item[:4]
        actor_id, actor_name = _actor_fields(item[4]) if len(item) > 4 else batch_actor
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
            mac=entry_mac(digest),
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


@dataclass(frozen=True)
class Signed:
    """What the signer did: `checkpoint` is the new one, or None when the head had not moved since the last."""

    seq: int
    hash: str
    checkpoint: Checkpoint | None


class CheckpointRefused(Exception):
    """The signer would not sign: the chain no longer holds what the witness log says, or holds an entry the
    application did not write. An alarm was raised."""

    def __init__(self, message: str, first_bad_seq: int | None = None):
        super().__init__(message)
        self.message, self.first_bad_seq = message, first_bad_seq


def checkpoint() -> Checkpoint | None:
    """Sign (seq, hash, time) of the current chain head unless nothing was appended since the last checkpoint;
    None when there was nothing to sign or the signer refused (and raised the alarm)."""
    try:
        return sign_head().checkpoint
    except CheckpointRefused:
        return None


def sign_head() -> Signed:
    """The signer's one step (beat's task and `audit_checkpoint`):

    1. every checkpoint in the witness log is still in the chain: an entry at that seq with that hash, the head
       not behind it (a rewrite, a cut-back or an emptied table fails here);
    2. the entries since the last witnessed checkpoint link up to the head and carry the application's MAC (a
       forged entry appended by someone with only database access fails here);
    3. sign, append to the witness log outside the database (fsync), then store the checkpoint row.
    A failed check raises CheckpointRefused and raises an alarm; nothing is signed."""
    head_seq, head_hash = ChainHead.objects.filter(id=1).values_list("seq", "hash").first() or (0, GENESIS)
    try:
        witnessed = witness.follow_all()  # only the lines appended since the last run are read
    except witness.WitnessError as exc:
        _refuse(f"见证日志无法读取：{exc}", None, key="witness-io")
    _check_witnessed(witnessed, head_seq)
    last_seq, last_hash = (witnessed[-1].seq, witnessed[-1].hash) if witnessed else (0, GENESIS)
    if head_seq <= last_seq:
        return Signed(last_seq, last_hash, None)
    checked = verify_segment(last_seq, last_hash, head_seq, head_hash)
    if not checked.ok:
        _refuse(f"自第 {last_seq} 条检查点以来的记录校验失败：{checked.message_zh}", checked.first_bad_seq)
    frontier = tree_frontier(head_seq)  # before the witness line: a failure here signs nothing
    tree_root = merkle.frontier_root(frontier).hex()
    at = timezone.now()
    signature, public_key = signing.sign(head_seq, head_hash, at), signing.public_key_b64()
    try:
        witness.append(witness.entry(head_seq, head_hash, at, signature, public_key))
    except OSError as exc:
        _refuse(f"见证日志无法写入：{exc.strerror or exc}", None, key="witness-io")
    try:
        with transaction.atomic():
            cp = Checkpoint.objects.create(
                seq=head_seq, hash=head_hash, at=at, signature=signature, public_key=public_key,
                tree_root=tree_root, tree_signature=signing.sign_tree_head(head_seq, tree_root, head_hash, at),
                tree_frontier=merkle.frontier_text(frontier),
            )
    except IntegrityError:  # another signer stored this seq first (its witness line says the same)
        cp = None
    return Signed(head_seq, head_hash, cp)


def tree_frontier(size: int, chunk: int = 5000) -> list[bytes]:
    """The Merkle frontier of entries 1..size (audit/merkle.py): the latest checkpoint's frontier extended by the
    entries appended since. A chain whose checkpoints predate the tree (or hold none) is read once from seq 1:
    that first tree head covers every existing entry, so old chains need no data migration."""
    base = (Checkpoint.objects.filter(seq__lte=size).exclude(tree_frontier="").order_by("-seq")
            .values_list("seq", "tree_frontier").first())
    start, frontier = (base[0], merkle.frontier_from_text(base[1])) if base else (0, [])
    hashes = (AuditEntry.objects.filter(seq__gt=start, seq__lte=size).order_by("seq")
              .values_list("hash", flat=True).iterator(chunk_size=chunk))
    frontier, n = merkle.extend(frontier, start, (merkle.leaf_hash(h) for h in hashes))
    if n != size:
        raise CheckpointRefused(f"默克尔树只读到第 {n} 条记录，链头为第 {size} 条", n + 1)
    return frontier


def _check_witnessed(witnessed: list[witness.Pin], head_seq: int, chunk: int = 2000) -> None:
    for i in range(0, len(witnessed), chunk):
        part = witnessed[i:i + chunk]
        stored = dict(AuditEntry.objects.filter(seq__in=[w.seq for w in part]).values_list("seq", "hash"))
        for w in part:
            if w.seq > head_seq or w.seq not in stored:
                _refuse(f"见证日志中第 {w.seq} 条检查点的记录已不在链中（链头为第 {head_seq} 条）：审计链被截断或清空", w.seq)
            if stored[w.seq] != w.hash:
                _refuse(f"第 {w.seq} 条记录的哈希与见证日志不符：审计链被改写", w.seq)


def _refuse(message: str, first_bad_seq: int | None, *, key: str = "witness") -> None:
    log.error("audit checkpoint refused: %s", message)
    alarms.raise_alarm(Kind.AUDIT, key, f"拒绝签署检查点：{message}", event_type=partial(AuditAlarm, first_bad_seq=first_bad_seq))
    raise CheckpointRefused(message, first_bad_seq)
