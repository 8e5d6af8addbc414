"""Shared fixtures: demo directory, a user per role, the real Celery worker, CI service checks."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command

ROOT = Path(__file__).resolve().parent.parent
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items):
    """After pytest-django's order (plain db tests, then transactional ones): the tests with a real worker last, so
    the one worker a run keeps (`_session_worker`) never consumes the messages of a transactional test that routes
    in-process."""
    items.sort(key=lambda item: "_session_worker" in getattr(item, "fixturenames", ()))


def pytest_configure(config):
    # In CI the tests run against the real PostgreSQL and Redis, or not at all.
    if IN_CI:
        engine = settings.DATABASES["default"]["ENGINE"]
        if "postgresql" not in engine or not settings.CELERY_BROKER_URL.startswith("redis"):
            raise pytest.UsageError("CI must run with DATABASE_URL=postgres://… and CELERY_BROKER_URL=redis://…")


def _patch_pg_flush():
    """Transactional tests end with a TRUNCATE of every table, which the audit table's append-only trigger
    refuses (as it should). In the test run only, the flush runs with triggers off (replica role)."""
    from django.db.backends.postgresql.operations import DatabaseOperations

    original = DatabaseOperations.sql_flush
    if getattr(original, "_audit_patched", False):
        return

    def sql_flush(self, style, tables, *, reset_sequences=False, allow_cascade=False):
        sql = original(self, style, tables, reset_sequences=reset_sequences, allow_cascade=allow_cascade)
        return ["SET session_replication_role = replica;", *sql, "SET session_replication_role = origin;"] if sql else sql

    sql_flush._audit_patched = True
    DatabaseOperations.sql_flush = sql_flush


if "postgresql" in settings.DATABASES["default"]["ENGINE"]:
    _patch_pg_flush()


def _private_filesystem_broker():
    """The embedded broker is a folder: give this test run its own, so a `dev.py run` worker or another
    test run on the same machine never takes our messages. Worker subprocesses inherit the env variable."""
    if not settings.CELERY_BROKER_URL.startswith("filesystem://"):
        return
    from telegram_office.celery import app

    folder = settings.VAR_DIR / f"test-broker-{os.getpid()}"
    (folder / "queue").mkdir(parents=True, exist_ok=True)
    os.environ["CELERY_FS_BROKER_DIR"] = str(folder)
    options = {**settings.CELERY_BROKER_TRANSPORT_OPTIONS, "data_folder_in": str(folder / "queue"),
               "data_folder_out": str(folder / "queue"), "processed_folder": str(folder / "processed"),
               "control_folder": str(folder / "control")}
    settings.CELERY_BROKER_TRANSPORT_OPTIONS = options
    app.conf.broker_transport_options = options


_private_filesystem_broker()


FAST_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def seed_demo_directory() -> None:
    """Role groups (a transactional test's flush empties what the migration created) and the demo directory."""
    from django.contrib.auth.models import Group
    from django.test import override_settings

    from directory import roles

    for name in roles.ALL_ROLES:
        Group.objects.get_or_create(name=name)
    with override_settings(PASSWORD_HASHERS=FAST_HASHERS):  # Argon2 stays the production hasher (tests/security)
        call_command("seed_demo", stdout=StringIO())


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """The demo directory is loaded once per test run, into the test database itself: every test's transaction
    rolls back to it. Transactional tests (which empty the tables when they end) run after the others, and
    `demo` loads it again for them."""
    with django_db_blocker.unblock():
        seed_demo_directory()
        _empty_audit_chain()


def _empty_audit_chain() -> None:
    """The audit tests build their own chains from seq 1: the demo set-up's entries are removed (on PostgreSQL
    with triggers off, as the end-of-test flush does)."""
    from django.db import connection

    from audit.models import AuditEntry, ChainHead, Checkpoint

    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET session_replication_role = replica")
        for model in (Checkpoint, AuditEntry, ChainHead):
            cursor.execute(f"DELETE FROM {model._meta.db_table}")
        if connection.vendor == "postgresql":
            cursor.execute("SET session_replication_role = origin")


@pytest.fixture
def demo(db):
    """The demo directory: every unit of the seed plus region units, one user per role."""
    from django.contrib.auth import get_user_model

    users = {u.username: u for u in get_user_model().objects.select_related("person__unit")}
    if "clerk" not in users:  # emptied by an earlier transactional test's flush
        seed_demo_directory()
        users = {u.username: u for u in get_user_model().objects.select_related("person__unit")}
    return users


@pytest.fixture
def clerk(demo):
    return demo["clerk"]


@pytest.fixture
def leader(demo):
    return demo["leader"]


@pytest.fixture
def leader2(demo):
    """A second leader, 陈领导: 阅示 requests and 传阅 go from one leader to another."""
    return demo["leader2"]


@pytest.fixture
def admin_user(demo):
    return demo["admin"]


@pytest.fixture
def staff_zgh(demo):
    """承办人 of 自治区总工会 (the seed's 批办 target)."""
    return demo["zonggonghui"]


@pytest.fixture
def staff_cz(demo):
    """承办人 of 自治区财政厅 (another unit)."""
    return demo["caizheng"]


def client_for(user):
    from django.test import Client

    c = Client()
    c.force_login(user)
    return c


@pytest.fixture
def clerk_client(clerk):
    return client_for(clerk)


def db_url_for_subprocess() -> str:
    from django.db import connection

    s = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{s['NAME']}"
    auth = s["USER"] + (f":{s['PASSWORD']}" if s.get("PASSWORD") else "")
    return f"postgres://{auth}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


class Worker:
    """A real `celery worker` process against the test database and the configured broker (by default the
    routing worker: urgent,default; `Worker("ocr", 1)` is the OCR worker)."""

    def __init__(self, queues: str = "urgent,default", concurrency: int = 2):
        self.proc: subprocess.Popen | None = None
        self.queues, self.concurrency = queues, concurrency
        self.suffix = "" if queues == "urgent,default" else f"-{queues}"
        self.log = ROOT / "var" / f"test-worker{self.suffix}-{os.getpid()}.log"  # one per test run

    @property
    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def start(self):
        env = {**os.environ, "DATABASE_URL": db_url_for_subprocess(), "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
               "ROUTING_SWEEP_GRACE": str(settings.ROUTING_SWEEP_GRACE)}
        self.log.parent.mkdir(exist_ok=True)
        self._log_file = log = open(self.log, "ab")  # noqa: SIM115 - handed to the child, closed in stop()
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "telegram_office", "worker", "-Q", self.queues,
             "-c", str(self.concurrency), "-l", "INFO", "-n", f"test{self.suffix}-{os.getpid()}@%h",
             "--without-gossip", "--without-mingle"],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )
        return self

    def kill(self, sig=signal.SIGKILL):
        if self.proc is None:
            return
        try:
            os.killpg(self.proc.pid, sig)  # the pool's children too, even when the main process is gone
        except ProcessLookupError:
            pass
        self.proc.wait(30)

    def stop(self):
        """A warm shutdown when it is quick, else SIGKILL: signalling the whole group at once can leave billiard's
        pool waiting for a lock a terminated child held (a 20 s hang per test), and unacknowledged messages go
        back to the queue either way (acks_late)."""
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(2)
            except subprocess.TimeoutExpired:
                pass
            self.kill()
        if getattr(self, "_log_file", None):
            self._log_file.close()


