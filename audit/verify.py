"""Walking the audit chain: every link, the chain head and every checkpoint signature.

Streams the entries in seq order (`.iterator()`: a server-side cursor on PostgreSQL, chunked reads on SQLite),
fetching only the columns the hash needs, so memory stays flat however long the chain is. The walk stops at the
first problem and names its seq:

- a seq that is not the next one          → an entry was deleted (gap)
- prev_hash ≠ the previous entry's hash   → entries were inserted, reordered or replaced
- the recomputed hash ≠ the stored hash   → a field of the entry was altered
- the walk ends before the head's seq, or the head's hash is not the last entry's → the tail was cut off
- entries after the head, or a checkpoint beyond the head → entries were appended or cut off behind the head's back
- a checkpoint whose hash is not the entry's at that seq, or whose signature does not verify with the public key
  (the configured key's, or one kept outside the database) → the chain was rewritten since it was signed
- an entry whose MAC (audit/mac.py) does not verify → written by someone without the application's secret key
- a checkpoint of the witness log (outside the database) whose seq is missing or holds another hash, or the
  head behind the last witnessed seq → the chain was rewritten, cut back or emptied, checkpoints and all
- an entry older than AUDIT_CHECKPOINT_MAX_LAG that no witnessed checkpoint covers → checkpoints are missing
"""
from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from django.conf import settings
from django.db import connection, transaction
from django.db.models import CharField, Max, Min
from django.db.models.expressions import RawSQL
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from . import merkle, signing, witness
from .chain import link_hash
from .mac import mac_checker
from .models import AuditEntry, ChainHead, Checkpoint

GENESIS = "0" * 64
CHUNK_SIZE = 5000
PROGRESS_EVERY = 20000

Progress = Callable[[int, int], None]  # (entries verified, entries to verify)

# Reasons (English, the command's contract prints them) → the admin page's Chinese wording.
REASONS_ZH = {
    "entry missing (deleted)": "记录缺失（被删除）",
    "entry inserted": "插入了伪造记录",
    "prev_hash mismatch": "前一哈希不符（记录被插入、删除或调换顺序）",
    "hash mismatch": "哈希不符（记录被篡改）",
    "chain truncated": "链尾记录缺失（被截断）",
    "chain head mismatch": "链头哈希与最后一条记录不符",
    "entry beyond chain head": "链头之后出现多余记录（被插入）",
    "checkpoint beyond chain head": "检查点超出链头（链尾被截断）",
    "checkpoint hash mismatch": "检查点哈希与该序号记录不符（链被改写）",
    "bad checkpoint signature": "检查点签名无效",
    "bad entry mac": "记录校验码不符（不是本系统写入的记录）",
    "witnessed hash mismatch": "与见证日志中的检查点哈希不符（链被改写）",
    "witnessed entry missing": "见证日志中的检查点记录缺失（链被截断或清空）",
    "bad witness signature": "见证日志中的检查点签名无效",
    "checkpoint overdue": "检查点缺失：该记录超过允许时间仍未被签名见证",
    "witness unreadable": "见证日志无法读取",
    "tree root mismatch": "签名树头的默克尔树根与链中记录不符",
    "bad tree head signature": "签名树头的签名无效",
}


@dataclass
class VerifyResult:
    ok: bool
    count: int  # entries whose links checked out
    checkpoints: int = 0  # checkpoint signatures that checked out
    first_bad_seq: int | None = None
    reason: str = ""
    detail: str = ""
    head_seq: int = 0

    @property
    def message(self) -> str:
        if self.ok:
            return f"OK {self.count} entries"
        return f"FAIL at seq {self.first_bad_seq}: {self.reason}" + (f" ({self.detail})" if self.detail else "")

    @property
    def message_zh(self) -> str:
        if self.ok:
            return f"校验通过：{self.count} 条记录，{self.checkpoints} 个签名检查点"
        text = f"第 {self.first_bad_seq} 条：{REASONS_ZH.get(self.reason, self.reason)}"
        return text + (f"（{self.detail}）" if self.detail else "")


