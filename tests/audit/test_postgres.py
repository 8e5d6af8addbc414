"""PostgreSQL only: the ledger refuses to be rewritten, and concurrent writers never fork the chain."""
from __future__ import annotations

import json
import threading

import pytest
from django.db import DatabaseError, connection, connections, transaction

from audit.models import AuditEntry, ChainHead
from audit.services import record
from audit.verify import verify_chain

from .helpers import append, sql

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="triggers and row locks: PostgreSQL only"),
]


@pytest.mark.django_db
@pytest.mark.parametrize("statement", [
    "UPDATE audit_auditentry SET data = '{}' WHERE seq = 1",
    "DELETE FROM audit_auditentry WHERE seq = 1",
    "TRUNCATE audit_auditentry",
    "UPDATE audit_checkpoint SET signature = 'x'",
    "DELETE FROM audit_checkpoint",
    "TRUNCATE audit_checkpoint",
])
def test_the_trigger_refuses_to_rewrite_the_ledger(statement):
    from audit.services import checkpoint

    append(2)
    checkpoint()
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        sql(statement)
    assert AuditEntry.objects.count() == 2
    assert verify_chain().ok


@pytest.mark.django_db
def test_the_orm_cannot_delete_or_update_entries_either():
    (entry,) = append(1)
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AuditEntry.objects.filter(seq=entry.seq).update(action="x")
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        entry.delete()


@pytest.mark.django_db(transaction=True)
def test_ten_threads_appending_at_once_leave_one_unbroken_chain():
    threads_n, per_thread = 10, 25
    barrier = threading.Barrier(threads_n)
    errors = []

    def writer(n: int):
        try:
            barrier.wait(10)
            for i in range(per_thread):
                with transaction.atomic():
                    record(f"线程{n}", "test.concurrent", None, {"thread": n, "i": i})
        except Exception as exc:  # surfaced by the assertion below
            errors.append(exc)
        finally:
            connections["default"].close()  # this thread's own connection

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(threads_n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors, errors
    total = threads_n * per_thread
    result = verify_chain()
    assert result.ok, result.message
    assert result.count == total
    assert ChainHead.objects.get().seq == total
    assert list(AuditEntry.objects.order_by("seq").values_list("seq", flat=True)) == list(range(1, total + 1))
    # The threads really interleaved: not every thread's entries form one block.
    writers = [json.loads(d)["thread"] for d in AuditEntry.objects.order_by("seq").values_list("data", flat=True)]
    assert sum(1 for a, b in zip(writers, writers[1:], strict=False) if a != b) > threads_n
