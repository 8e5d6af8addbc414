"""The witness log: every signed checkpoint, appended to a file outside the database.

One JSON object per line, `{"at", "hash", "public_key", "seq", "signature"}` (canonical JSON, `at` as the chain
writes times), in `AUDIT_WITNESS_DIR/checkpoints.jsonl` and in each of `AUDIT_WITNESS_MIRRORS`. Like the signed
tree heads of Certificate Transparency (RFC 9162) or immudb's client-held state: whoever rewrites the database
cannot rewrite this file, so a chain that no longer holds a witnessed (seq, hash) — rewritten, cut back or
emptied — is caught, by the signer before it signs and by `verify_audit`.

Appends are one `write` of one line with O_APPEND, under an exclusive flock, then fsync: a crash leaves at most
a torn last line, which `read` reports (it never silently drops a checkpoint).

`verify_audit` reads every line (`read`, `read_all`: it checks every signature). The signer, which runs every
minute for years, reads each file incrementally (`follow`, `follow_all`): it remembers how far it has read (offset,
the SHA-256 of the last line read there, the file's identity) and the (seq, hash) pins it found, and next time
reads only the lines appended since. Before reading on, it checks that the file still continues what it read (same
file, not shorter, the same last line at that offset); if not — the file was replaced, truncated or rewritten — it
reads it again from the start and keeps what it remembered as well, so a checkpoint once witnessed is not forgotten
by the signer because a line vanished from the file (a line that now says another hash for a seq is an error)."""
from __future__ import annotations

import fcntl
import hashlib
import json
import logging
import os
import threading
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from django.conf import settings

from .chain import at_text, canonical_json

FILE_NAME = "checkpoints.jsonl"
log = logging.getLogger(__name__)


class WitnessError(ValueError):
    """A witness file that cannot be read as a witness log (named with its line)."""


@dataclass(frozen=True)
class Witnessed:
    seq: int
    hash: str
    at: str  # chain.at_text of the checkpoint's time
    signature: str
    public_key: str

    def line(self) -> str:
        return canonical_json({"at": self.at, "hash": self.hash, "public_key": self.public_key, "seq": self.seq,
                               "signature": self.signature}) + "\n"


def configured_files() -> list[Path]:
    return [Path(d) / FILE_NAME for d in [settings.AUDIT_WITNESS_DIR, *settings.AUDIT_WITNESS_MIRRORS]]


def entry(seq: int, digest: str, at: datetime, signature: str, public_key: str) -> Witnessed:
    return Witnessed(int(seq), digest, at_text(at), signature, public_key)