class _Bad(Exception):
    def __init__(self, seq: int, reason: str, detail: str = ""):
        self.seq, self.reason, self.detail = seq, reason, detail


def _checkpoints(after: int, upto: int, batch: int = 1000) -> Iterator[tuple]:
    """Checkpoints in seq order, a batch at a time (keyset pages: no second open cursor)."""
    while True:
        page = list(
            Checkpoint.objects.filter(seq__gt=after, seq__lte=upto).order_by("seq")
            .values_list("seq", "hash", "at", "signature")[:batch]
        )
        yield from page
        if len(page) < batch:
            return
        after = page[-1][0]


def _walk(
    start_seq: int, start_hash: str, end_seq: int, keys: list[Ed25519PublicKey] | None,
    progress: Progress | None, chunk_size: int, counts: dict, witnessed: list[witness.Witnessed] = (),
) -> str:
    """Check entries start_seq+1 … end_seq (their MACs, the checkpoints and witnessed checkpoints among them);
    return the last entry's hash."""
    total = end_seq - start_seq
    with _streaming():
        return _walk_rows(start_seq, start_hash, end_seq, keys, progress, chunk_size, counts, total, witnessed)


# The entry time as the hash spells it (chain.at_text), formatted by the database: parsing a datetime per row
# only to print it again costs more than the rest of the row but the SHA-256. Other backends: in Python.
_AT_TEXT_SQL = {
    "postgresql": """to_char("audit_auditentry"."at" AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')""",
    # Django stores UTC as "YYYY-MM-DD HH:MM:SS[.ffffff]" (no fraction when the microseconds are 0).
    "sqlite": """replace("audit_auditentry"."at", ' ', 'T')
                 || CASE WHEN length("audit_auditentry"."at") = 19 THEN '.000000Z' ELSE 'Z' END""",
}


@contextmanager
def _streaming():
    """On PostgreSQL, run the walk in a transaction: outside one Django declares the server-side cursor WITH HOLD,
    which makes the server copy the whole result into a temporary store before the first row arrives. Inside one
    the rows stream straight from the index scan. (Not on SQLite: a transaction there would take the write lock.)"""
    if connection.vendor == "postgresql":
        with transaction.atomic():
            yield
    else:
        yield


def _walk_rows(
    start_seq: int, start_hash: str, end_seq: int, keys: list[Ed25519PublicKey] | None,
    progress: Progress | None, chunk_size: int, counts: dict, total: int, witnessed=(),
) -> str:
    at_sql = _AT_TEXT_SQL.get(connection.vendor)
    qs = AuditEntry.objects.filter(seq__gt=start_seq, seq__lte=end_seq).order_by("seq")
    if at_sql:
        qs = qs.annotate(at_text=RawSQL(at_sql, (), output_field=CharField()))
    rows = (
        qs.values_list("seq", "at_text" if at_sql else "at", "actor_id", "actor_name", "action", "object_type", "object_id", "data",
                     "prev_hash", "hash", "mac")
        .iterator(chunk_size=chunk_size)
    )
    bad_signatures = getattr(witnessed, "bad_signatures", ())
    w_iter = iter([w for w in witnessed if start_seq < w.seq <= end_seq])
    w = next(w_iter, None)
    w_seq = w.seq if w else -1
    mac_ok = mac_checker()
    cp_iter: Iterator[tuple] = _checkpoints(start_seq, end_seq) if keys is not None else iter(())
    cp = next(cp_iter, None)
    cp_seq = cp[0] if cp else -1
    expected, prev, prevprev = start_seq + 1, start_hash, None
    hash_ = link_hash
    try:
        with closing(rows):
            # The hot loop: one tuple, one SHA-256 and a few comparisons per entry.
            for seq, at, actor_id, actor_name, action, object_type, object_id, data, prev_hash, digest, mac in rows:
                if seq != expected:
                    raise _Bad(expected, "entry missing (deleted)", f"expected seq {expected}, found {seq}")
                if prev_hash != prev:
                    if prevprev is not None and prev_hash == prevprev:
                        # This entry links to the one two back: the one in between was slipped in.
                        raise _Bad(seq - 1, "entry inserted")
                    raise _Bad(seq, "prev_hash mismatch")
                if hash_(prev, seq, at, actor_id, actor_name, action, object_type, object_id, data) != digest:
                    raise _Bad(seq, "hash mismatch")
                if not mac_ok(digest, mac):
                    raise _Bad(seq, "bad entry mac")
                if seq == cp_seq:
                    _check_checkpoint(cp, digest, keys)
                    counts["checkpoints"] += 1
                    cp = next(cp_iter, None)
                    cp_seq = cp[0] if cp else -1
                if seq == w_seq:
                    if w.hash != digest:
                        raise _Bad(seq, "witnessed hash mismatch")
                    if w.seq in bad_signatures:
                        raise _Bad(seq, "bad witness signature")
                    counts["witnessed"] = counts.get("witnessed", 0) + 1
                    w = next(w_iter, None)
                    w_seq = w.seq if w else -1
                prevprev, prev = prev, digest
                expected = seq + 1
                if progress is not None and not seq % PROGRESS_EVERY:
                    progress(seq - start_seq, total)
        if expected - 1 < end_seq:
            raise _Bad(expected, "chain truncated", f"chain head at seq {end_seq}, last entry {expected - 1}")
    finally:
        counts["entries"] = expected - 1 - start_seq
    if progress is not None:
        progress(total, total)
    return prev


