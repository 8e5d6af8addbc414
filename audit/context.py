"""Who is acting, for audit entries written far from the request (signal receivers, password validators), a
switch for code that already writes its own, richer entry (so a signal does not record the same change twice), and
data every entry appended in a context also records (the API: its channel and the token a request came with)."""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

_actor: ContextVar = ContextVar("audit_actor", default=None)
_recorded: ContextVar[bool] = ContextVar("audit_recorded_elsewhere", default=False)
_data: ContextVar[dict | None] = ContextVar("audit_added_data", default=None)


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


@contextmanager
def adding(**data) -> Iterator[None]:
    """Entries appended inside also record `data` (an entry's own keys win): `with adding(api_token=7): action()`.
    The actions that append need not know through which channel they were called."""
    token = _data.set({**(_data.get() or {}), **data})
    try:
        yield
    finally:
        _data.reset(token)


def added_data() -> dict:
    return _data.get() or {}
