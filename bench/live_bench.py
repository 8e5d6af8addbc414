#!/usr/bin/env python3
"""What one open page costs the server per minute while nothing happens: the live poll (notifications/live.py,
static/js/live.js) against reloading the same page at the same interval.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres CELERY_BROKER_URL=redis://127.0.0.1:6379/7 \\
        .venv/bin/python bench/live_bench.py [--telegrams 100000] [--polls 300] [--real-minute]

Production set-up, as bench/run.py: its own database (BENCH_DB, default bench_live; created, dropped at the end),
DEBUG off, gunicorn (gthread 2 × 4). The register holds --telegrams generated telegrams with ~2 deliveries each
(bench/data.py: one in a hundred still open), so each unit has a history and some open work. For the unit's
承办人 (本单位来电 open) and the leader (待批示 open), a client polls the way the script does (If-None-Match, the
session cookie, X-Live, a browser's usual headers): processor time of gunicorn and of the PostgreSQL backends
serving it, from /proc, over --polls polls back to back; statements per poll counted in-process through the same
middleware; bytes on the wire (request and response, HTTP/1.1 keep-alive, TCP/IP overhead not counted). Per
minute = per poll × 60 / LIVE_POLL_SECONDS. --real-minute also keeps one page open for a real minute at the real
interval and reads the processor time it cost. Figures: bench/README.md."""
from __future__ import annotations

import argparse
import http.client
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("BENCH_DB", "bench_live")

from bench import run as bench  # noqa: E402 — after BENCH_DB is set: bench.run reads it on import

# What Chromium sends with a same-origin fetch besides what the script sets (sizes as a real browser's).
BROWSER_HEADERS = {
    "User-Agent": "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
    "Accept-Language": "zh-CN,zh;q=0.9",
    "Accept-Encoding": "gzip, deflate, br, zstd",
    "Sec-Fetch-Site": "same-origin", "Sec-Fetch-Mode": "cors", "Sec-Fetch-Dest": "empty",
    "sec-ch-ua": '"Chromium";v="131", "Not_A Brand";v="24"', "sec-ch-ua-mobile": "?0", "sec-ch-ua-platform": '"Linux"',
    "Connection": "keep-alive",
}
PEOPLE = {"zonggonghui": "/routing/inbox/", "leader": "/annotations/inbox/"}


class Client:
    """One browser tab's connection: keep-alive, the session cookie, bytes counted as they go over the wire."""

    def __init__(self, address: str, session_key: str, referer: str):
        self.host, port = address.split(":")
        self.port = int(port)
        self.conn = http.client.HTTPConnection(self.host, self.port, timeout=60)
        self.headers = {**BROWSER_HEADERS, "Host": address, "Referer": f"http://{address}{referer}",
                        "Cookie": f"csrftoken={'x' * 32}; sessionid={session_key}"}

    def get(self, path: str, extra: dict) -> tuple[int, dict, int, int]:
        headers = {**self.headers, **extra}
        sent = len(f"GET {path} HTTP/1.1\r\n".encode()) + sum(len(f"{k}: {v}\r\n".encode()) for k, v in headers.items()) + 2
        self.conn.request("GET", path, headers={k: v for k, v in headers.items() if k != "Host"})
        response = self.conn.getresponse()
        body = response.read()
        received = (len(f"HTTP/1.1 {response.status} {response.reason}\r\n".encode())
                    + sum(len(f"{k}: {v}\r\n".encode()) for k, v in response.getheaders()) + 2 + len(body))
        return response.status, dict(response.getheaders()), sent, received


def _cpu_of(pid: str) -> tuple[float, int, str]:
    """(processor seconds used, process group, command line) of a process, or raises OSError once it is gone."""
    tick = os.sysconf("SC_CLK_TCK")
    stat = Path(f"/proc/{pid}/stat").read_text()
    rest = stat[stat.rindex(")") + 2:].split()
    cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    return (int(rest[11]) + int(rest[12])) / tick, int(rest[2]), cmdline