def _check_checkpoint(cp: tuple, entry_digest: str, keys: list[Ed25519PublicKey]) -> None:
    seq, digest, at, signature = cp
    if digest != entry_digest:
        raise _Bad(seq, "checkpoint hash mismatch")
    if not any(signing.signature_ok(k, seq, digest, at, signature) for k in keys):
        raise _Bad(seq, "bad checkpoint signature")


def verify_chain(
    *, public_keys: list[Ed25519PublicKey] | None = None, progress: Progress | None = None,
    chunk_size: int = CHUNK_SIZE, witness_files: list | None = None, now: datetime | None = None,
) -> VerifyResult:
    """Verify the whole chain up to the head as it is when the walk starts (later appends wait for next time).

    Checkpoint signatures are checked against `public_keys`, by default the configured public key; the public key
    stored with each checkpoint is never trusted (whoever rewrites the chain could re-sign it). The chain is also
    checked against every checkpoint of the witness log (`witness_files`, by default the configured ones)."""
    keys = public_keys if public_keys is not None else [signing.public_key()]
    head_seq, head_hash = ChainHead.objects.filter(id=1).values_list("seq", "hash").first() or (0, GENESIS)
    counts = {"entries": 0, "checkpoints": 0}
    try:
        witnessed = _witnessed(witness_files, keys)
        last_hash = _walk(0, GENESIS, head_seq, keys, progress, chunk_size, counts, witnessed)
        if last_hash != head_hash:
            raise _Bad(head_seq, "chain head mismatch")
        _check_behind_head()
        _check_tree_heads(keys, head_seq, chunk_size)
        behind = [w for w in witnessed if w.seq > head_seq]
        if behind:
            raise _Bad(behind[0].seq, "witnessed entry missing", f"chain head at seq {head_seq}")
        _check_overdue(witnessed[-1].seq if witnessed else 0, now)
    except _Bad as bad:
        return VerifyResult(False, counts["entries"], counts["checkpoints"], bad.seq, bad.reason, bad.detail, head_seq)
    return VerifyResult(True, counts["entries"], counts["checkpoints"], head_seq=head_seq)


class _WitnessLog(list):
    """The witnessed checkpoints in seq order, with the seqs whose signature does not verify (reported when the
    walk reaches them, after the database checkpoint at the same seq)."""

    bad_signatures: set[int]


