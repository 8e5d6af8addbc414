"""Issue 18, part B: the register list and the audit log against their floor, and body search by blind index.

`register_floor`: p95 through gunicorn of the register filtered by precedence 平急 and the title word 通知 — page 1,
page 501 reached by 下一页 (the keyset cursor 500 pages deep) and a jump to page 500 by number — against the floor:
a bare view on the same stack rendering the register's template with 50 telegrams chosen by primary-key range (no
filter, no count). The same for the audit log (page 1, 500 pages deep, page 500 by number).
`body_search`: p95 of a 2, 3 and 4 character body query (the blind index's candidates, decrypted and confirmed)
against a title trigram query's p95 on the same telegrams. The routing history
likewise (100 per page, filtered by precedence 平急), over one generated event per telegram. Registered in bench/run.py.
"""
from __future__ import annotations

import io
import time
from urllib.parse import urlencode

YEAR = 2019  # the year bench_register_list generates: both use the same register when both run

# Bodies of the generated telegrams: three of these sentences each (about 45 characters); each query below is in
# one sentence, so ~3/40 of the bodies hold it — about as selective as the title word (a topic: 1/16 of titles).
SENTENCES = [
    "请各地认真做好{}工作", "切实加强{}组织领导", "各单位要落实{}责任", "及时报送{}进展情况", "严格执行{}值班制度",
    "统筹推进{}相关任务", "确保{}各项措施到位", "加强{}督促检查力度",
]
WORDS = ["防汛抗旱", "安全生产", "森林防火", "冬季供暖", "粮食收购", "学校安全", "社会救助", "道路交通"]
BODY_QUERIES = {"2": "督促", "3": "值班制", "4": "组织领导"}
TITLE_QUERY = "森林草原"


def _sentences() -> list[str]:
    return [s.format(w) for s in SENTENCES for w in WORDS]


def _progress(p, start: float, span: float):
    return lambda f: p.show(start + span * f)


def generate_bodies(*, year: int, progress=None) -> int:
    """Encrypted bodies and their blind index for the generated telegrams of `year` that have none (COPY)."""
    from django.db import connection

    from bench import data
    from telegrams.models import BodyIndex
    from vault import blind, crypto

    sentences = _sentences()
    ring = blind.index_keyring()
    key = ring.keys[ring.current]
    tag_of: dict[str, int] = {}
    with connection.cursor() as cur:
        cur.execute("SELECT id, uid FROM telegrams_telegram WHERE receipt_year = %s AND body_enc = '' ORDER BY id", [year])
        rows = cur.fetchall()
        cur.execute("CREATE TEMP TABLE bench_bodies (id bigint PRIMARY KEY, body_enc text)")
        bodies, index = io.StringIO(), io.StringIO()
        for k, (pk, uid) in enumerate(rows):
            body = "。".join(sentences[(pk * m) % len(sentences)] for m in (7, 13, 29)) + "。"
            grams = blind.grams(body)
            tags = sorted({tag_of.get(g) or tag_of.setdefault(g, blind._tag(key, g)) for g in grams})
            enc = crypto.seal_text(body, crypto.aad_for("telegram", uid, "body"))
            bodies.write(f"{pk}\t{enc}\n")
            index.write(f"{pk}\t{ring.current}\t{{{','.join(map(str, tags))}}}\n")
            if progress and k % 20000 == 0:
                progress(0.6 * k / max(1, len(rows)))
        bodies.seek(0)
        index.seek(0)
        raw = cur.cursor
        raw.copy_expert("COPY bench_bodies (id, body_enc) FROM STDIN", bodies)
        # Every row gets a new version: drop the secondary indexes (four trigram GINs among them) for the UPDATE
        # and build them once after it, as data.generate_telegrams does for its INSERT.
        secondary = data._secondary_indexes(cur, "telegrams_telegram")
        for name, _ in secondary:
            cur.execute(f'DROP INDEX "{name}"')
        cur.execute("UPDATE telegrams_telegram t SET body_enc = b.body_enc FROM bench_bodies b WHERE t.id = b.id")
        cur.execute("DROP TABLE bench_bodies")
        for _, definition in secondary:
            cur.execute(definition)
        cur.execute("VACUUM telegrams_telegram")
        if progress:
            progress(0.8)
        table = BodyIndex._meta.db_table
        cur.execute("DROP INDEX IF EXISTS body_index_tags_gin")
        raw.copy_expert(f"COPY {table} (telegram_id, key_id, tags) FROM STDIN", index)
        cur.execute(f"CREATE INDEX body_index_tags_gin ON {table} USING gin (tags)")
        # VACUUM, not only ANALYZE: 100,000 rows just inserted would start autovacuum's insert threshold on this
        # table in the middle of the first measured page (a busy third process on 2 cores).
        cur.execute(f"VACUUM ANALYZE {table}")
        cur.execute("ANALYZE telegrams_telegram")
    return len(rows)


