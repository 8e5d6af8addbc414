"""Streamed CSV downloads, shared by the register export, the routing history and the audit log: UTF-8 with a
BOM (so Excel opens Chinese text correctly), produced one row at a time so a year of records never sits in
memory."""
from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

# A cell that starts with one of these is read as a formula by spreadsheet programs.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _formula_safe(value: Any) -> Any:
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


class _Echo:
    """csv.writer's file: writerow returns the formatted line instead of storing it."""

    def write(self, value: str) -> str:
        return value


def rows_as_csv(header: Sequence[Any], rows: Iterable[Sequence[Any]], *, guard_formulas: bool) -> Iterator[str]:
    """The header (after the BOM), then one chunk per row. `guard_formulas` prefixes a quote to text cells a
    spreadsheet would run as a formula; exports that must reproduce values exactly (the audit log) leave it off."""
    writer = csv.writer(_Echo())
    yield "\ufeff" + writer.writerow(header)
    for row in rows:
        yield writer.writerow([_formula_safe(v) for v in row] if guard_formulas else row)