def _witnessed(files: list | None, keys: list[Ed25519PublicKey]) -> _WitnessLog:
    """The witness log, every line's signature checked: a line nobody with the signing key wrote is no witness."""
    try:
        items = _WitnessLog(witness.read_all(files))
    except witness.WitnessError as exc:
        raise _Bad(0, "witness unreadable", str(exc))
    items.bad_signatures = set()
    for w in items:
        at = parse_datetime(w.at.rstrip("Z") + "+00:00")
        if at is None or not any(signing.signature_ok(k, w.seq, w.hash, at, w.signature) for k in keys):
            items.bad_signatures.add(w.seq)
    return items


def _check_tree_heads(keys: list[Ed25519PublicKey], head_seq: int, chunk_size: int) -> None:
    """Every signed tree head (audit/merkle.py) is the Merkle root of the entries up to its seq, signed with the
    chain hash there. A second pass over the hashes only, and only when tree heads exist: the links were walked."""
    heads = list(Checkpoint.objects.filter(seq__lte=head_seq).exclude(tree_root="").order_by("seq")
                 .values_list("seq", "hash", "at", "tree_root", "tree_signature"))
    if not heads:
        return
    hashes = (AuditEntry.objects.filter(seq__lte=heads[-1][0]).order_by("seq")
              .values_list("hash", flat=True).iterator(chunk_size=chunk_size))
    frontier, size = [], 0
    with _streaming(), closing(hashes):  # the server-side cursor closes before its transaction ends
        for seq, digest, at, tree_root, signature in heads:
            frontier, size = merkle.extend(frontier, size, (merkle.leaf_hash(next(hashes)) for _ in range(seq - size)))
            if merkle.frontier_root(frontier).hex() != tree_root:
                raise _Bad(seq, "tree root mismatch")
            if not any(signing.tree_head_ok(k, seq, tree_root, digest, at, signature) for k in keys):
                raise _Bad(seq, "bad tree head signature")


def _check_overdue(covered_seq: int, now: datetime | None) -> None:
    """Checkpoints are missing when an entry past the last witnessed one is older than the allowed lag."""
    cutoff = (now or timezone.now()) - timedelta(seconds=settings.AUDIT_CHECKPOINT_MAX_LAG)
    late = AuditEntry.objects.filter(seq__gt=covered_seq, at__lt=cutoff).order_by("seq").values_list("seq", "at").first()
    if late:
        raise _Bad(late[0], "checkpoint overdue",
                   f"last witnessed seq {covered_seq}, entry from {late[1].isoformat(timespec='seconds')}, "
                   f"allowed lag {int(settings.AUDIT_CHECKPOINT_MAX_LAG)} s")


def _check_behind_head() -> None:
    """Rows the head does not account for. Read the rows first, the head second: an entry or checkpoint commits
    with (or after) the head that covers it and the head only grows, so concurrent appends never trip this."""
    max_entry = AuditEntry.objects.aggregate(m=Max("seq"))["m"] or 0
    max_cp = Checkpoint.objects.aggregate(m=Max("seq"))["m"] or 0
    head_seq = ChainHead.objects.filter(id=1).values_list("seq", flat=True).first() or 0
    if max_entry > head_seq:
        first = AuditEntry.objects.filter(seq__gt=head_seq).aggregate(m=Min("seq"))["m"]
        raise _Bad(first, "entry beyond chain head", f"chain head at seq {head_seq}")
    if max_cp > head_seq:
        raise _Bad(max_cp, "checkpoint beyond chain head", f"chain head at seq {head_seq}")


def verify_segment(start_seq: int, start_hash: str, end_seq: int, end_hash: str) -> VerifyResult:
    """Check the links from a trusted point (the last checkpoint) to a head: what the signer checks before it
    signs, so a checkpoint never vouches for a chain already broken."""
    counts = {"entries": 0, "checkpoints": 0}
    try:
        last = _walk(start_seq, start_hash, end_seq, None, None, CHUNK_SIZE, counts)
        if last != end_hash:
            raise _Bad(end_seq, "chain head mismatch")
    except _Bad as bad:
        return VerifyResult(False, counts["entries"], 0, bad.seq, bad.reason, bad.detail, end_seq)
    return VerifyResult(True, counts["entries"], head_seq=end_seq)
