"""The unit directory as registrations and 批办 read it: kept in memory per process, re-read when it changed.

Every registration resolves its sender and parses its 批办 against all units. Instead of loading them each
time, a reader compares one short row, `UnitsVersion.token`, which a trigger on the unit table changes with
every write (migration 0003). The token is read first and the units after it, so a snapshot is never labelled
newer than its contents; at worst newer units carry an older token and are read once more.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from django.db import connection

from core.errors import ActionError

from .models import Unit, UnitsVersion

T = TypeVar("T")


@dataclass(frozen=True)
class UnitRow:
    id: int
    name: str
    short_name: str
    aliases: tuple[str, ...]
    active: bool


class Snapshot:
    def __init__(self, token: str | None, rows: list[UnitRow]):
        self.token = token
        self.units: tuple[UnitRow, ...] = tuple(rows)
        self._by_name = {u.name: u for u in rows}
        self._by_short: dict[str, UnitRow] = {}
        for u in rows:  # rows come in name order: the first unit of a short name wins, as in a name-ordered query
            if u.short_name:
                self._by_short.setdefault(u.short_name, u)
        self._memo: dict[str, Any] = {}

    @property
    def active(self) -> list[UnitRow]:
        return [u for u in self.units if u.active]

    def find(self, name: str) -> UnitRow | None:
        """A unit by its full name, else by its short name (inactive units included: old telegrams name them)."""
        return self._by_name.get(name) or self._by_short.get(name)

    def memo(self, key: str, build: Callable[[Snapshot], T]) -> T:
        """Something derived from these units (routing's parsed directory), built once per snapshot."""
        try:
            return self._memo[key]
        except KeyError:
            value = self._memo[key] = build(self)
            return value


_current: Snapshot | None = None


# The version as an SQL expression: a registration reads it in the statement that numbers it (telegrams.numbering),
# so checking the snapshot it planned with costs no statement of its own.
TOKEN_SQL = f"(SELECT token FROM {UnitsVersion._meta.db_table} WHERE id = 1)"


class Stale(ActionError):
    """The directory changed after the snapshot a write was planned with was taken: the caller's transaction
    rolls back and plans again with the units as they are now."""

    code = "directory_changed"
    status = 409


def token_now() -> str | None:
    """The directory's version as this transaction sees it (compare with `Snapshot.token`)."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {TOKEN_SQL}")
        row = cursor.fetchone()
    return row[0] if row else None


def cached() -> Snapshot | None:
    """The snapshot this process read last, without asking whether it is still current: for a write that checks
    its token inside its own transaction (`check`) and plans again if it changed."""
    return _current


def check(units: Snapshot, token: str | None) -> None:
    """Raise Stale when `token` (read inside the transaction) is not the version `units` was read at. A snapshot
    without a token (no version row) was read fresh by this very call and is never stale."""
    if units.token is not None and token != units.token:
        raise Stale("单位名录刚刚更新，请重新保存。")


def current() -> Snapshot:
    """The units as this transaction sees them now (one one-row query when nothing changed)."""
    global _current
    token = token_now()
    snapshot = _current
    if token is not None and snapshot is not None and snapshot.token == token:
        return snapshot
    rows = [
        UnitRow(pk, name, short or "", tuple(str(a) for a in aliases if a) if isinstance(aliases, list) else (), active)
        for pk, name, short, aliases, active in Unit.objects.order_by("name").values_list(
            "id", "name", "short_name", "aliases", "active"
        )
    ]
    snapshot = Snapshot(token, rows)
    if token is not None:  # no version row (a test flushed the table): read every time, never trust a cache
        _current = snapshot
    return snapshot
