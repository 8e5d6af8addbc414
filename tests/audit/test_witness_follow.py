"""The signer reads the witness log incrementally: after years of checkpoints the file is long, and each run reads
only the lines appended since the last one — yet finds exactly what reading the whole file finds, and notices a
file that no longer continues what it read."""
from __future__ import annotations

import hashlib
import json

import pytest
from django.db import transaction

from audit import services, witness
from audit.models import AuditEntry, ChainHead
from audit.services import record_many
from tests.audit.helpers import tampering

pytestmark = pytest.mark.django_db

LONG = 20_000  # about three years of checkpoints at one a minute during office hours


def line(seq: int, digest: str | None = None) -> witness.Witnessed:
    digest = digest or hashlib.sha256(str(seq).encode()).hexdigest()
    return witness.Witnessed(seq, digest, "2026-11-30T07:00:00.000000Z", "c2lnbmF0dXJl" * 7, "cHVibGljLWtleQ==")


def write_log(path, seqs) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(line(s).line() for s in seqs))


def pins(items) -> list[tuple[int, str]]:
    return [(w.seq, w.hash) for w in items]


def test_a_long_log_is_read_once_then_only_its_new_lines(tmp_path):
    path = tmp_path / "checkpoints.jsonl"
    write_log(path, range(1, LONG + 1))
    size = path.stat().st_size

    assert pins(witness.follow(path)) == pins(witness.read(path))
    assert witness.last_bytes_read(path) == size and len(witness.follow(path)) == LONG

    new = [line(LONG + 1), line(LONG + 2)]
    for w in new:
        witness.append(w, paths=[path])
    found = witness.follow(path)
    assert pins(found) == pins(witness.read(path)) and found[-1].seq == LONG + 2
    last_old_line = len(line(LONG).line().encode())
    assert witness.last_bytes_read(path) == sum(len(w.line().encode()) for w in new) + last_old_line
    witness.follow(path)
    assert witness.last_bytes_read(path) == last_old_line  # nothing new: only the check of the last line read


def test_a_line_still_being_written_is_read_again_once_complete(tmp_path):
    path = tmp_path / "checkpoints.jsonl"
    write_log(path, [1, 2])
    witness.follow(path)
    whole = line(3).line()
    with path.open("a") as f:
        f.write(whole[:30])  # a crash half-way through an append
    with pytest.raises(witness.WitnessError, match="第 3 行无法解析"):
        witness.follow(path)
    with path.open("a") as f:
        f.write(whole[30:])
    assert [p.seq for p in witness.follow(path)] == [1, 2, 3]


def test_a_log_that_no_longer_continues_is_read_again_and_nothing_read_is_forgotten(tmp_path, caplog):
    path = tmp_path / "checkpoints.jsonl"
    write_log(path, range(1, 101))
    witness.follow(path)

    write_log(path, range(1, 51))  # truncated (the same file, rewritten shorter)
    found = witness.follow(path)
    assert "read again from the start" in caplog.text
    assert [p.seq for p in found] == list(range(1, 101))  # the signer still holds the chain to seq 100

    path.unlink()
    write_log(path, [*range(1, 101), 101])  # replaced by a copy with one more line
    assert [p.seq for p in witness.follow(path)] == list(range(1, 102))

    lines = path.read_text().splitlines(keepends=True)  # the last line rewritten: another hash for seq 101
    path.write_text("".join(lines[:-1]) + line(101, "f" * 64).line())
    with pytest.raises(witness.WitnessError, match="第 101 条的两个见证哈希不一致"):
        witness.follow(path)


def test_the_signer_reads_only_what_it_appended_since_its_last_run(settings):
    """A chain of 2,000 entries, each pinned by a line of a long witness log; the signer checks them all against
    the chain, then on its next run reads only its own new line."""
    with transaction.atomic():
        entries = record_many("测试", [("test.event", None, {"i": i}, "") for i in range(2000)])
    path = witness.configured_files()[0]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(line(e.seq, e.hash).line() for e in entries))

    signed = services.sign_head()
    assert (signed.seq, signed.checkpoint) == (2000, None)  # everything witnessed already: nothing to sign
    assert witness.last_bytes_read(path) == path.stat().st_size

    with transaction.atomic():
        record_many("测试", [("test.event", None, {"i": "new"}, "")])
    size_before = path.stat().st_size
    signed = services.sign_head()
    assert signed.seq == 2001 and signed.checkpoint is not None  # appended to the log
    head = ChainHead.objects.get()
    assert (signed.seq, signed.hash) == (head.seq, head.hash)
    assert services.sign_head().checkpoint is None
    added = path.stat().st_size - size_before
    checked = len(line(2000, entries[-1].hash).line().encode())  # the last line read before, checked again
    assert witness.last_bytes_read(path) == checked + added  # its own new line, nothing else
    assert json.loads(path.read_text().splitlines()[-1])["seq"] == 2001

    # And the long log still guards the chain: an old witnessed entry rewritten is refused.
    with tampering():
        AuditEntry.objects.filter(seq=17).update(hash="0" * 64)
    with pytest.raises(services.CheckpointRefused, match="第 17 条记录的哈希与见证日志不符"):
        services.sign_head()


def test_each_file_is_followed_on_its_own(tmp_path):
    """The memory is per file: a copy of the log elsewhere (a mirror) is read whole the first time."""
    path, copy = tmp_path / "a.jsonl", tmp_path / "b.jsonl"
    write_log(path, [1, 2, 3])
    witness.follow(path)
    copy.write_bytes(path.read_bytes())
    assert [p.seq for p in witness.follow(copy)] == [1, 2, 3]
    assert witness.last_bytes_read(copy) == copy.stat().st_size
