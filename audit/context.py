"""Who is acting, for audit entries written far from the request (signal receivers, password validators), and a
switch for code that already writes its own, richer entry (so a signal does not record the same change twice)."""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

_actor: ContextVar = ContextVar("audit_actor", default=None)
_recorded: ContextVar[bool] = ContextVar("audit_recorded_elsewhere", default=False)


def current_actor():
    return _actor.get()


@contextmanager
def acting_as(actor) -> Iterator[None]:
    token = _actor.set(actor)
    try:
        yield
    finally:
        _actor.reset(token)


@contextmanager
def recorded_elsewhere() -> Iterator[None]:
    token = _recorded.set(True)
    try:
        yield
    finally:
        _recorded.reset(token)


def is_recorded_elsewhere() -> bool:
    return _recorded.get()
