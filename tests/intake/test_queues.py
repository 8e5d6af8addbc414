"""Routing never waits behind OCR: only the `ocr` worker (one process, one scan at a time) takes the ocr queue, in
production (docker compose), in `dev.py run`, and a worker started without -Q takes the declared queues only
(settings.CELERY_TASK_QUEUES: urgent, default)."""
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


DECLARED = {"urgent", "default"}  # what a worker without -Q consumes (test below)


def _queues(command: str) -> set[str]:
    m = re.search(r"-Q\s*([\w,]+)", command)
    return set(m[1].split(",")) if m else DECLARED


def test_compose_has_an_ocr_worker_and_no_other_worker_takes_its_queue():
    commands = _commands((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))
    workers = {name: _queues(cmd) for name, cmd in commands.items() if " worker " in f" {cmd} "}
    assert workers["worker"] == DECLARED
    assert workers["ocr"] == {"ocr"} and re.search(r"-c 1\b", commands["ocr"])
    assert [name for name, queues in workers.items() if "ocr" in queues] == ["ocr"]


def test_the_image_installs_the_ocr_extra():
    dockerfile = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    assert re.search(r"pip install -r requirements\.txt -r requirements-ocr\.txt", dockerfile)


def test_dev_run_starts_one_ocr_worker_apart_from_routing():
    source = (ROOT / "dev.py").read_text(encoding="utf-8")
    assert re.search(r'"worker", "-Q", "ocr",\s*"-c", "1"', source)
    assert len(re.findall(r'"-Q", "ocr"', source)) == 1


def test_a_worker_started_without_queues_does_not_take_the_ocr_queue():
    code = ("import django, os; os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'telegram_office.settings'); "
            "django.setup(); from telegram_office.celery import app; "
            "print(','.join(sorted(app.amqp.queues.consume_from or app.amqp.queues)))")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert set(out.stdout.strip().split(",")) == DECLARED


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