def purge_broker():
    from telegram_office.celery import app

    for queue in ("urgent", "default", "ocr"):
        try:
            with app.connection_for_write() as conn:
                conn.default_channel.queue_purge(queue)
        except Exception:
            pass


@pytest.fixture(scope="session")
def _session_worker():
    """One worker process for the run: started by the first test that needs it, kept across tests (it holds no
    state a test could see: the database is emptied between transactional tests, the queues purged)."""
    worker = Worker()
    yield worker
    worker.stop()


@pytest.fixture
def celery_worker_process(transactional_db, _session_worker):
    purge_broker()
    if not _session_worker.alive:  # first use, or a test stopped or killed it
        _session_worker.start()
    yield _session_worker
    purge_broker()


def wait_for(predicate, timeout: float = 30.0, interval: float = 0.2):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    return predicate()


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # Argon2 stays the production hasher (tests/security checks it); demo users need no slow hashes here.
    settings.PASSWORD_HASHERS = FAST_HASHERS


@pytest.fixture(autouse=True)
def _forget_routed_orders():
    # routing.actions remembers the orders this process routed; rolled-back tests give their ids out again.
    from routing import actions

    actions._routed_here.clear()
    yield
    actions._routed_here.clear()


@pytest.fixture
def urgent_via_worker(settings):
    """A 特提 registration's order left pending for the worker (ROUTE_URGENT_INLINE off), for tests of the worker
    path that register the factories' default 特提 telegram; the inline path: tests/routing/test_urgent_inline.py."""
    settings.ROUTE_URGENT_INLINE = False


@pytest.fixture
def after_commit(django_capture_on_commit_callbacks):
    """Run what actions announce after commit (alerts, e-mail, dispatch) inside a test whose transaction never
    commits: `with after_commit(): action(...)`."""

    def run():
        return django_capture_on_commit_callbacks(execute=True)

    return run
