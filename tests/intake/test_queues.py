"""Routing never waits behind OCR: only the `ocr` worker (one process, one scan at a time) takes the ocr queue, in
production (docker compose), in `dev.py run`, and for a worker started without -Q."""
from __future__ import annotations

import re
import subprocess
import sys

from tests.conftest import ROOT


def _commands(text: str) -> dict[str, str]:
    """service name → its `command:` line, from docker-compose.yml (two-space indented services)."""
    services, current = {}, None
    for line in text.splitlines():
        m = re.match(r"^  ([a-z]+):\s*$", line)
        if m:
            current = m[1]
        m = re.match(r"^    command:\s*(.+)$", line)
        if m and current:
            services[current] = m[1]
    return services


def _queues(command: str) -> set[str] | None:
    m = re.search(r"-Q\s*([\w,]+)", command)
    return set(m[1].split(",")) if m else None


def test_compose_has_an_ocr_worker_and_the_routing_worker_never_takes_its_queue():
    commands = _commands((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))
    assert _queues(commands["worker"]) == {"urgent", "default"}
    assert _queues(commands["ocr"]) == {"ocr"} and re.search(r"-c 1\b", commands["ocr"])
    workers = [name for name, cmd in commands.items() if " worker " in f" {cmd} "]
    assert sorted(workers) == ["ocr", "worker"]
    assert [name for name in workers if "ocr" in (_queues(commands[name]) or set())] == ["ocr"]


def test_the_image_installs_the_ocr_extra():
    dockerfile = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    assert re.search(r"pip install -r requirements\.txt -r requirements-ocr\.txt", dockerfile)


def test_dev_run_starts_one_ocr_worker_apart_from_routing():
    source = (ROOT / "dev.py").read_text(encoding="utf-8")
    queues = re.findall(r'"worker", "-Q", "([\w,]+)",\s*"-c", "(\d+)"', source)
    assert sorted(queues) == [("ocr", "1"), ("urgent,default", "2")]


def test_a_worker_started_without_queues_does_not_take_the_ocr_queue():
    code = ("import django, os; os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'telegram_office.settings'); "
            "django.setup(); from telegram_office.celery import app; "
            "print(','.join(sorted(app.amqp.queues.consume_from or app.amqp.queues)))")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "default"


def test_an_ocr_worker_process_loads_its_engine_as_it_starts_and_a_routing_worker_does_not(monkeypatch):
    import threading

    from celery import current_app

    from ocr import engine, tasks

    loaded = threading.Event()
    monkeypatch.setattr(engine, "available", lambda: True)
    monkeypatch.setattr(engine, "warm_up", loaded.set)
    queues = current_app.amqp.queues
    monkeypatch.setattr(queues, "_consume_from", {"urgent": None, "default": None})
    tasks._warm_engine()
    assert not loaded.wait(0.2)
    monkeypatch.setattr(queues, "_consume_from", {"ocr": None})
    tasks._warm_engine()
    assert loaded.wait(5)
