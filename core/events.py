"""Effects after commit: actions announce what happened; listeners (the notifications app) act on it.

`announce` runs the listeners once the current transaction commits (never for a rollback), each one
`robust`: a failing listener is logged and never undoes or breaks the committed change. Listeners register
in their AppConfig.ready, so the announcing app imports nothing of theirs (layers point down)."""
from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass

from django.db import transaction

log = logging.getLogger(__name__)

_listeners: dict[type, list[Callable]] = defaultdict(list)


@dataclass(frozen=True)
class Event:
    """Base class: subclasses are frozen dataclasses carrying ids and the few values listeners need."""


def listen(event_type: type[Event], listener: Callable[[Event], None]) -> None:
    if listener not in _listeners[event_type]:
        _listeners[event_type].append(listener)


def listeners(event_type: type[Event]) -> list[Callable]:
    return [fn for cls in event_type.__mro__ for fn in _listeners.get(cls, [])]


def announce(event: Event) -> None:
    """Deliver `event` to its listeners after the current transaction commits (at once outside one)."""
    for listener in listeners(type(event)):
        transaction.on_commit(_guarded(listener, event), robust=True)


def _guarded(listener: Callable, event: Event) -> Callable[[], None]:
    def run() -> None:
        listener(event)

    run.__name__ = f"{getattr(listener, '__qualname__', listener)}({type(event).__name__})"
    return run
