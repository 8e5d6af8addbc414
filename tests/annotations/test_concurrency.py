"""Two corrections of the same 批示 at the same moment: exactly one becomes version 2 (PostgreSQL row locks)."""
from __future__ import annotations

import threading

import pytest
from django.db import connection, connections

from annotations import actions
from annotations.models import Annotation
from core.errors import ActionError

from .helpers import register

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_simultaneous_corrections_never_fork_the_version_chain(clerk, leader):
    if connection.vendor != "postgresql":
        pytest.skip("row locks are only meaningful on PostgreSQL (SQLite serializes all writers)")
    t = register(clerk)
    first = actions.annotate(t, "同意。", leader)
    barrier = threading.Barrier(8)
    saved, refused, errors = [], [], []

    def correct(n: int) -> None:
        try:
            barrier.wait()
            saved.append(actions.correct(first, f"同意，第{n}稿。", leader, "补充"))
        except ActionError as exc:
            refused.append(exc.message)
        except BaseException as exc:  # collected and asserted below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=correct, args=(n,)) for n in range(8)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()

    assert not errors and len(saved) == 1 and len(refused) == 7
    assert all("已经更正过" in m for m in refused)
    versions = list(Annotation.objects.order_by("version").values_list("version", "superseded"))
    assert versions == [(1, True), (2, False)]
