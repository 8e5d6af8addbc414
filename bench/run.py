#!/usr/bin/env python3
"""Benchmarks: each one runs ours and a baseline on the same services in the same run, and reports the ratio.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres CELERY_BROKER_URL=redis://127.0.0.1:6379/7 \\
        .venv/bin/python bench/run.py --quick

DATABASE_URL names a server and a database to connect to for administration: the run creates its own database
(bench_telegram_office), migrates it, seeds the demo and drops it at the end. CELERY_BROKER_URL should be a Redis
database no other worker consumes (the run purges its queues). Results: a table on stdout, bench/results.json.
Method and latest figures: bench/README.md.
"""
from __future__ import annotations

import argparse
import http.client
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from datetime import timedelta
from pathlib import Path
from unittest import mock
from urllib.parse import urlencode, urlparse, urlunparse

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
BENCH_DB = os.environ.get("BENCH_DB", "bench_telegram_office")  # the run's own database (created, then dropped)
RESULTS = Path(os.environ.get("BENCH_RESULTS", ROOT / "bench" / "results.json"))
PROFILES = ROOT / "bench" / "profiles"
LOGS = ROOT / "var"
INSTRUCTION = "请财政厅牵头，民政厅、教育厅配合办理。"  # three units: one lead, two assisting
URGENT_INSTRUCTION = "送：自治区总工会。"
STALL_LIMIT = 180  # seconds without the expected work done: the run stops and says so
GOALS = {"register": 0.5, "route": 0.5, "latency": 0.33, "audit_verify": 0.5}

QUICK = {"register_s": 5, "route_n": 300, "latency_n": 150, "latency_bg": 6, "audit_n": 100_000,
         "list_n": 100_000, "list_reps": 20}
FULL = {"register_s": 15, "route_n": 1000, "latency_n": 300, "latency_bg": 6, "audit_n": 1_000_000,
        "list_n": 1_000_000, "list_reps": 50}


def die(message: str) -> None:
    print(f"bench/run.py: {message}", file=sys.stderr)
    sys.exit(2)


# --- progress and report ---------------------------------------------------------------------------------

class Progress:
    """One bar for the whole run on stderr; each step has a weight (its rough share of the run's time)."""

    def __init__(self, weights: dict[str, float]):
        self.weights, self.done, self.tty = weights, 0.0, sys.stderr.isatty()
        self.total = sum(weights.values())
        self.started = time.monotonic()
        self.step, self.label = "", ""

    def begin(self, step: str, label: str = "") -> None:
        self.step, self.label = step, label or step
        self.show(0.0, force=True)

    def show(self, fraction: float, note: str = "", force: bool = False) -> None:
        done = self.done + self.weights.get(self.step, 0) * min(max(fraction, 0.0), 1.0)
        pct = done / self.total if self.total else 1.0
        bar = "█" * int(30 * pct) + "░" * (30 - int(30 * pct))
        line = f"[{bar}] {pct:4.0%} {time.monotonic() - self.started:5.0f}s  {self.label} {note}"
        if self.tty:
            sys.stderr.write("\r" + line[:110].ljust(110))
            sys.stderr.flush()
        elif force:
            print(line, file=sys.stderr, flush=True)

    def end(self) -> None:
        self.done += self.weights.get(self.step, 0)
        self.show(0.0)

    def close(self) -> None:
        if self.tty:
            sys.stderr.write("\n")


def table(results: dict) -> str:
    rows = [("benchmark", "ours", "baseline", "ratio", "goal", "unit")]
    for name, r in results.items():
        goal = GOALS.get(name)
        rows.append((name, f"{r['ours']:,.1f}", f"{r['baseline']:,.1f}", f"{r['ratio']:.2f}",
                     f"≥ {goal}" if goal else "", r["unit"]))
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(c.ljust(w) if i in (0, 5) else c.rjust(w) for i, (c, w) in enumerate(zip(row, widths, strict=True)))
             for row in rows]
    lines.insert(1, "-" * len(lines[0]))
    return "\n".join(lines)


