"""Login hardening as a person meets it: lockout after five wrong passwords (and the audit trail says so), Argon2
in production, a new session key at login, logout and expiry that really end the session."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
from django.contrib.sessions.models import Session
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEntry
from directory.demo import PASSWORD

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.django_db


def _audit(action: str, username: str | None = None) -> list[dict]:
    rows = [json.loads(e.data) for e in AuditEntry.objects.filter(action=action).order_by("seq")]
    return [r for r in rows if username is None or r.get("username") == username]


def _login(client: Client, username: str, password: str = PASSWORD, **extra):
    return client.post(reverse("login"), {"username": username, "password": password}, **extra)


# --- lockout -------------------------------------------------------------------------------------------------

def test_five_wrong_passwords_lock_the_account_and_even_the_right_one_is_refused(demo, client):
    for attempt in range(1, 5):
        r = _login(client, "clerk", "wrong-password")
        assert r.status_code == 200 and "请输入一个正确的" in r.content.decode(), attempt
    r = _login(client, "clerk", "wrong-password")  # the fifth failure locks
    assert r.status_code == 429 and "账户暂时锁定" in r.content.decode()

    r = _login(client, "clerk", PASSWORD)  # sixth attempt, right password: still refused
    assert r.status_code == 429
    page = r.content.decode()
    assert "账户暂时锁定" in page and "15分钟" in page
    assert "_auth_user_id" not in client.session
    assert client.get(reverse("telegrams:register")).status_code == 302  # not signed in

    failed = _audit("auth.login_failed", "clerk")
    assert len(failed) == 6 and [f["locked"] for f in failed] == [False] * 4 + [True, True]
    locked = _audit("auth.locked_out", "clerk")
    assert len(locked) == 1  # one lockout event, not one per refused attempt
    assert locked[0]["failures"] == 5 and locked[0]["minutes"] == 15 and locked[0]["ip"] == "127.0.0.1"
    assert not _audit("auth.login", "clerk")
    assert AuditEntry.objects.get(action="auth.locked_out").actor_name == "clerk"


def test_the_lockout_is_per_user_and_address_and_ends_after_15_minutes(demo, client):
    from axes.models import AccessAttempt

    for _ in range(5):
        _login(client, "leader", "wrong-password")
    assert _login(client, "leader").status_code == 429
    # The same account from another address, and another account from this address, still get in.
    assert _login(Client(REMOTE_ADDR="10.1.2.3"), "leader").status_code == 302
    assert _login(Client(), "clerk").status_code == 302
    # 14 minutes later still locked; 16 minutes later the lock has cooled off.
    AccessAttempt.objects.update(attempt_time=timezone.now() - timedelta(minutes=14))
    assert _login(client, "leader").status_code == 429
    AccessAttempt.objects.update(attempt_time=timezone.now() - timedelta(minutes=16))
    r = _login(client, "leader")
    assert r.status_code == 302 and client.session["_auth_user_id"] == str(demo["leader"].pk)


# --- password hashing ----------------------------------------------------------------------------------------

def test_production_config_hashes_with_argon2_and_the_tests_only_swap_it_for_speed(settings):
    import telegram_office.settings as configured  # the module as loaded, not the per-test overrides

    assert configured.PASSWORD_HASHERS[0] == "django.contrib.auth.hashers.Argon2PasswordHasher"
    assert settings.PASSWORD_HASHERS == ["django.contrib.auth.hashers.MD5PasswordHasher"]  # tests/conftest.py


def test_a_demo_user_created_outside_the_tests_has_an_argon2_password(tmp_path):
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'argon.sqlite3'}"}
    env.pop("DATABASE_TEST_NAME", None)
    script = (
        "from django.contrib.auth import get_user_model; from directory.demo import PASSWORD;"
        "u = get_user_model().objects.get(username='leader');"
        "print(u.password.split('$')[0], u.check_password(PASSWORD))"
    )
    for args in (["migrate", "-v0"], ["seed_demo"], ["shell", "-c", script]):
        done = subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True,
                              text=True, timeout=300)
        assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.split()[-2:] == ["argon2", "True"]


# --- sessions ------------------------------------------------------------------------------------------------

def test_login_gives_a_new_session_key_and_the_old_one_is_gone(demo, client):
    before = client.session
    before["probe"] = "pre-login"
    before.save()
    old_key = before.session_key
    assert Session.objects.filter(session_key=old_key).exists()

    assert _login(client, "clerk").status_code == 302
    new_key = client.cookies["sessionid"].value
    assert new_key != old_key
    assert not Session.objects.filter(session_key=old_key).exists()
    assert _audit("auth.login", "clerk")[-1]["second_factor"] == "none"


def test_logout_kills_the_session_so_a_copied_cookie_is_worthless(demo, client):
    _login(client, "clerk")
    key = client.cookies["sessionid"].value
    stolen = Client()
    stolen.cookies["sessionid"] = key
    assert stolen.get(reverse("telegrams:register")).status_code == 200

    assert client.post(reverse("logout")).status_code == 302
    assert not Session.objects.filter(session_key=key).exists()
    r = stolen.get(reverse("telegrams:register"))
    assert r.status_code == 302 and r["Location"].startswith(reverse("login"))
    assert _audit("auth.logout", "clerk")
    assert client.get(reverse("logout")).status_code == 405  # logout is POST only (no CSRF-able GET)


def test_a_session_idle_for_30_minutes_is_over_and_activity_keeps_it_alive(demo, client):
    _login(client, "clerk")
    key = client.cookies["sessionid"].value
    client.get(reverse("telegrams:register"))
    expires = Session.objects.get(session_key=key).expire_date
    assert abs((expires - timezone.now()) - timedelta(minutes=30)) < timedelta(seconds=30)

    # 25 minutes of quiet: the next request pushes the expiry 30 minutes ahead again.
    Session.objects.filter(session_key=key).update(expire_date=timezone.now() + timedelta(minutes=5))
    assert client.get(reverse("telegrams:register")).status_code == 200
    expires = Session.objects.get(session_key=key).expire_date
    assert expires - timezone.now() > timedelta(minutes=29)

    # 30 minutes of quiet: gone.
    Session.objects.filter(session_key=key).update(expire_date=timezone.now() - timedelta(seconds=1))
    r = client.get(reverse("telegrams:register"))
    assert r.status_code == 302 and r["Location"].startswith(reverse("login"))


def test_a_session_ends_12_hours_after_login_however_active(demo, client):
    _login(client, "clerk")
    key = client.cookies["sessionid"].value
    session = client.session
    session["login_at"] = int(time.time()) - (11 * 3600 + 59 * 60)
    session.save()
    assert client.get(reverse("telegrams:register")).status_code == 200

    session = client.session
    session["login_at"] = int(time.time()) - (12 * 3600 + 5)
    session.save()
    r = client.get(reverse("telegrams:register"))
    assert r.status_code == 302 and r["Location"].startswith(reverse("login"))
    assert not Session.objects.filter(session_key=key).exists()
    assert _audit("auth.session_expired", "clerk")[-1]["hours"] == 12
    assert client.get(reverse("telegrams:register")).status_code == 302


def production_settings(keys: list[str]) -> dict:
    """Values of `keys` as the project computes them with DEBUG off (a subprocess with production env)."""
    from core.secrets import fresh_secrets

    env = {**os.environ, **fresh_secrets(), "DJANGO_DEBUG": "0", "DJANGO_ALLOWED_HOSTS": "example.org"}
    script = ("import json; from django.conf import settings;"
              f"print(json.dumps({{k: getattr(settings, k, None) for k in {keys!r}}}))")
    done = subprocess.run([sys.executable, "manage.py", "shell", "-c", script], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


COOKIE_SETTINGS = ["SESSION_COOKIE_SECURE", "SESSION_COOKIE_HTTPONLY", "SESSION_COOKIE_SAMESITE",
                   "CSRF_COOKIE_SECURE", "CSRF_COOKIE_SAMESITE", "SESSION_COOKIE_AGE", "SESSION_SAVE_EVERY_REQUEST"]


def test_in_production_the_cookies_are_secure_httponly_and_samesite(demo):
    prod = production_settings(COOKIE_SETTINGS)
    assert prod["SESSION_COOKIE_SECURE"] is True and prod["CSRF_COOKIE_SECURE"] is True
    assert prod["SESSION_COOKIE_AGE"] == 1800 and prod["SESSION_SAVE_EVERY_REQUEST"] is True
    with override_settings(**prod):
        client = Client()
        login_page = client.get(reverse("login"), secure=True)
        csrf = login_page.cookies["csrftoken"]
        assert csrf["secure"] and csrf["samesite"] == "Lax"
        r = _login(client, "clerk", secure=True)
        assert r.status_code == 302
        session = r.cookies["sessionid"]
        assert session["secure"] and session["httponly"] and session["samesite"] == "Lax"
        assert int(session["max-age"]) == 1800