def read(path: Path) -> list[Witnessed]:
    """Every checkpoint in one witness file, in seq order. A missing file is an empty witness."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return []
    except OSError as exc:
        raise WitnessError(f"无法读取见证文件 {path}：{exc.strerror or exc}")
    return _merged([_parse(data, path, 1)], str(path))


def _parse(data: bytes, path: Path, first_line: int) -> list[Witnessed]:
    """The checkpoints of `data`, whole lines of a witness file starting at line `first_line`."""
    out: list[Witnessed] = []
    for n, raw in enumerate(data.split(b"\n"), start=first_line):
        line = raw.rstrip(b"\r")
        if not line.strip():
            continue
        try:
            d = json.loads(line.decode("utf-8"))
            w = Witnessed(int(d["seq"]), str(d["hash"]), str(d["at"]), str(d["signature"]), str(d.get("public_key", "")))
        except (ValueError, KeyError, TypeError):
            raise WitnessError(f"见证文件 {path} 第 {n} 行无法解析")
        if len(w.hash) != 64 or w.seq <= 0:
            raise WitnessError(f"见证文件 {path} 第 {n} 行无效")
        out.append(w)
    return out


def _merged(lists: list[list], where: str) -> list:
    """Witnessed lines (or pins) of several reads in seq order, one per seq; two hashes for one seq: WitnessError."""
    by_seq: dict[int, Witnessed | Pin] = {}
    for items in lists:
        for w in items:
            seen = by_seq.get(w.seq)
            if seen is not None and seen.hash != w.hash:
                raise WitnessError(f"{where}：第 {w.seq} 条的两个见证哈希不一致")
            by_seq[w.seq] = w
    return [by_seq[s] for s in sorted(by_seq)]


def read_all(paths: list[Path] | None = None) -> list[Witnessed]:
    """The union of the configured witness files (or `paths`): a checkpoint in any copy counts."""
    paths = paths if paths is not None else configured_files()
    return _merged([read(p) for p in paths], "见证文件")


# --- the signer's incremental reading ---------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class Pin:
    """What the signer needs of a witnessed checkpoint: the chain must still hold `hash` at `seq`."""

    seq: int
    hash: str


@dataclass
class _Followed:
    device: int
    inode: int
    offset: int  # bytes read: up to the end of the last complete line
    lines: int  # complete lines read (error messages name the line)
    tail: bytes  # SHA-256 of the last complete line read, which ends at `offset`
    tail_len: int
    pins: list[Pin] = field(default_factory=list)  # in seq order
    bytes_read: int = 0  # by the latest call, the check of the last line included (for the tests)


_followed: dict[str, _Followed] = {}
_follow_lock = threading.Lock()


def follow(path: Path) -> list[Pin]:
    """The checkpoints of one witness file, as `read` would find them, reading only the lines appended since this
    process last read it (module docstring). A line that is not complete yet (a crash half-way through an append)
    is read but not remembered, so it is read again next time. WitnessError as `read`."""
    key = os.path.abspath(path)
    with _follow_lock:
        known = _followed.get(key)
        try:
            with open(path, "rb") as f:
                stat = os.fstat(f.fileno())
                start = known if known is not None and _continues(f, stat, known) else None
                f.seek(start.offset if start else 0)
                data = f.read()
        except FileNotFoundError:
            if known is not None:
                log.warning("witness file %s is gone: the signer keeps the %d checkpoints it had read", path, len(known.pins))
                return list(known.pins)
            return []
        except OSError as exc:
            raise WitnessError(f"无法读取见证文件 {path}：{exc.strerror or exc}")
        if known is not None and start is None:
            log.warning("witness file %s no longer continues what the signer read: read again from the start", path)
        cut = data.rfind(b"\n") + 1  # complete lines end here; the rest is a line still being written
        lines = start.lines if start else 0
        found = [Pin(w.seq, w.hash) for w in _parse(data[:cut], path, lines + 1)]
        pending = [Pin(w.seq, w.hash) for w in _parse(data[cut:], path, lines + data[:cut].count(b"\n") + 1)]
        pins = _extended(start.pins if start else (known.pins if known else []), found, str(path))
        if cut:
            last = data[data.rfind(b"\n", 0, cut - 1) + 1:cut]  # the last complete line, its newline included
            tail, tail_len = hashlib.sha256(last).digest(), len(last)
        elif start:
            tail, tail_len = start.tail, start.tail_len
        else:
            tail, tail_len = hashlib.sha256(b"").digest(), 0
        _followed[key] = _Followed(stat.st_dev, stat.st_ino, (start.offset if start else 0) + cut,
                                   lines + data[:cut].count(b"\n"), tail, tail_len, pins,
                                   bytes_read=len(data) + (start.tail_len if start else 0))
        return _extended(pins, pending, str(path)) if pending else list(pins)


def _continues(f, stat: os.stat_result, known: _Followed) -> bool:
    """Is the open file the one read before, still holding, where it stopped, the line it read last?"""
    if (stat.st_dev, stat.st_ino) != (known.device, known.inode) or stat.st_size < known.offset:
        return False
    f.seek(known.offset - known.tail_len)
    return hashlib.sha256(f.read(known.tail_len)).digest() == known.tail


def _extended(pins: list[Pin], new: list[Pin], where: str) -> list[Pin]:
    """`pins` with `new` added, in seq order; a seq witnessed with two different hashes is an error."""
    if not new:
        return pins
    if all(a.seq < b.seq for a, b in zip([*pins[-1:], *new], new, strict=False)):
        return [*pins, *new]  # the usual case: lines appended in seq order
    return _merged([pins, new], where)


def follow_all(paths: list[Path] | None = None) -> list[Pin]:
    """`read_all` for the signer: the union of the configured witness files (or `paths`), read incrementally."""
    paths = paths if paths is not None else configured_files()
    found = [follow(p) for p in paths]
    return found[0] if len(found) == 1 else _merged(found, "见证文件")


def last_bytes_read(path: Path) -> int:
    """How many bytes the latest `follow(path)` read, the check of the last line included (0 before any)."""
    known = _followed.get(os.path.abspath(path))
    return known.bytes_read if known else 0


def append(w: Witnessed, paths: list[Path] | None = None) -> None:
    """Append to every configured witness file; raises OSError when one cannot be written (the caller then
    does not record the checkpoint as signed)."""
    data = w.line().encode("utf-8")
    for path in paths if paths is not None else configured_files():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o640)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            os.write(fd, data)
            os.fsync(fd)
        finally:
            os.close(fd)