class CpuMeter:
    """Processor time of gunicorn (its process group) and of the PostgreSQL backends serving the benchmark's
    database (their command line names it), sampled while the load runs: a connection that gunicorn closes and
    opens again (CONN_MAX_AGE) is counted until its last sample, a new one from its start."""

    def __init__(self, gunicorn_pgrp: int, database: str):
        self.pgrp, self.tag = gunicorn_pgrp, f" {database} "
        self.first: dict[str, float] = {}
        self.last: dict[str, tuple[str, float]] = {}
        self.started = False

    def sample(self) -> None:
        for pid in os.listdir("/proc"):
            if not pid.isdigit():
                continue
            try:
                used, pgrp, cmdline = _cpu_of(pid)
            except OSError:
                continue
            backend = cmdline.startswith("postgres:") and self.tag in cmdline
            kind = "gunicorn" if pgrp == self.pgrp else "postgres" if backend else None
            if kind is None:
                continue
            self.first.setdefault(pid, used if not self.started else 0.0)
            self.last[pid] = (kind, used)
        self.started = True

    def used_ms(self) -> dict[str, float]:
        out = {"gunicorn": 0.0, "postgres": 0.0}
        for pid, (kind, used) in self.last.items():
            out[kind] += (used - self.first[pid]) * 1000
        return out


def statements(username: str, path: str, live: bool) -> int:
    """Statements one request makes, counted in-process through the same URLconf and middleware."""
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client as DjangoClient
    from django.test.utils import CaptureQueriesContext

    client = DjangoClient()
    client.force_login(get_user_model().objects.get(username=username))
    headers = {"HTTP_X_LIVE": "1"} if live else {}
    first = client.get(path, **headers)
    if live:
        headers["HTTP_IF_NONE_MATCH"] = first["ETag"]
    with CaptureQueriesContext(connection) as queries:
        answer = client.get(path, **headers)
    assert answer.status_code == (304 if live else 200), answer.status_code
    return len(queries)


def measure(client: Client, path: str, n: int, headers: dict, expect: int, gunicorn_pgrp: int,
            pause: float = 0.0) -> dict:
    """`n` requests one after the other (`pause` seconds apart), their processor time, bytes and latency."""
    meter = CpuMeter(gunicorn_pgrp, os.environ["BENCH_DB"])
    meter.sample()
    sent = received = 0
    busy = 0.0
    for i in range(n):
        started = time.perf_counter()
        status, _, out, back = client.get(path, headers)
        busy += time.perf_counter() - started
        if status != expect:
            bench.die(f"GET {path} answered {status}, not {expect}; see var/bench-gunicorn.log")
        sent, received = sent + out, received + back
        if pause or i % 50 == 0:
            meter.sample()
        time.sleep(pause)
    meter.sample()
    used = meter.used_ms()
    return {"cpu_ms_gunicorn": used["gunicorn"] / n, "cpu_ms_postgres": used["postgres"] / n,
            "bytes_sent": sent / n, "bytes_received": received / n, "latency_ms": busy * 1000 / n, "n": n}


