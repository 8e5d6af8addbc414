"""Project-level contracts: healthz, start-up refusal without secrets, settings defaults."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.urls import reverse

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.django_db
def test_healthz_answers_200_when_database_and_broker_answer(client):
    response = client.get(reverse("healthz"))
    assert response.status_code == 200, response.content
    assert response.json() == {"database": "ok", "broker": "ok", "audit": "ok", "routing": "ok", "alarms": []}


@pytest.mark.django_db
def test_healthz_answers_503_when_the_broker_is_down(client, settings):
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:1/0"  # nothing listens on port 1
    settings.CELERY_BROKER_TRANSPORT_OPTIONS = {}
    response = client.get(reverse("healthz"))
    assert response.status_code == 503
    assert response.json()["broker"].startswith("error")


def _check(env_overrides: dict) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("DJANGO_SECRET_KEY", "TELEGRAM_DATA_KEYS", "AUDIT_SIGNING_KEY")}
    env.update(env_overrides)
    return subprocess.run([sys.executable, "manage.py", "check"], cwd=ROOT, env=env, capture_output=True, text=True)


def test_production_refuses_to_start_without_secrets(tmp_path):
    result = _check({"DJANGO_DEBUG": "0", "TELEGRAM_VAR_DIR": str(tmp_path), "DJANGO_ALLOWED_HOSTS": "example.org"})
    assert result.returncode != 0
    assert "missing DJANGO_SECRET_KEY, TELEGRAM_DATA_KEYS, AUDIT_SIGNING_KEY" in result.stderr


def test_embedded_default_generates_secrets_once_into_var(tmp_path):
    env = {"TELEGRAM_VAR_DIR": str(tmp_path), "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}"}
    assert _check(env).returncode == 0
    secrets = (tmp_path / "secrets.env").read_text()
    assert _check(env).returncode == 0
    assert (tmp_path / "secrets.env").read_text() == secrets  # generated once, then kept
    assert oct((tmp_path / "secrets.env").stat().st_mode & 0o777) == "0o600"
    assert {line.split("=", 1)[0] for line in secrets.splitlines()} == {
        "DJANGO_SECRET_KEY", "TELEGRAM_DATA_KEYS", "AUDIT_SIGNING_KEY"}


def test_embedded_defaults_need_no_server(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "CELERY_BROKER_URL", "DJANGO_DEBUG")}
    env["TELEGRAM_VAR_DIR"] = str(tmp_path)
    code = ("from django.conf import settings as s; d = s.DATABASES['default']; "
            "print(d['ENGINE'], d['NAME'], 'WAL' in d['OPTIONS']['init_command'], s.CELERY_BROKER_URL, "
            "s.LANGUAGE_CODE, s.TIME_ZONE, s.DEBUG)")
    result = subprocess.run([sys.executable, "manage.py", "shell", "--no-imports", "-c", code], cwd=ROOT, env=env,
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["django.db.backends.sqlite3", str(tmp_path / "db.sqlite3"), "True",
                                     "filesystem://", "zh-hans", "Asia/Shanghai", "True"]


def test_a_web_process_starts_with_what_it_loaded_frozen_out_of_the_collectors_sight():
    """gunicorn imports telegram_office.wsgi in each worker: after it, a full collection walks only what requests
    leave behind (a pause of tens of milliseconds for a request otherwise)."""
    code = "import gc, sys, telegram_office.wsgi; print(gc.get_freeze_count(), 'desk.views' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, env=os.environ)
    assert result.returncode == 0, result.stderr
    frozen, views_loaded = result.stdout.split()
    assert int(frozen) > 50_000
    assert views_loaded == "True"  # the views are loaded (and frozen) before the first request, not by it


def test_a_celery_pool_process_freezes_what_it_inherited():
    import gc

    from celery.signals import worker_process_init

    before = gc.get_freeze_count()
    try:
        worker_process_init.send(sender=None)
        assert gc.get_freeze_count() > before
    finally:
        gc.unfreeze()
