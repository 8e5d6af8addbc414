"""Fault drills run against the real services: they kill PostgreSQL sessions, restart Redis and SIGKILL workers.

On the embedded set-up (SQLite, filesystem broker) there is no server to kill, so they skip there and say why;
CI runs them on PostgreSQL and Redis (tests/conftest.py refuses a CI run on anything else, so they never skip)."""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

import pytest
from django.conf import settings

from tests.conftest import ROOT, Worker, db_url_for_subprocess, purge_broker

from . import drills

REAL_SERVICES = drills.REAL_SERVICES


@pytest.fixture(autouse=True)
def _services_back_and_broker_clean():
    """Whatever a drill did to the services, the next test finds them up and our queues empty."""
    if REAL_SERVICES:
        if not drills.redis_up():
            drills.start_services()
        drills.clear_broker()
    yield
    if REAL_SERVICES:
        if not drills.redis_up():
            drills.start_services()
        drills.clear_broker()


@pytest.fixture
def workers(transactional_db, _session_worker):
    """Start as many real worker processes as a drill needs (one at a time); all stopped at the end. The run's
    shared worker (tests/conftest.py) is stopped first: a drill counts queued messages and kills its own workers,
    so no other consumer may take them (the next test that needs the shared worker starts it again)."""
    _session_worker.stop()
    started: list[Worker] = []

    def start() -> Worker:
        w = Worker().start()
        started.append(w)
        return w

    purge_broker()
    yield start
    for w in started:
        w.stop()


@pytest.fixture
def sweep_grace(settings):
    """The beat task's grace period, short: the drill plays the sweeper itself."""
    settings.ROUTING_SWEEP_GRACE = 2.0
    return settings.ROUTING_SWEEP_GRACE


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def gunicorn_server(transactional_db):
    """The real HTTP stack: gunicorn (threaded workers, as deployed) against the test database and broker."""
    port = _free_port()
    env = {**os.environ, "DATABASE_URL": db_url_for_subprocess(), "CELERY_BROKER_URL": settings.CELERY_BROKER_URL}
    log = ROOT / "var" / "test-gunicorn.log"
    with open(log, "ab") as out:  # the child keeps its own copy of the descriptor
        proc = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "telegram_office.wsgi:application", "--bind", f"127.0.0.1:{port}",
             "--workers", "2", "--worker-class", "gthread", "--threads", "8", "--timeout", "120", "--graceful-timeout", "10"],
            cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
        )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            urllib.request.urlopen(base + "/healthz", timeout=2)
            break
        except urllib.error.HTTPError:  # it answers (503 while a service is down): it is up
            break
        except OSError:
            time.sleep(0.2)
    if proc.poll() is not None or time.monotonic() >= deadline:
        pytest.fail(f"gunicorn did not start: {log.read_text()[-2000:]}")
    yield base
    os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(20)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(10)