def main() -> None:
    parser = argparse.ArgumentParser(description="What an idle open page costs the server (bench/README.md)")
    parser.add_argument("--telegrams", type=int, default=100_000, help="generated register size (default 100000)")
    parser.add_argument("--polls", type=int, default=300, help="polls measured per person (default 300)")
    parser.add_argument("--real-minute", action="store_true", help="also keep a page open for a real minute")
    parser.add_argument("--keep-db", action="store_true")
    args = parser.parse_args()

    admin_url, _ = bench.configure()
    gunicorn = None
    try:
        bench.create_database(admin_url)
        import django

        django.setup()
        from django.conf import settings
        from django.contrib.auth import get_user_model
        from django.core.management import call_command

        from bench.data import generate_deliveries, generate_telegrams
        from routing.actions import route
        from routing.models import OrderState, RoutingOrder
        from tests import factories

        call_command("migrate", verbosity=0)
        with open(os.devnull, "w") as devnull:
            call_command("seed_demo", stdout=devnull)
        users = {u.username: u for u in get_user_model().objects.all()}
        print(f"generating {args.telegrams} telegrams and their deliveries …", file=sys.stderr)
        generate_telegrams(args.telegrams, year=2025, registered_by_id=users["clerk"].pk)
        deliveries = generate_deliveries(year=2025, created_by_id=users["clerk"].pk)
        # Something for each person to see: a 特提 routed to 总工会 (its staff and the leaders are alerted).
        factories.register(users["clerk"], received_at=factories.SEED["received_at"].replace(year=2026))
        for pk in RoutingOrder.objects.filter(state=OrderState.PENDING).values_list("pk", flat=True):
            route(pk)
        bench.purge_broker()
        gunicorn, address = bench.start_gunicorn()
        interval = settings.LIVE_POLL_SECONDS
        per_minute = 60 / interval
        rows = []
        for username, page in PEOPLE.items():
            client = Client(address, bench.session_for(username), referer=page)
            status, _, _, _ = client.get(page, {"Accept": "text/html"})
            assert status == 200, status
            live_headers = {"Accept": "application/json", "X-Live": "1"}
            status, headers, _, _ = client.get("/alerts/live/", live_headers)
            assert status == 200, status
            live_headers["If-None-Match"] = headers["ETag"]
            for _ in range(20):  # warm both paths
                client.get("/alerts/live/", live_headers)
                client.get(page, {"Accept": "text/html"})
            poll = measure(client, "/alerts/live/", args.polls, live_headers, 304, gunicorn.proc.pid)
            reload = measure(client, page, max(args.polls // 5, 20), {"Accept": "text/html"}, 200, gunicorn.proc.pid)
            poll["statements"] = statements(username, "/alerts/live/", live=True)
            reload["statements"] = statements(username, page, live=False)
            rows.append((username, page, poll, reload))

        print(f"\n{args.telegrams} telegrams, {deliveries} deliveries; poll every {interval:g} s = {per_minute:g} "
              f"requests per open page per minute; {os.cpu_count()} CPUs (shared)\n")
        print("| person (page) | | statements | gunicorn CPU | PostgreSQL CPU | bytes up | bytes down | latency |")
        print("|---|---|---:|---:|---:|---:|---:|---:|")
        for username, page, poll, reload in rows:
            for label, m in (("live poll, 304", poll), ("reloading the page", reload)):
                print(f"| {username} ({page}) | {label}: per request | {m['statements']} | {m['cpu_ms_gunicorn']:.2f} ms | "
                      f"{m['cpu_ms_postgres']:.2f} ms | {m['bytes_sent']:.0f} | {m['bytes_received']:.0f} | "
                      f"{m['latency_ms']:.1f} ms |")
                print(f"| | {label}: per minute | {m['statements'] * per_minute:.0f} | "
                      f"{m['cpu_ms_gunicorn'] * per_minute:.0f} ms | {m['cpu_ms_postgres'] * per_minute:.0f} ms | "
                      f"{m['bytes_sent'] * per_minute / 1024:.1f} KB | {m['bytes_received'] * per_minute / 1024:.1f} KB | |")

        if args.real_minute:
            username, page = "zonggonghui", PEOPLE["zonggonghui"]
            client = Client(address, bench.session_for(username), referer=page)
            _, headers, _, _ = client.get("/alerts/live/", {"X-Live": "1"})
            live_headers = {"Accept": "application/json", "X-Live": "1", "If-None-Match": headers["ETag"]}
            n = int(60 / interval)
            m = measure(client, "/alerts/live/", n, live_headers, 304, gunicorn.proc.pid, pause=interval)
            print(f"\na real minute, one page open ({username}, {PEOPLE[username]}): {n} polls, processor time "
                  f"gunicorn {m['cpu_ms_gunicorn'] * n:.0f} ms, PostgreSQL {m['cpu_ms_postgres'] * n:.0f} ms "
                  f"(/proc counts in 10 ms ticks), {m['bytes_sent'] * n / 1024:.1f} KB up, "
                  f"{m['bytes_received'] * n / 1024:.1f} KB down")
    finally:
        if gunicorn is not None:
            gunicorn.stop()
        try:
            from django.db import connections

            connections.close_all()
        except Exception:
            pass
        if not args.keep_db:
            bench.drop_database(admin_url)


if __name__ == "__main__":
    main()