def percentile(values: list[float], p: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    k = max(0, min(len(ordered) - 1, int(round(p / 100 * len(ordered) + 0.5)) - 1))
    return ordered[k]


def pcts(values: list[float]) -> dict:
    return {"p50": round(percentile(values, 50), 2), "p95": round(percentile(values, 95), 2),
            "p99": round(percentile(values, 99), 2), "n": len(values)}


# --- set-up: services, database, processes ----------------------------------------------------------------

def configure() -> tuple[str, str]:
    db_url = os.environ.get("DATABASE_URL", "")
    broker = os.environ.get("CELERY_BROKER_URL", "")
    if not db_url.startswith(("postgres://", "postgresql://", "pgsql://")):
        die("the benchmarks run on PostgreSQL only (what production runs): set DATABASE_URL=postgres://…; "
            "SQLite figures would measure the wrong thing.")
    if not broker.startswith(("redis://", "rediss://")):
        die("the benchmarks need Redis as the broker (what production runs): set CELERY_BROKER_URL=redis://…")
    admin = urlparse(db_url)
    bench_url = urlunparse(admin._replace(path="/" + BENCH_DB))
    from core.secrets import fresh_secrets, new_data_key_ring

    os.environ.update({
        "DJANGO_SETTINGS_MODULE": "bench.settings", "DATABASE_URL": bench_url, "DJANGO_DEBUG": "0",
        "DJANGO_SSL_REDIRECT": "0", "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost,testserver", "LOG_LEVEL": "ERROR",
        # the run's own witness log: checkpoints of an earlier run's database must not meet this one
        "AUDIT_WITNESS_DIR": tempfile.mkdtemp(prefix="bench-witness-"),
        **fresh_secrets(),
        "TELEGRAM_INDEX_KEYS": new_data_key_ring(),  # the body search's own index key, as production sets it
    })
    return db_url, bench_url


def admin_connection(db_url: str):
    import psycopg2

    u = urlparse(db_url)
    conn = psycopg2.connect(host=u.hostname or "127.0.0.1", port=u.port or 5432, user=u.username or "postgres",
                            password=u.password or None, dbname=(u.path or "/postgres").lstrip("/") or "postgres")
    conn.autocommit = True
    return conn


def create_database(db_url: str) -> None:
    conn = admin_connection(db_url)
    try:
        with conn.cursor() as cur:
            cur.execute(f"DROP DATABASE IF EXISTS {BENCH_DB} WITH (FORCE)")
            cur.execute(f"CREATE DATABASE {BENCH_DB}")
    finally:
        conn.close()


def drop_database(db_url: str) -> None:
    conn = admin_connection(db_url)
    try:
        with conn.cursor() as cur:
            cur.execute(f"DROP DATABASE IF EXISTS {BENCH_DB} WITH (FORCE)")
    finally:
        conn.close()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Service:
    """A subprocess in its own process group (gunicorn master + workers, celery main + pool)."""

    def __init__(self, name: str, args: list[str]):
        self.name, self.args = name, args
        self.log = LOGS / f"bench-{name}.log"
        LOGS.mkdir(exist_ok=True)
        with open(self.log, "ab") as log:  # the child keeps its own copy of the descriptor
            self.proc = subprocess.Popen(args, cwd=ROOT, env=dict(os.environ), stdout=log, stderr=subprocess.STDOUT,
                                         start_new_session=True)

    def alive(self) -> bool:
        return self.proc.poll() is None

    def stop(self) -> None:
        if self.alive():
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(10)


class Profile:
    """`--profile`: py-spy samples a service's processes (wall clock, idle included, so waits on locks and the
    database show) while ours runs; the raw stacks go to bench/profiles/NAME.raw and a summary to NAME.txt."""

    enabled = False
    idle = True  # `--profile cpu`: on-CPU samples only (where the processor time goes, not the waits)

    def __init__(self, name: str, pid: int):
        self.proc = None
        if not Profile.enabled:
            return
        PROFILES.mkdir(exist_ok=True)
        self.name, self.raw = name, PROFILES / f"{name}.raw"
        spy = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
        self.proc = subprocess.Popen([spy, "record", "--pid", str(pid), "--subprocesses", *(["--idle"] if Profile.idle else []),
                                      "--rate", "200", "--format", "raw", "-o", str(self.raw)], stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL)
        time.sleep(1.0)  # py-spy attaches

    def stop(self) -> None:
        if self.proc is None:
            return
        self.proc.send_signal(signal.SIGINT)  # py-spy writes its file on Ctrl-C
        self.proc.wait(60)
        (PROFILES / f"{self.name}.txt").write_text(summarize(self.raw))


def summarize(raw: Path, top: int = 40) -> str:
    """Inclusive share of the samples spent in each function of the project's own code (and the leaf
    functions overall), counting only samples inside a request or a task."""
    inclusive, leaves, total = {}, {}, 0
    packages = {d.name for d in ROOT.iterdir() if (d / "__init__.py").exists()}  # py-spy names files from sys.path
    for line in raw.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        frames = stack.split(";")
        if not any(("get_response" in f or "trace_task" in f) for f in frames):
            continue  # idle event loops, accept(), the pool's bookkeeping
        n = int(count)
        total += n
        seen = set()
        for f in frames:
            where = f.rpartition(" (")[2]
            if where.split("/", 1)[0] in packages:
                key = re.sub(r":\d+\)$", ")", f)
                if key not in seen:
                    seen.add(key)
                    inclusive[key] = inclusive.get(key, 0) + n
        leaf = re.sub(r":\d+\)$", ")", frames[-1])
        leaves[leaf] = leaves.get(leaf, 0) + n
    clock = "wall clock" if Profile.idle else "on CPU"
    lines = [f"{total} samples in requests/tasks ({clock}, 200 Hz)", "", "inclusive, project code:"]
    lines += [f"{100 * v / total:5.1f}%  {k}" for k, v in sorted(inclusive.items(), key=lambda kv: -kv[1])[:top]]
    lines += ["", "leaf functions (where the time is spent):"]
    lines += [f"{100 * v / total:5.1f}%  {k}" for k, v in sorted(leaves.items(), key=lambda kv: -kv[1])[:20]]
    return "\n".join(lines) + "\n"


def start_gunicorn(workers: int = 2, threads: int = 4) -> tuple[Service, str]:
    port = free_port()
    svc = Service("gunicorn", [sys.executable, "-m", "gunicorn", "telegram_office.wsgi:application", "--bind", f"127.0.0.1:{port}",
                               "--workers", str(workers), "--worker-class", "gthread", "--threads", str(threads),
                               "--timeout", "120", "--keep-alive", "30"])
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            conn.request("GET", "/healthz")
            conn.getresponse().read()
            return svc, f"127.0.0.1:{port}"
        except OSError:
            if not svc.alive():
                break
            time.sleep(0.2)
    svc.stop()
    die(f"gunicorn did not start; see {svc.log}")


def start_worker(concurrency: int) -> Service:
    return Service(f"worker-c{concurrency}", [
        sys.executable, "-m", "celery", "-A", "bench.celeryapp", "worker", "-Q", "urgent,default", "-c", str(concurrency),
        "-l", "WARNING", "-n", f"bench-{os.getpid()}-{concurrency}@%h", "--without-gossip", "--without-mingle",
        "--without-heartbeat",
    ])


def redis():
    import redis as redis_lib
    from django.conf import settings

    return redis_lib.Redis.from_url(settings.CELERY_BROKER_URL)


def purge_broker() -> None:
    r = redis()
    keys = [k for k in r.scan_iter(match="*") if k.split(b"\x06")[0] in (b"default", b"urgent")
            or k.startswith((b"unacked", b"bench:"))]
    if keys:
        r.delete(*keys)


def wait_worker_ready(worker: Service, timeout: float = 60) -> None:
    from bench.celeryapp import NOOP_DONE, noop

    r = redis()
    r.delete(NOOP_DONE)
    noop.apply_async(queue="default")
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if int(r.get(NOOP_DONE) or 0) >= 1:
            r.delete(NOOP_DONE)
            return
        if not worker.alive():
            break
        time.sleep(0.05)
    die(f"the Celery worker did not answer; see {worker.log}")


# --- an HTTP client: one clerk's browser ------------------------------------------------------------------

CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


class Browser:
    def __init__(self, address: str, session_key: str):
        self.host, port = address.split(":")
        self.port = int(port)
        self.cookies = {"sessionid": session_key}
        self.token = ""
        self.conn = None

    def _send(self, method: str, path: str, body: bytes | None, headers: dict):
        for attempt in (0, 1):
            if self.conn is None:
                self.conn = http.client.HTTPConnection(self.host, self.port, timeout=120)
            try:
                self.conn.request(method, path, body=body, headers=headers)
                response = self.conn.getresponse()
                return response, response.read()
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                self.conn.close()
                self.conn = None  # the server closed an idle keep-alive connection: reconnect once
                if attempt:
                    raise

    def request(self, method: str, path: str, data: dict | None = None):
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
        body = None
        if data is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            body = urlencode({**data, "csrfmiddlewaretoken": self.token}).encode()
        response, content = self._send(method, path, body, headers)
        for cookie in response.headers.get_all("Set-Cookie") or []:
            name, _, rest = cookie.partition("=")
            self.cookies[name.strip()] = rest.split(";", 1)[0]
        return response, content

    def open_form(self, path: str) -> None:
        response, content = self.request("GET", path)
        if response.status != 200:
            die(f"GET {path} answered {response.status}; see var/bench-gunicorn.log")
        self.token = CSRF_INPUT.search(content.decode()).group(1)


def session_for(username: str) -> str:
    from django.contrib.auth import get_user_model
    from django.test import Client

    client = Client()
    client.force_login(get_user_model().objects.get(username=username))
    return client.cookies["sessionid"].value


def cpu_seconds(server_pid: int | None) -> dict[str, float]:
    """Processor time used so far (user + system), by the machine, by the benchmark's gunicorn (its process
    group) and by PostgreSQL: where a request's cost goes, since on 2 cores throughput is as much CPU as waiting."""
    tick = os.sysconf("SC_CLK_TCK")
    with open("/proc/stat") as f:
        fields = [int(x) for x in f.readline().split()[1:]]
    out = {"machine": (sum(fields) - fields[3] - fields[4]) / tick, "gunicorn": 0.0, "postgres": 0.0}
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open(f"/proc/{pid}/stat") as f:
                stat = f.read()
        except OSError:
            continue
        name = stat[stat.index("(") + 1:stat.rindex(")")]
        rest = stat[stat.rindex(")") + 2:].split()
        used = (int(rest[11]) + int(rest[12])) / tick  # utime, stime
        if name.startswith("postgres"):
            out["postgres"] += used
        elif server_pid is not None and int(rest[2]) == server_pid:  # pgrp: the server runs in its own session
            out["gunicorn"] += used
    return out


def run_load(browsers: list[Browser], request, seconds: float, progress=None, server_pid: int | None = None) -> dict:
    """Every browser sends requests back to back for `seconds`; returns completed requests, their latencies
    and the processor time they cost."""
    latencies: list[float] = []
    failures: list[str] = []
    lock = threading.Lock()
    deadline = time.monotonic() + seconds

    def loop(i: int, browser: Browser) -> None:
        n = 0
        while time.monotonic() < deadline:
            t0 = time.perf_counter()
            ok, why = request(i, n, browser)
            took = time.perf_counter() - t0
            with lock:
                (latencies.append(took) if ok else failures.append(why))
            n += 1

    threads = [threading.Thread(target=loop, args=(i, b), daemon=True) for i, b in enumerate(browsers)]
    cpu_before = cpu_seconds(server_pid)
    started = time.monotonic()
    for t in threads:
        t.start()
    while any(t.is_alive() for t in threads):
        if progress:
            progress(min(1.0, (time.monotonic() - started) / seconds))
        time.sleep(0.2)
    elapsed = time.monotonic() - started
    cpu_after = cpu_seconds(server_pid)
    if failures:
        die(f"{len(failures)} requests failed, e.g. {failures[0]}; see var/bench-gunicorn.log")
    return {"count": len(latencies), "seconds": elapsed, "latencies_ms": [x * 1000 for x in latencies],
            "cpu_s": {k: cpu_after[k] - cpu_before[k] for k in cpu_after}}


# --- the benchmarks ---------------------------------------------------------------------------------------

def body_of_bytes(size: int) -> str:
    text = "各地区各部门要认真贯彻落实通知精神，结合实际抓好组织实施，确保各项措施落到实处。"
    out = ""
    while len((out + text).encode()) <= size:
        out += text
    while len(out.encode()) < size:
        out += "。"
    return out


def bench_register(ctx: dict, p: Progress) -> dict:
    from django.utils import timezone

    seconds = ctx["cfg"]["register_s"]
    body = body_of_bytes(2048)
    received = timezone.localtime(timezone.now() - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")
    clients = 8
    browsers = [Browser(ctx["http"], session_for("clerk")) for _ in range(clients)]
    for b in browsers:
        b.open_form("/telegrams/new/")

    def form(i: int, n: int, rnd: int) -> dict:
        return {
            "sender_unit_name": "自治区人民政府办公厅", "precedence": "平急", "classification": "明电",
            "received_at": received, "title": f"关于做好第{rnd}-{i}-{n}号事项的通知", "sending_unit": "自治区人民政府办公厅",
            "sender_doc_no": f"宁政办发〔2026〕{rnd}{i:02d}{n:06d}号", "addressees": "各市、县（区）人民政府，自治区政府各部门",
            "cc": "", "pages": "2", "copies": "1", "signatory": "自治区人民政府办公厅", "signed_on": "", "body": body,
            "instruction": INSTRUCTION, "proposal": "", "receipt_no": "",
        }

    def ours(rnd):
        def request(i, n, b):
            response, _ = b.request("POST", "/telegrams/new/", form(i, n, rnd))
            # A browser follows the redirect, and the telegram page consumes the "已登记，收文号 …" flash message.
            # The client does not fetch that page (it is not the registration), so it drops the message cookie the
            # page would have emptied; kept, it grows to the 4 KB cookie limit and every later request spends
            # ~1.3 ms of CPU re-trimming it, a cost no clerk ever pays.
            b.cookies.pop("messages", None)
            ok = response.status == 302 and re.search(r"/telegrams/\d+/$", response.getheader("Location") or "")
            return bool(ok), f"register answered {response.status}"
        return request

    def baseline(rnd):
        def request(i, n, b):
            response, _ = b.request("POST", "/bench/insert/", form(i, n, rnd))
            return response.status == 204, f"baseline answered {response.status}"
        return request

    # Warm both paths up, then alternate baseline/ours twice so drift on a busy machine hits both alike.
    run_load(browsers, ours(0), 1.0)
    run_load(browsers, baseline(0), 1.0)
    runs = {"ours": [], "baseline": []}
    plan = [("baseline", baseline(1)), ("ours", ours(1)), ("baseline", baseline(2)), ("ours", ours(2))]
    for k, (name, request) in enumerate(plan):
        profile = Profile("register", ctx["gunicorn"].proc.pid) if k == 1 else None
        runs[name].append(run_load(browsers, request, seconds / 2, lambda f, k=k, name=name: p.show((k + f) / len(plan), name),
                                   server_pid=ctx["gunicorn"].proc.pid))
        if profile:
            profile.stop()
    result = {}
    for name, rs in runs.items():
        count, secs = sum(r["count"] for r in rs), sum(r["seconds"] for r in rs)
        lat = [x for r in rs for x in r["latencies_ms"]]
        cpu = {k: round(1000 * sum(r["cpu_s"][k] for r in rs) / count, 2) for k in rs[0]["cpu_s"]}
        result[name] = {"per_second": count / secs, "requests": count, "latency_ms": pcts(lat),
                        "cpu_ms_per_request": cpu, "machine_busy": round(sum(r["cpu_s"]["machine"] for r in rs)
                                                                         / (secs * (os.cpu_count() or 1)), 2)}
    purge_broker()  # the registrations' routing messages: the route benchmark sends its own
    return {
        "ours": round(result["ours"]["per_second"], 1), "baseline": round(result["baseline"]["per_second"], 1),
        "ratio": round(result["ours"]["per_second"] / result["baseline"]["per_second"], 3), "unit": "registrations/s",
        "detail": {"ours": result["ours"], "baseline": result["baseline"], "clients": clients,
                   "server": "gunicorn gthread 2 workers × 4 threads", "body_bytes": 2048,
                   "seconds_each": seconds},
    }


def _register_pending_orders(n: int) -> list[int]:
    """n telegrams with the three-unit 批办, their orders left pending (no message sent)."""
    from django.contrib.auth import get_user_model
    from django.utils import timezone

    from intake.actions import register
    from routing.models import OrderState, RoutingOrder
    from telegrams.inputs import TelegramInput

    have = list(RoutingOrder.objects.filter(state=OrderState.PENDING).order_by("id").values_list("id", flat=True)[:n])
    if len(have) < n:
        clerk = get_user_model().objects.get(username="clerk")
        received = timezone.now() - timedelta(hours=1)
        with mock.patch("routing.actions.dispatch"):
            for k in range(n - len(have)):
                register(TelegramInput(
                    sender_unit_name="自治区人民政府办公厅", precedence="平急", received_at=received,
                    title=f"关于做好第{k}号路由测试事项的通知", sender_doc_no=f"路由测〔2026〕{k}号",
                    body=body_of_bytes(2048), instruction=INSTRUCTION), actor=clerk)
        have = list(RoutingOrder.objects.filter(state=OrderState.PENDING).order_by("id").values_list("id", flat=True)[:n])
    return have


def bench_route(ctx: dict, p: Progress) -> dict:
    from bench.celeryapp import NOOP_DONE, noop
    from routing.models import Delivery, OrderState, RoutingOrder
    from routing.tasks import route_order

    n = ctx["cfg"]["route_n"]
    purge_broker()
    orders = _register_pending_orders(n)
    worker = start_worker(1)
    ctx["services"].append(worker)
    wait_worker_ready(worker)
    r = redis()
    half = n // 2
    chunks = [orders[:half], orders[half:half * 2]]

    def run_ours(ids: list[int]) -> float:
        # The chunk is a run of the oldest pending orders (_register_pending_orders), so "none of them pending" is
        # "no pending order in its id range": a cheap range probe. Counting the chunk's ids every 10 ms (an
        # IN list of 500) took processor time from the worker on 2 cores, more the larger the run.
        pending = RoutingOrder.objects.filter(pk__gte=min(ids), pk__lte=max(ids), state=OrderState.PENDING)
        t0 = time.perf_counter()
        for oid in ids:
            route_order.apply_async(args=[oid], queue="default", priority=0)
        while pending.exists():
            if not worker.alive():
                die(f"the worker died; see {worker.log}")
            if time.perf_counter() - t0 > STALL_LIMIT:
                die(f"route: orders not routed after {STALL_LIMIT} s (Redis restarted under the run?); see {worker.log}")
            time.sleep(0.01)
        return time.perf_counter() - t0

    def run_baseline(count: int) -> float:
        r.set(NOOP_DONE, 0)
        t0 = time.perf_counter()
        for _ in range(count):
            noop.apply_async(queue="default", priority=0)
        while int(r.get(NOOP_DONE) or 0) < count:
            if time.perf_counter() - t0 > STALL_LIMIT:
                die(f"route: no-op tasks not run after {STALL_LIMIT} s (Redis restarted under the run?); see {worker.log}")
            time.sleep(0.005)
        return time.perf_counter() - t0

    times = {"ours": 0.0, "baseline": 0.0}
    for k in range(2):
        times["baseline"] += run_baseline(half)
        p.show((2 * k + 1) / 4, "baseline")
        profile = Profile("route", worker.proc.pid) if k == 0 else None
        times["ours"] += run_ours(chunks[k])
        if profile:
            profile.stop()
        p.show((2 * k + 2) / 4, "ours")
    worker.stop()
    routed = 2 * half
    deliveries = Delivery.objects.filter(order_id__in=orders[:routed]).count()
    if deliveries != 3 * routed:
        die(f"route: {deliveries} deliveries for {routed} orders (expected {3 * routed})")
    ours, base = routed / times["ours"], routed / times["baseline"]
    return {
        "ours": round(ours, 1), "baseline": round(base, 1), "ratio": round(ours / base, 3), "unit": "telegrams/s",
        "detail": {"telegrams": routed, "deliveries": deliveries, "units_per_telegram": 3,
                   "ours_seconds": round(times["ours"], 2), "baseline_seconds": round(times["baseline"], 2),
                   "worker": "one worker process, prefork concurrency 1, acks_late, prefetch 1"},
    }


def bench_latency(ctx: dict, p: Progress) -> dict:
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.db import connection, connections
    from django.utils import timezone

    from bench.celeryapp import NOOP_LATENCY, noop_latency
    from intake.actions import register
    from routing.models import Delivery
    from telegrams.inputs import TelegramInput

    n, bg_rate = ctx["cfg"]["latency_n"], ctx["cfg"]["latency_bg"]
    purge_broker()
    worker = start_worker(2)
    ctx["services"].append(worker)
    wait_worker_ready(worker)
    clerk = get_user_model().objects.get(username="clerk")
    received = timezone.now() - timedelta(hours=1)
    stop = threading.Event()
    background = {"registered": 0}

    def load() -> None:
        """Ordinary telegrams at a steady rate, registered and routed through the same worker."""
        k = 0
        try:
            while not stop.is_set():
                t0 = time.monotonic()
                register(TelegramInput(
                    sender_unit_name="自治区人民政府办公厅", precedence="平急", received_at=received,
                    title=f"关于做好第{k}号背景负载事项的通知", sender_doc_no=f"背景〔2026〕{k}号", body=body_of_bytes(2048),
                    instruction=INSTRUCTION), actor=clerk)
                k += 1
                background["registered"] = k
                stop.wait(max(0.0, 1 / bg_rate - (time.monotonic() - t0)))
        finally:
            connection.close()

    loader = threading.Thread(target=load, daemon=True)
    loader.start()
    interval = 0.15
    try:
        # ours: 特提 telegram registered (the clock starts before the save) → its delivery to the unit, counted
        # when others can see it: the later of the delivery's time and the registration's commit (routed inline
        # (ROUTE_URGENT_INLINE) the delivery is written before the commit that makes it visible)
        samples, committed = [], {}
        # the moment the registration's COMMIT returned on this thread's connection (the first commit of the call:
        # the after-commit work — alerts — commits transactions of its own)
        main, marks = connections["default"], {}
        commit_hooks = main.run_and_clear_commit_hooks

        def at_commit() -> None:
            marks.setdefault("commit", timezone.now())
            commit_hooks()

        main.run_and_clear_commit_hooks = at_commit
        for k in range(n):
            marks.clear()
            t0 = timezone.now()
            t = register(TelegramInput(
                sender_unit_name="中华全国总工会办公厅", precedence="特提", received_at=received,
                title=f"关于第{k}号特提来电的紧急通知", sender_doc_no=f"特提测〔2026〕{k}号", body=body_of_bytes(2048),
                instruction=URGENT_INSTRUCTION), actor=clerk)
            committed[t.pk] = marks["commit"]
            samples.append((t.pk, t0))
            p.show(0.5 * (k + 1) / n, "ours")
            time.sleep(interval)
        deadline = time.monotonic() + 120
        ids = [pk for pk, _ in samples]
        while Delivery.objects.filter(telegram_id__in=ids).count() < n and time.monotonic() < deadline:
            time.sleep(0.05)
        delivered = dict(Delivery.objects.filter(telegram_id__in=ids).values_list("telegram_id", "delivered_at"))
        if len(delivered) < n:
            die(f"latency: only {len(delivered)} of {n} 特提 telegrams delivered within 2 minutes; see {worker.log}")
        main.run_and_clear_commit_hooks = commit_hooks
        ours = [(max(delivered[pk], committed[pk]) - t0).total_seconds() * 1000 for pk, t0 in samples]
        to_commit = [(committed[pk] - t0).total_seconds() * 1000 for pk, t0 in samples]
        after_commit = [max(0.0, (delivered[pk] - committed[pk]).total_seconds() * 1000) for pk, _ in samples]
        inline = sum(1 for pk, _ in samples if delivered[pk] <= committed[pk])
        # baseline: a no-op task on the same urgent queue, publish → run, under the same background load
        r = redis()
        r.delete(NOOP_LATENCY)
        for k in range(n):
            noop_latency.apply_async(args=[time.time()], queue="urgent", priority=9)
            p.show(0.5 + 0.5 * (k + 1) / n, "baseline")
            time.sleep(interval)
        deadline = time.monotonic() + 60
        while r.llen(NOOP_LATENCY) < n and time.monotonic() < deadline:
            time.sleep(0.05)
        baseline = [float(x) * 1000 for x in r.lrange(NOOP_LATENCY, 0, -1)]
        if len(baseline) < n:
            die(f"latency: only {len(baseline)} of {n} no-op tasks ran; see {worker.log}")
    finally:
        stop.set()
        loader.join(30)
    worker.stop()
    o, b = pcts(ours), pcts(baseline)
    return {
        "ours": o["p99"], "baseline": b["p99"], "ratio": round(b["p99"] / o["p99"], 3), "unit": "ms p99 (ratio = baseline/ours)",
        "detail": {"ours_ms": o, "baseline_ms": b, "samples": n, "interval_s": interval,
                   "background_telegrams_per_s": bg_rate, "background_registered": background["registered"],
                   "routed_in_registration": inline, "register_to_commit_ms": pcts(to_commit),
                   "commit_to_delivered_ms": pcts(after_commit), "route_urgent_inline": settings.ROUTE_URGENT_INLINE,
                   "worker": "one worker, prefork concurrency 2, queues urgent,default"},
    }


def bench_audit_verify(ctx: dict, p: Progress) -> dict:
    import hashlib
    import io

    from django.core.management import call_command
    from django.db import connection

    from audit.models import AuditEntry
    from bench import data

    target = ctx["cfg"]["audit_n"]
    have = AuditEntry.objects.count()
    if have < target:
        data.append_audit_entries(target - have, lambda f: p.show(0.5 * f, "generating the chain"))
    # The generated chain is back-dated: a witnessed checkpoint must cover it, or verify_audit (rightly) reports
    # checkpoints overdue. Signing walks it once (not timed).
    call_command("audit_checkpoint", stdout=io.StringIO())
    with connection.cursor() as cur:
        cur.execute("VACUUM ANALYZE audit_auditentry")
    total = AuditEntry.objects.count()

    def ours() -> float:
        out = io.StringIO()
        t0 = time.perf_counter()
        call_command("verify_audit", stdout=out)
        took = time.perf_counter() - t0
        last = out.getvalue().strip().splitlines()[-1]
        if last != f"OK {total} entries":
            die(f"verify_audit said {last!r}")
        return took

    def baseline() -> float:
        conn = admin_connection(os.environ["DATABASE_URL"])
        conn.autocommit = False
        try:
            t0 = time.perf_counter()
            cur = conn.cursor(name="bench_stream")
            cur.itersize = 5000
            cur.execute("SELECT seq, at, actor_id, actor_name, action, object_type, object_id, data, prev_hash, hash "
                        "FROM audit_auditentry ORDER BY seq")
            sha, n = hashlib.sha256, 0
            for seq, at, actor_id, actor_name, action, object_type, object_id, payload, prev_hash, _digest in cur:
                sha(f"{prev_hash}{seq}{at}{actor_id}{actor_name}{action}{object_type}{object_id}{payload}".encode()).hexdigest()
                n += 1
            took = time.perf_counter() - t0
            cur.close()
        finally:
            conn.close()
        if n != total:
            die(f"baseline streamed {n} of {total} entries")
        return took

    times = {"ours": [], "baseline": []}
    for k in range(2):
        times["baseline"].append(baseline())
        p.show(0.5 + (2 * k + 1) / 8, "baseline")
        times["ours"].append(ours())
        p.show(0.5 + (2 * k + 2) / 8, "ours")
    o, b = total / min(times["ours"]), total / min(times["baseline"])
    return {
        "ours": round(o), "baseline": round(b), "ratio": round(o / b, 3), "unit": "entries/s",
        "detail": {"entries": total, "ours_seconds": [round(t, 2) for t in times["ours"]],
                   "baseline_seconds": [round(t, 2) for t in times["baseline"]], "best_of": 2},
    }


def bench_register_list(ctx: dict, p: Progress) -> dict:
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from bench import data

    n, reps = ctx["cfg"]["list_n"], ctx["cfg"]["list_reps"]
    clerk = get_user_model().objects.get(username="clerk")
    p.show(0.0, f"generating {n:,} telegrams")
    data.generate_telegrams(n, year=2019, registered_by_id=clerk.pk)
    p.show(0.4, "measuring")
    query = {"precedence": "平急", "q": "通知"}
    client = Client()
    client.force_login(clerk)
    sql: dict[int, list[str]] = {}
    for page in (1, 500):
        with CaptureQueriesContext(connection) as captured:
            response = client.get("/telegrams/", {**query, "page": page})
        if response.status_code != 200:
            die(f"register page answered {response.status_code}")
        sql[page] = [q["sql"] for q in captured.captured_queries if 'FROM "telegrams_telegram"' in q["sql"]]
        if page == 500 and "第 500 页" not in response.content.decode():  # by OFFSET, or about there (deep jump)
            die("the filter matches fewer than 500 pages; page 500 would not be page 500")
    browser = Browser(ctx["http"], session_for("clerk"))
    direct = admin_connection(os.environ["DATABASE_URL"])
    results = {}
    try:
        for step, page in enumerate((1, 500)):
            path = "/telegrams/?" + urlencode({**query, "page": page})

            def http_once(path=path) -> float:
                t0 = time.perf_counter()
                response, _ = browser.request("GET", path)
                if response.status != 200:
                    die(f"GET {path} answered {response.status}")
                return (time.perf_counter() - t0) * 1000

            def sql_once(page=page) -> float:
                t0 = time.perf_counter()
                with direct.cursor() as cur:
                    for s in sql[page]:
                        cur.execute(s)
                        cur.fetchall()
                return (time.perf_counter() - t0) * 1000

            for _ in range(2):  # warm caches for both
                http_once()
                sql_once()
            ours, base = [], []
            for k in range(reps):  # interleaved, so both see the same machine
                ours.append(http_once())
                base.append(sql_once())
                p.show(0.4 + 0.6 * (step + (k + 1) / reps) / 2, f"page {page}")
            results[page] = {"ours_ms": pcts(ours), "baseline_ms": pcts(base), "queries": len(sql[page])}
    finally:
        direct.close()
    ours_p95 = max(r["ours_ms"]["p95"] for r in results.values())
    base_p95 = max(r["baseline_ms"]["p95"] for r in results.values())
    return {
        "ours": ours_p95, "baseline": base_p95, "ratio": round(base_p95 / ours_p95, 3),
        "unit": "ms p95, worse page (ratio = baseline/ours)",
        "detail": {"telegrams": n, "filter": query, "page_1": results[1], "page_500": results[500],
                   "sql_page_500": sql[500]},
    }


STATS_YEAR = 2019  # the year bench_register_list's telegrams are generated in: both use the same register
STATS_GOAL_MS = 500


def bench_stats(ctx: dict, p: Progress) -> dict:
    """The statistics page at `list_n` telegrams (1,000,000 full-size) and their ~2 deliveries each, all in one
    year (the worst case: the year's figures cover everything), through gunicorn, over several filter
    combinations; baseline: the SQL the page ran, on a direct connection. Also measured once: the summary's
    full rebuild, an incremental refresh after a few 签收, and what the per-unit figures cost computed live."""
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from bench import data
    from directory.models import Unit
    from routing.actions import sign
    from routing.models import Delivery
    from stats import summary
    from telegrams.models import Telegram

    n, reps = ctx["cfg"]["list_n"], ctx["cfg"]["list_reps"]
    clerk = get_user_model().objects.get(username="clerk")
    if not Telegram.objects.filter(receipt_year=STATS_YEAR).exists():
        p.show(0.0, f"generating {n:,} telegrams")
        data.generate_telegrams(n, year=STATS_YEAR, registered_by_id=clerk.pk)
    telegrams = Telegram.objects.filter(receipt_year=STATS_YEAR).count()
    p.show(0.15, "generating deliveries")
    deliveries = data.generate_deliveries(year=STATS_YEAR, created_by_id=clerk.pk, progress=lambda f: p.show(0.15 + 0.15 * f))
    p.show(0.3, "full rebuild of the summary")
    full = summary.refresh(full=True)
    with connection.cursor() as cur:
        cur.execute("ANALYZE stats_dailyreceived; ANALYZE stats_dailydelivered; ANALYZE stats_unitperiod")
    summary.refresh()  # the run after a rebuild re-reads the logs' last ids: settle, then measure a real increment
    staff = get_user_model().objects.get(username="caizheng")
    for d in Delivery.objects.filter(state="delivered", telegram__receipt_year=STATS_YEAR).order_by("id")[:5]:
        sign(d, actor=staff)
    incremental = summary.refresh()
    p.show(0.5, "live per-unit figures (reference)")
    start, end = summary.period_bounds(str(STATS_YEAR))
    t0 = time.perf_counter()
    summary._unit_figures_sql(start, end)
    live_s = time.perf_counter() - t0

    cz = Unit.objects.get(name="自治区财政厅").pk
    y = str(STATS_YEAR)
    queries = {
        "year": {"year": y},
        "quarter": {"grain": "quarter", "year": y, "quarter": "2"},
        "month": {"grain": "month", "year": y, "month": "7"},
        "year+precedence": {"year": y, "precedence": "平急"},
        "year+sender": {"year": y, "sender": "国务院办公厅"},
        "year+unit": {"year": y, "unit": str(cz)},
        "month+unit+precedence": {"grain": "month", "year": y, "month": "11", "unit": str(cz), "precedence": "特急"},
    }
    client = Client()
    client.force_login(clerk)
    sql: dict[str, list[str]] = {}
    skip = ("django_session", "auth_user", "axes_", "directory_authenticator", "directory_recoverycodeset")
    for name, query in queries.items():
        with CaptureQueriesContext(connection) as captured:
            response = client.get("/stats/", query)
        if response.status_code != 200 or b'id="stat-total">0<' in response.content:
            die(f"stats page {query} answered {response.status_code} (or counted nothing)")
        sql[name] = [q["sql"] for q in captured.captured_queries
                     if q["sql"].startswith("SELECT") and not any(s in q["sql"] for s in skip)]
    browser = Browser(ctx["http"], session_for("clerk"))
    direct = admin_connection(os.environ["DATABASE_URL"])
    results = {}
    try:
        for step, (name, query) in enumerate(queries.items()):
            path = "/stats/?" + urlencode(query)

            def http_once(path=path) -> float:
                t0 = time.perf_counter()
                response, _ = browser.request("GET", path)
                if response.status != 200:
                    die(f"GET {path} answered {response.status}")
                return (time.perf_counter() - t0) * 1000

            def sql_once(name=name) -> float:
                t0 = time.perf_counter()
                with direct.cursor() as cur:
                    for s in sql[name]:
                        cur.execute(s)
                        cur.fetchall()
                return (time.perf_counter() - t0) * 1000

            for _ in range(2):
                http_once()
                sql_once()
            ours, base = [], []
            for k in range(reps):
                ours.append(http_once())
                base.append(sql_once())
                p.show(0.55 + 0.45 * (step + (k + 1) / reps) / len(queries), name)
            # Processor time per page, on its own (not interleaved): what a request costs whatever the neighbours do.
            before = cpu_seconds(ctx["gunicorn"].proc.pid)
            for _ in range(10):
                http_once()
            after = cpu_seconds(ctx["gunicorn"].proc.pid)
            cpu = {k: round(100 * (after[k] - before[k]), 1) for k in ("gunicorn", "postgres")}  # ms per request
            results[name] = {"ours_ms": pcts(ours), "baseline_ms": pcts(base), "queries": len(sql[name]),
                             "cpu_ms_per_request": cpu}
    finally:
        direct.close()
    worst = max(results, key=lambda k: results[k]["ours_ms"]["p95"])
    ours_p95, base_p95 = results[worst]["ours_ms"]["p95"], results[worst]["baseline_ms"]["p95"]
    return {
        "ours": ours_p95, "baseline": base_p95, "ratio": round(base_p95 / ours_p95, 3),
        "unit": "ms p95, worst filter (ratio = baseline/ours)",
        "detail": {"telegrams": telegrams, "deliveries": deliveries, "year": STATS_YEAR, "goal_ms": STATS_GOAL_MS,
                   "goal_met": ours_p95 < STATS_GOAL_MS, "worst": worst, "pages": results,
                   "refresh_full_s": full.seconds, "refresh_incremental_s": incremental.seconds,
                   "refresh_incremental_periods": incremental.periods, "live_unit_figures_year_s": round(live_s, 2),
                   "today": timezone.localdate().isoformat()},
    }


BENCHMARKS = {
    "register": bench_register, "route": bench_route, "latency": bench_latency,
    "audit_verify": bench_audit_verify, "register_list": bench_register_list, "stats": bench_stats,
}
WEIGHTS = {"setup": 10, "register": 25, "route": 20, "latency": 30, "audit_verify": 20, "register_list": 25, "stats": 40}

# --- issue 18 part B: the register and audit log against their floor, body search (bench/search_bench.py) ---
from bench.search_bench import bench_body_search, bench_register_floor  # noqa: E402

BENCHMARKS.update({"register_floor": bench_register_floor, "body_search": bench_body_search})
WEIGHTS.update({"register_floor": 40, "body_search": 20})


def save(results: dict, mode: str) -> None:
    """Merge into bench/results.json (a run of some benchmarks keeps the others' last figures)."""
    existing = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    payload = {name: {**r, "detail": {**r["detail"], "mode": mode}} for name, r in results.items()}
    RESULTS.write_text(json.dumps({**existing, **payload}, ensure_ascii=False, indent=2) + "\n")


def main() -> None:
    parser = argparse.ArgumentParser(description="Benchmarks against the real PostgreSQL and Redis (bench/README.md)")
    parser.add_argument("--quick", action="store_true", help="smaller data and shorter runs (under 3 minutes)")
    parser.add_argument("--only", help="comma-separated benchmarks to run: " + ",".join(BENCHMARKS))
    parser.add_argument("--keep-db", action="store_true", help=f"leave the {BENCH_DB} database behind for inspection")
    parser.add_argument("--profile", nargs="?", const="wall", choices=["wall", "cpu"],
                        help="py-spy the server (register) and the worker (route) while ours runs: bench/profiles/; "
                             "wall (default) includes waits on locks and the database, cpu counts on-CPU samples only")
    args = parser.parse_args()
    Profile.enabled, Profile.idle = bool(args.profile), args.profile != "cpu"
    names = args.only.split(",") if args.only else list(BENCHMARKS)
    unknown = [n for n in names if n not in BENCHMARKS]
    if unknown:
        die(f"unknown benchmark(s): {', '.join(unknown)}")

    admin_url, _ = configure()
    cfg = QUICK if args.quick else FULL
    mode = "quick" if args.quick else "full"
    if not args.only:
        RESULTS.unlink(missing_ok=True)
    progress = Progress({k: v for k, v in WEIGHTS.items() if k == "setup" or k in names})
    ctx = {"cfg": cfg, "services": []}
    results: dict = {}
    started = time.monotonic()
    try:
        progress.begin("setup", f"creating {BENCH_DB}, migrating, seeding the demo")
        create_database(admin_url)
        import django

        django.setup()
        from django.core.management import call_command
        from django.db import connection

        from bench.views import CREATE

        call_command("migrate", verbosity=0)
        with open(os.devnull, "w") as devnull:
            call_command("seed_demo", stdout=devnull)
        with connection.cursor() as cur:
            cur.execute(CREATE)
        purge_broker()
        gunicorn, ctx["http"] = start_gunicorn()
        ctx["services"].append(gunicorn)
        ctx["gunicorn"] = gunicorn
        progress.end()
        for name in names:
            progress.begin(name)
            results[name] = BENCHMARKS[name](ctx, progress)
            save(results, mode)  # after each one, so a run stopped half-way keeps what it measured
            progress.end()
    finally:
        progress.close()
        for svc in ctx["services"]:
            svc.stop()
        try:
            from django.db import connections

            purge_broker()
            connections.close_all()
        except Exception:
            pass
        if not args.keep_db:
            drop_database(admin_url)
    print(f"\n{mode} run, {time.monotonic() - started:.0f} s, {os.cpu_count()} CPUs — ours vs baseline, same run, same services\n")
    print(table(results))
    print(f"\nwritten: {RESULTS.relative_to(ROOT) if RESULTS.is_relative_to(ROOT) else RESULTS}")


if __name__ == "__main__":
    main()
