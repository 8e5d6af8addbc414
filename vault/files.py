"""Sealed files written as part of a database transaction, and never left behind by one that rolls back.

A file is written before the row that names it (a row never points at nothing), so a transaction that rolls
back would leave its files as orphans. Django has no on_rollback hook; the block that writes them knows
instead: `removed_on_error()` inside `transaction.atomic()` collects the files written and removes them when
the block raises — that exception rolls the block's transaction (or savepoint) back, so the files belong to
nothing. An error at COMMIT itself leaves them: the commit may have reached the database (a lost reply), and
removing the file of a committed row would lose a scan. Those, and the files of a process killed half-way, are
what the orphan sweep (vault.services.scan_orphans, beat's `vault.sweep_orphans`) removes once they are old."""
from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

TMP_SUFFIX = ".tmp"


@contextmanager
def removed_on_error() -> Iterator[list[Path]]:
    """Yields the list `write_sealed` appends to; removes every file in it if the block raises."""
    written: list[Path] = []
    try:
        yield written
    except BaseException:
        for path in written:
            path.unlink(missing_ok=True)
        raise


def write_sealed(path: Path, blob: bytes, written: list[Path]) -> None:
    """Write `blob` (already sealed) to `path` whole or not at all: a temporary file renamed into place, removed
    if the write fails half-way (disk full, permissions). The path is added to `written` before the rename, so a
    failure after it is cleaned up too."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(TMP_SUFFIX)
    try:
        with open(tmp, "wb") as f:
            f.write(blob)
            f.flush()
            os.fsync(f.fileno())  # on disk before the row that names it can commit
        written.append(path)
        tmp.replace(path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    _fsync_dir(path.parent)  # the rename too


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