def _timed(fn) -> float:
    t0 = time.perf_counter()
    fn()
    return (time.perf_counter() - t0) * 1000


def _pair(ours, base, reps: int, p, start: float, span: float) -> tuple[list[float], list[float]]:
    for _ in range(2):  # warm caches for both
        ours()
        base()
    a, b = [], []
    for k in range(reps):  # interleaved: both see the same machine
        a.append(ours())
        b.append(base())
        p.show(start + span * (k + 1) / reps)
    return a, b


def _against_floor(pages: dict[str, str], get, floor, reps: int, p, start: float, span: float) -> dict:
    """Each page's p95 against its floor's, interleaved; `floor(k)` is the floor's k-th path, so it reads a
    different window each time, across the table (no cache serves it the same rows twice)."""
    from bench.run import pcts

    results = {}
    for i, (name, path) in enumerate(pages.items()):
        spot = iter(range(10**9))
        ours, baseline = _pair(lambda path=path: get(path), lambda spot=spot: get(floor(next(spot))), reps, p,
                               start + span * i / len(pages), span / len(pages))
        results[name] = {"ours_ms": pcts(ours), "baseline_ms": pcts(baseline),
                         "ratio": round(pcts(baseline)["p95"] / pcts(ours)["p95"], 3)}
    return results


def _get(browser, die):
    def once(path: str) -> float:
        t0 = time.perf_counter()
        response, _ = browser.request("GET", path)
        if response.status != 200:
            die(f"GET {path} answered {response.status}")
        return (time.perf_counter() - t0) * 1000
    return once


def _ensure_telegrams(ctx, p) -> int:
    from django.contrib.auth import get_user_model

    from bench import data
    from telegrams.models import Telegram

    n = ctx["cfg"]["list_n"]
    clerk = get_user_model().objects.get(username="clerk")
    if not Telegram.objects.filter(receipt_year=YEAR).exists():
        p.show(0.0, f"generating {n:,} telegrams")
        data.generate_telegrams(n, year=YEAR, registered_by_id=clerk.pk)
    if not ctx.get("bodies"):
        p.show(0.1, "encrypting bodies, building the blind index")
        ctx["bodies"] = generate_bodies(year=YEAR, progress=_progress(p, 0.1, 0.2))
    return Telegram.objects.filter(receipt_year=YEAR).count()


def bench_register_floor(ctx: dict, p) -> dict:
    from bench.run import Browser, die, session_for
    from core import keyset
    from telegrams import search
    from telegrams.models import Telegram

    n = _ensure_telegrams(ctx, p)
    reps = 2 * ctx["cfg"]["list_reps"]  # 40 quick, 100 full: a p95 of 20 samples is nearly their maximum
    query = {"precedence": "平急", "q": "通知"}
    filtered = Telegram.objects.filter(precedence="平急").filter(search.search_q("通知")).order_by("-received_at", "-id")
    deep_row = filtered[500 * 50 - 1: 500 * 50].get()  # the last row of page 500: 下一页 from it is page 501
    cursor = keyset._encode([deep_row.received_at, deep_row.pk], 501)
    first_pk = Telegram.objects.filter(receipt_year=YEAR).order_by("pk").values_list("pk", flat=True).first()
    pages = {
        "page_1": "/telegrams/?" + urlencode(query),
        "deep_501_by_cursor": "/telegrams/?" + urlencode({**query, "after": cursor}),
        "jump_page_500": "/telegrams/?" + urlencode({**query, "page": 500}),
    }
    get = _get(Browser(ctx["http"], session_for("clerk")), die)
    results = _against_floor(pages, get, lambda k: f"/bench/register-floor/?from={first_pk + (k * 7919 * 50) % max(1, n - 50)}",
                             reps, p, 0.3, 0.25)
    history = _history_floor(ctx, p, reps)
    audit = _audit_floor(ctx, p, reps)
    pages = [*results.values(), *(v for v in history.values() if isinstance(v, dict)), *audit.values()]
    worst = min(pages, key=lambda r: r["ratio"])
    return {
        "ours": worst["ours_ms"]["p95"], "baseline": worst["baseline_ms"]["p95"], "ratio": worst["ratio"],
        "unit": "ms p95, worst page (ratio = floor/ours)",
        "detail": {"telegrams": n, "filter": query, "register": results, "routing_history": history, "audit_log": audit,
                   "goal": ">= 0.5 every page"},
    }


def generate_history(*, year: int, created_by_id: int) -> int:
    """One routing order per generated telegram of `year` without one, and one order event each (the history's
    rows: 1,000,000 in the full run), received-time ordered like the register."""
    from django.db import connection

    from bench import data

    with connection.cursor() as cur:
        data.add_done_orders(cur, year=year, created_by_id=created_by_id)
        cur.execute(
            """INSERT INTO routing_routingevent (telegram_id, delivery_id, order_id, at, actor_id, subject, from_state,
                   to_state, note)
               SELECT o.telegram_id, NULL, o.id, o.completed_at, NULL, 'order', 'pending', 'done', '已分送 3 个单位'
               FROM routing_routingorder o JOIN telegrams_telegram t ON t.id = o.telegram_id
               WHERE t.receipt_year = %s AND NOT EXISTS (SELECT 1 FROM routing_routingevent e WHERE e.order_id = o.id)""",
            [year],
        )
        cur.execute("VACUUM ANALYZE routing_routingevent")  # as autovacuum leaves a table that stopped growing
        cur.execute("SELECT count(*) FROM routing_routingevent")
        return cur.fetchone()[0]


