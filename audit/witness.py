"""The witness log: every signed checkpoint, appended to a file outside the database.

One JSON object per line, `{"at", "hash", "public_key", "seq", "signature"}` (canonical JSON, `at` as the chain
writes times), in `AUDIT_WITNESS_DIR/checkpoints.jsonl` and in each of `AUDIT_WITNESS_MIRRORS`. Like the signed
tree heads of Certificate Transparency (RFC 9162) or immudb's client-held state: whoever rewrites the database
cannot rewrite this file, so a chain that no longer holds a witnessed (seq, hash) — rewritten, cut back or
emptied — is caught, by the signer before it signs and by `verify_audit`.

Appends are one `write` of one line with O_APPEND, under an exclusive flock, then fsync: a crash leaves at most
a torn last line, which `read` reports (it never silently drops a checkpoint)."""
from __future__ import annotations

import fcntl
import json
import os
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from django.conf import settings

from .chain import at_text, canonical_json

FILE_NAME = "checkpoints.jsonl"


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
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return []
    except OSError as exc:
        raise WitnessError(f"无法读取见证文件 {path}：{exc.strerror or exc}")
    out: list[Witnessed] = []
    for n, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            d = json.loads(line)
            w = Witnessed(int(d["seq"]), str(d["hash"]), str(d["at"]), str(d["signature"]), str(d.get("public_key", "")))
        except (ValueError, KeyError, TypeError):
            raise WitnessError(f"见证文件 {path} 第 {n} 行无法解析")
        if len(w.hash) != 64 or w.seq <= 0:
            raise WitnessError(f"见证文件 {path} 第 {n} 行无效")
        out.append(w)
    return _merged([out], str(path))


def _merged(lists: list[list[Witnessed]], where: str) -> list[Witnessed]:
    by_seq: dict[int, Witnessed] = {}
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
