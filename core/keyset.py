"""Keyset (seek) pagination for the long lists: the register, the routing history and the audit log.

下一页 / 上一页 carry an opaque cursor — the sort key and id of the page's last (first) row, and the page's
number — so page 500 costs what page 1 does: the query seeks in the index matching the sort and the filters
instead of reading and throwing away 25,000 rows (`OFFSET`). A page number typed or clicked (`?page=N`) still
works, by `OFFSET` (the old URLs keep working). The total is counted exactly only while that is cheap (at most
`cap` rows); beyond it, on PostgreSQL, the planner's estimate of the filtered query is shown as "约 N 件".
"""
from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from django.db import connections
from django.db.models import Q, QuerySet
from django.utils.dateparse import parse_datetime

AFTER, BEFORE, PAGE = "after", "before", "page"
Confirm = Callable[[list], list]
# Counted exactly below this many rows (expected by the planner); above, the estimate is shown ("约 N 件"): an
# exact count of a filtered million reads every matching row, most of the register page's time (bench/README.md).
EXACT_COUNT = 2_000
MAX_PAGE = 100_000


def _encode(values: Sequence[Any], number: int, approximate: bool = False) -> str:
    raw = json.dumps([[v.isoformat() if isinstance(v, datetime) else v for v in values], number, int(approximate)],
                     separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def _decode(token: str, keys: Sequence[str]) -> tuple[list[Any], int, bool] | None:
    """The cursor's key values (datetimes parsed back), page number and whether that number is approximate;
    None for anything malformed."""
    try:
        values, number, approximate = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
    except (ValueError, TypeError, binascii.Error, UnicodeDecodeError):
        return None
    if not isinstance(values, list) or len(values) != len(keys) or not isinstance(number, int):
        return None
    parsed: list[Any] = []
    for v in values:
        if isinstance(v, str):
            try:
                when = parse_datetime(v)
            except ValueError:
                return None
            if when is None:
                return None
            parsed.append(when)
        elif isinstance(v, int) and not isinstance(v, bool):
            parsed.append(v)
        else:
            return None
    return parsed, max(1, min(number, MAX_PAGE)), approximate == 1


def _seek(keys: Sequence[str], values: Sequence[Any], *, forward: bool) -> Q:
    """Rows strictly after (forward) or before the position `values` in the descending order of `keys` (one
    unique key, or a sort key and a unique tie-breaker).

    The first key gets a plain range condition (`<=`), which the index serves as its bound; the OR only tells
    rows that share the first key's value apart, so the scan never starts from the top."""
    op, strict = ("lte", "lt") if forward else ("gte", "gt")
    if len(keys) == 1:
        return Q(**{f"{keys[0]}__{strict}": values[0]})
    (first, tie), (v_first, v_tie) = keys, values
    return Q(**{f"{first}__{op}": v_first}) & (Q(**{f"{first}__{strict}": v_first}) | Q(**{f"{tie}__{strict}": v_tie}))


def estimated_count(qs: QuerySet) -> int | None:
    """The planner's row estimate for the filtered query (PostgreSQL), None elsewhere: no rows are read."""
    conn = connections[qs.db]
    if conn.vendor != "postgresql":
        return None
    sql, params = qs.order_by().values("pk").query.sql_with_params()
    with conn.cursor() as cur:
        cur.execute(f"EXPLAIN (FORMAT JSON) {sql}", params)
        plan = cur.fetchone()[0]
    if isinstance(plan, str):
        plan = json.loads(plan)
    return int(plan[0]["Plan"]["Plan Rows"])


def _histogram_value(qs: QuerySet, key: str, quantile: float) -> Any | None:
    """The value of `key` at `quantile` (0 oldest … 1 newest) of the table, read from the planner's histogram
    (pg_stats, kept by ANALYZE/autovacuum); None without statistics. No row is read."""
    conn = connections[qs.db]
    model = qs.model
    column = model._meta.get_field(key).column
    sql_type = "timestamptz" if model._meta.get_field(key).get_internal_type() == "DateTimeField" else "bigint"
    with conn.cursor() as cur:
        cur.execute(f"SELECT histogram_bounds::text::{sql_type}[] FROM pg_stats WHERE schemaname = current_schema() "
                    "AND tablename = %s AND attname = %s", [model._meta.db_table, column])
        row = cur.fetchone()
    bounds = row[0] if row else None
    if not bounds or len(bounds) < 2:
        return None
    at = max(0.0, min(1.0, quantile)) * (len(bounds) - 1)
    low = int(at)
    if low >= len(bounds) - 1:
        return bounds[-1]
    a, b = bounds[low], bounds[low + 1]
    return a + (b - a) * (at - low) if sql_type == "timestamptz" else int(a + (b - a) * (at - low))


def _approximate_start(qs: QuerySet, keys: Sequence[str], offset: int) -> Q | None:
    """Where page `offset // per_page + 1` about starts, without reading the rows before it (PostgreSQL, deep
    jumps only): the planner's estimate of the filtered rows says which fraction of them comes before the page,
    and the histogram of the first key says where that fraction of the table lies — the planner's own
    assumption that the filters do not depend on the time. None: jump exactly (OFFSET)."""
    if connections[qs.db].vendor != "postgresql" or offset <= EXACT_COUNT:
        return None
    estimate = estimated_count(qs)
    if not estimate or estimate <= EXACT_COUNT:
        return None
    value = _histogram_value(qs, keys[0], 1 - offset / estimate)
    if value is None:
        return None
    return Q(**{f"{keys[0]}__lte": value})


@dataclass
class KeysetPage:
    object_list: list
    number: int
    per_page: int
    has_next: bool
    has_previous: bool
    next_cursor: str
    previous_cursor: str
    query: str  # the filters, without paging parameters (urlencoded)
    count: int | None = None  # exact, when `exact`
    estimate: int | None = None
    cap: int = 0
    exact: bool = False
    approximate: bool = False  # a deep jump by number landed about there (_approximate_start)
    page_numbers: list[int] = field(default_factory=list)

    def __iter__(self):
        return iter(self.object_list)

    def __len__(self) -> int:
        return len(self.object_list)

    @property
    def paginator(self) -> KeysetPage:
        """Django's Page names its totals `page.paginator.count` / `.num_pages`: the same figures here."""
        return self

    def _url(self, **paging: Any) -> str:
        return "?" + "&".join(p for p in (self.query, urlencode(paging)) if p)

    @property
    def next_url(self) -> str:
        return self._url(**{AFTER: self.next_cursor})

    @property
    def previous_url(self) -> str:
        return self._url(**{BEFORE: self.previous_cursor})

    @property
    def num_pages(self) -> int | None:
        total = self.count if self.exact else self.estimate
        return None if total is None else max(1, -(-total // self.per_page))

    @property
    def capped(self) -> bool:
        return not self.exact

    def page_url(self, number: int) -> str:
        return self._url(**{PAGE: number}) if number > 1 else self._url()

    @property
    def page_links(self) -> list[tuple[int, str]]:
        return [(n, self.page_url(n)) for n in self.page_numbers]


def _take(ordered: QuerySet, keys: Sequence[str], want: int, confirm: Confirm | None, *, forward: bool,
          first: list | None = None) -> list:
    """`want` rows of `ordered` that `confirm` keeps: each batch that loses rows is followed by the next one,
    sought after its last row (forward: down the descending order; else up the ascending one)."""
    got: list = []
    batch = first if first is not None else list(ordered[:want])
    while True:
        got += confirm(batch) if confirm else batch
        if len(got) >= want or len(batch) < want:
            return got[:want]
        last = batch[-1]
        batch = list(ordered.filter(_seek(keys, [getattr(last, k) for k in keys], forward=forward))[:want])


def paginate(qs: QuerySet, params, *, keys: Sequence[str], per_page: int, cap: int,
             confirm: Confirm | None = None) -> KeysetPage:
    """The page `params` (a request's GET) asks for, of `qs` ordered by `keys` descending (the last key unique).

    `after`/`before` cursors seek; `page=N` jumps by OFFSET (deep on PostgreSQL: about there, see
    `_approximate_start`); nothing: page 1. `confirm` drops rows a query only
    suspected (the body search's candidates); the pages are then filled from the rows after them, and the
    counts are those of the candidates."""
    ordered = qs.order_by(*(f"-{k}" for k in keys))
    query = params.copy()
    for name in (AFTER, BEFORE, PAGE):
        query.pop(name, None)
    after = _decode(params.get(AFTER, ""), keys) if params.get(AFTER) else None
    before = _decode(params.get(BEFORE, ""), keys) if params.get(BEFORE) else None
    approximate = False
    if after is not None:
        values, number, approximate = after
        rows = _take(ordered.filter(_seek(keys, values, forward=True)), keys, per_page + 1, confirm, forward=True)
        has_next, has_previous = len(rows) > per_page, True
        rows = rows[:per_page]
    elif before is not None:
        values, number, approximate = before
        back = _take(qs.order_by(*keys).filter(_seek(keys, values, forward=False)), keys, per_page + 1, confirm,
                     forward=False)
        has_previous = len(back) > per_page
        rows = list(reversed(back[:per_page]))
        has_next = True
        if not rows:  # nothing before the cursor's row (it was the first, or is gone): page 1 as it is now
            rows = _take(ordered, keys, per_page + 1, confirm, forward=True)
            has_next = len(rows) > per_page
            rows = rows[:per_page]
        number = max(number, 2) if has_previous else 1
        approximate = approximate and has_previous
    else:
        raw = params.get(PAGE, "")
        number = max(1, min(int(raw), MAX_PAGE)) if str(raw).isdigit() else 1
        offset = (number - 1) * per_page
        start = _approximate_start(qs, keys, offset) if number > 1 else None
        approximate = start is not None
        first = ordered.filter(start) if start is not None else ordered[offset: offset + per_page + 1]
        rows = _take(ordered.filter(start) if start is not None else ordered, keys, per_page + 1, confirm,
                     forward=True, first=list(first[: per_page + 1]) if start is not None else list(first))
        if not rows and number > 1:
            number = 1
            rows = _take(ordered, keys, per_page + 1, confirm, forward=True)
        has_next, has_previous = len(rows) > per_page, number > 1
        rows = rows[:per_page]

    def cursor(row: Any, n: int) -> str:
        return _encode([getattr(row, k) for k in keys], n, approximate)

    page = KeysetPage(
        object_list=rows, number=number, per_page=per_page, has_next=has_next, has_previous=has_previous,
        next_cursor=cursor(rows[-1], number + 1) if rows and has_next else "",
        previous_cursor=cursor(rows[0], number - 1) if rows and has_previous else "",
        query=query.urlencode(), cap=cap, approximate=approximate,
    )
    estimate = None
    if number == 1 and not has_next:  # everything is on this page
        page.exact, page.count = True, len(rows)
    else:
        estimate = estimated_count(qs)
    # The total. On PostgreSQL, when the planner expects more than EXACT_COUNT rows: its estimate (约 N 件), no
    # row read. Otherwise exact, by a COUNT over a LIMITed subquery that stops at min(cap, EXACT_COUNT) + 1 rows
    # (SQLite: at cap + 1) — beyond that, "more than" that many.
    if not page.exact and estimate is not None and estimate > EXACT_COUNT:
        page.estimate = estimate
    elif not page.exact:
        limit = cap if estimate is None else min(cap, EXACT_COUNT)
        counted = qs.order_by()[: limit + 1].count()
        page.exact = counted <= limit
        page.count = counted if page.exact else None
        page.cap = limit
    last = page.num_pages
    around = range(max(1, number - 2), number + 3)
    page.page_numbers = sorted({1, *(n for n in around if last is None or n <= last), *([last] if last else [])})
    return page