def _history_floor(ctx, p, reps) -> dict:
    from django.contrib.auth import get_user_model

    from bench.run import Browser, session_for
    from core import keyset
    from routing.models import RoutingEvent

    clerk = get_user_model().objects.get(username="clerk")
    p.show(0.55, "generating the routing history")
    events = generate_history(year=YEAR, created_by_id=clerk.pk)
    admin = Browser(ctx["http"], session_for("admin"))
    get = _get(admin, lambda m: (_ for _ in ()).throw(RuntimeError(m)))
    query = {"precedence": "平急"}
    filtered = RoutingEvent.objects.filter(telegram__precedence="平急").order_by("-at", "-id")
    deep = filtered.values_list("at", "id")[500 * 100 - 1]
    first_pk = RoutingEvent.objects.order_by("pk").values_list("pk", flat=True).first()
    pages = {
        "page_1": "/routing/history/?" + urlencode(query),
        "deep_501_by_cursor": "/routing/history/?" + urlencode({**query, "after": keyset._encode(list(deep), 501)}),
        "jump_page_500": "/routing/history/?" + urlencode({**query, "page": 500}),
    }
    return {"events": events, **_against_floor(
        pages, get, lambda k: f"/bench/history-floor/?from={first_pk + (k * 7919 * 100) % max(1, events - 100)}",
        reps, p, 0.6, 0.1)}


def _audit_floor(ctx, p, reps) -> dict:
    from django.core.management import call_command

    from audit.models import AuditEntry
    from bench import data
    from bench.run import Browser, session_for
    from core import keyset

    target = ctx["cfg"]["list_n"]
    have = AuditEntry.objects.count()
    if have < target:
        p.show(0.7, f"generating {target - have:,} audit entries")
        data.append_audit_entries(target - have, progress=_progress(p, 0.7, 0.1))
        call_command("audit_checkpoint", stdout=io.StringIO())
    admin = Browser(ctx["http"], session_for("admin"))
    get = _get(admin, lambda m: (_ for _ in ()).throw(RuntimeError(m)))
    head = AuditEntry.objects.order_by("-seq").values_list("seq", flat=True).first()
    deep_seq = AuditEntry.objects.order_by("-seq").values_list("seq", flat=True)[500 * 50 - 1]
    pages = {
        "page_1": "/audit/",
        "deep_501_by_cursor": "/audit/?" + urlencode({"after": keyset._encode([deep_seq], 501)}),
        "jump_page_500": "/audit/?page=500",
    }
    return _against_floor(pages, get, lambda k: f"/bench/audit-floor/?from={(k * 7919 * 50) % max(1, head - 50)}",
                          reps, p, 0.8, 0.2)


def bench_body_search(ctx: dict, p) -> dict:
    from bench.run import pcts
    from telegrams import search
    from telegrams.models import Telegram

    n = _ensure_telegrams(ctx, p)
    reps = 10 * ctx["cfg"]["list_reps"]  # each takes milliseconds: 200 quick, 500 full
    title = Telegram.objects.only("id", "receipt_no", "title", "received_at")

    def title_query() -> float:
        return _timed(lambda: list(title.filter(title__icontains=TITLE_QUERY).order_by("-received_at", "-id")[:50]))

    results, found = {}, {}
    for i, (chars, q) in enumerate(BODY_QUERIES.items()):
        found[chars] = len(search.body_search(q))
        if found[chars] < 50:
            raise RuntimeError(f"body query {q!r} found {found[chars]} telegrams: the generated bodies are wrong")
        ours, base = _pair(lambda q=q: _timed(lambda: search.body_search(q)), title_query, reps, p, 0.3 + 0.7 * i / 3, 0.7 / 3)
        results[f"{chars}_chars"] = {"query": q, "ours_ms": pcts(ours), "title_trigram_ms": pcts(base),
                                     "ratio": round(pcts(base)["p95"] / pcts(ours)["p95"], 3)}
    worst = min(results.values(), key=lambda r: r["ratio"])
    return {
        "ours": worst["ours_ms"]["p95"], "baseline": worst["title_trigram_ms"]["p95"], "ratio": worst["ratio"],
        "unit": "ms p95, worst query (ratio = title trigram/body)",
        "detail": {"telegrams": n, "title_query": TITLE_QUERY, "queries": results, "limit": 50,
                   "goal": ">= 0.25 (body p95 within 4x the title query's)"},
    }



