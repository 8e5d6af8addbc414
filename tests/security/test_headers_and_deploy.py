"""What the browser is told (CSP with no inline script, framing refused, referrer kept in, no sniffing, HSTS in
production), templates that keep to it, and Django's own deployment check passing with production settings."""
from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import Client, override_settings
from django.urls import reverse

from tests.conftest import client_for
from tests.security.test_login_and_sessions import production_settings

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.django_db

# Inline script (a <script> without src), event-handler attributes, javascript: URLs, style attributes and
# <style> blocks: all would be blocked by the CSP, so none may be in a template or a rendered page.
INLINE = re.compile(
    r"<script(?![^>]*\bsrc=)[^>]*>|\son[a-z]+\s*=|javascript:|\sstyle\s*=|<style[\s>]", re.IGNORECASE
)


def csp_directives(response) -> dict[str, list[str]]:
    header = response["Content-Security-Policy"]
    return {part.split()[0]: part.split()[1:] for part in (p.strip() for p in header.split(";")) if part}


def test_pages_carry_the_security_headers(world):
    clerk = client_for(world["users"]["clerk"])
    for url in (reverse("telegrams:register"), reverse("telegrams:detail", args=[world["telegram"].pk]),
                reverse("login")):
        r = (clerk if url != reverse("login") else Client()).get(url)
        assert r.status_code == 200, url
        csp = csp_directives(r)
        assert csp["default-src"] == ["'self'"]
        assert csp["script-src"] == ["'self'"]  # no 'unsafe-inline', no nonce: no inline script at all
        assert csp["style-src"] == ["'self'"]
        assert csp["img-src"] == ["'self'", "data:"]
        assert csp["frame-ancestors"] == ["'none'"]
        assert csp["form-action"] == ["'self'"]
        assert csp["object-src"] == ["'none'"]
        assert r["X-Frame-Options"] == "DENY"
        assert r["Referrer-Policy"] == "same-origin"
        assert r["X-Content-Type-Options"] == "nosniff"
        assert r["Cross-Origin-Opener-Policy"] == "same-origin"


def test_downloads_carry_them_too(world):
    r = client_for(world["users"]["clerk"]).get(
        reverse("telegrams:scan", args=[world["telegram"].pk, world["scan"].pk]))
    assert r.status_code == 200
    assert r["X-Content-Type-Options"] == "nosniff" and r["Content-Type"] == "image/png"
    assert "default-src 'self'" in r["Content-Security-Policy"] and "no-store" in r["Cache-Control"]


HSTS_SETTINGS = ["SECURE_HSTS_SECONDS", "SECURE_HSTS_INCLUDE_SUBDOMAINS", "SECURE_HSTS_PRELOAD",
                 "SECURE_SSL_REDIRECT", "SECURE_PROXY_SSL_HEADER"]


def test_in_production_https_is_enforced_and_remembered(world):
    prod = production_settings(HSTS_SETTINGS)
    assert prod["SECURE_HSTS_SECONDS"] >= 31536000 and prod["SECURE_SSL_REDIRECT"] is True
    prod["SECURE_PROXY_SSL_HEADER"] = tuple(prod["SECURE_PROXY_SSL_HEADER"])
    with override_settings(**prod):
        client = client_for(world["users"]["clerk"])
        plain = client.get(reverse("telegrams:register"))
        assert plain.status_code == 301 and plain["Location"].startswith("https://")
        r = client.get(reverse("telegrams:register"), secure=True)
        assert r.status_code == 200
        assert r["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"
        # Behind the TLS-terminating proxy, which says so in X-Forwarded-Proto.
        r = client.get(reverse("telegrams:register"), headers={"X-Forwarded-Proto": "https"})
        assert r.status_code == 200 and "Strict-Transport-Security" in r
    assert "Strict-Transport-Security" not in client_for(world["users"]["clerk"]).get(reverse("telegrams:register"))


def test_no_template_has_inline_script_or_style():
    offenders = []
    for path in sorted((ROOT / "templates").rglob("*.html")) + sorted(ROOT.glob("*/templates/**/*.html")):
        if ".venv" in path.parts:
            continue
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if INLINE.search(line):
                offenders.append(f"{path.relative_to(ROOT)}:{n}: {line.strip()[:120]}")
    assert not offenders, "inline script/style (blocked by the CSP):\n" + "\n".join(offenders)


def test_rendered_pages_have_no_inline_script_or_style(world):
    users = world["users"]
    t, d = world["telegram"], world["delivery"]
    pages = [
        (users["clerk"], reverse("telegrams:register")), (users["clerk"], reverse("telegrams:create")),
        (users["clerk"], reverse("telegrams:detail", args=[t.pk])), (users["clerk"], reverse("telegrams:correct", args=[t.pk])),
        (users["leader"], reverse("annotations:inbox")), (users["staff_a"], reverse("routing:inbox")),
        (users["admin"], reverse("routing:history")), (users["admin"], reverse("audit:log")),
        (users["clerk"], reverse("printing:slip", args=[t.pk])), (users["leader"], reverse("otp_setup")),
    ]
    client_for(users["staff_a"]).post(reverse("routing:sign", args=[d.pk]))
    pages.append((users["staff_a"], reverse("telegrams:complete", args=[d.pk])))
    for user, url in pages:
        r = client_for(user).get(url)
        assert r.status_code == 200, url
        found = INLINE.findall(r.content.decode())
        assert not found, f"{url}: {found}"


def _production_env(tmp_path) -> dict:
    """The production environment as docs/security.md describes it, with secrets from `generate_keys`."""
    done = subprocess.run([sys.executable, "manage.py", "generate_keys"], cwd=ROOT, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    secrets = dict(line.split("=", 1) for line in done.stdout.strip().splitlines())
    assert set(secrets) == {"DJANGO_SECRET_KEY", "TELEGRAM_DATA_KEYS", "AUDIT_SIGNING_KEY"}
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_", "OTP_"))}
    env.update(secrets, DJANGO_DEBUG="0", DJANGO_ALLOWED_HOSTS="example.org",
               DATABASE_URL=f"sqlite:///{tmp_path / 'prod.sqlite3'}", TELEGRAM_VAR_DIR=str(tmp_path / "var"))
    return env


def test_check_deploy_is_clean_with_production_settings(tmp_path):
    env = _production_env(tmp_path)
    done = subprocess.run([sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"], cwd=ROOT,
                          env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "no issues" in done.stdout
    # Without the secrets, production refuses to start at all.
    env.pop("AUDIT_SIGNING_KEY")
    done = subprocess.run([sys.executable, "manage.py", "check", "--deploy"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode != 0 and "AUDIT_SIGNING_KEY" in done.stderr


def test_every_post_form_carries_the_csrf_token_and_no_view_is_exempt():
    from django.urls import get_resolver

    missing = []
    for path in sorted((ROOT / "templates").rglob("*.html")):
        text = path.read_text(encoding="utf-8")
        for form in re.finditer(r"<form[^>]*method=\"post\"[^>]*>(.*?)</form>", text, re.S | re.I):
            if "csrf_token" not in form.group(1):
                missing.append(f"{path.relative_to(ROOT)}: {form.group(0)[:80]}")
    assert not missing, missing

    def views(patterns):
        for p in patterns:
            if hasattr(p, "url_patterns"):
                yield from views(p.url_patterns)
            else:
                yield p.callback

    def checks_csrf_itself(view) -> bool:
        """A REST API view is csrf_exempt because DRF checks CSRF itself for a session (SessionAuthentication
        .enforce_csrf, tests/api/test_auth.py); a token is a header, which a forged request cannot send."""
        from rest_framework.authentication import SessionAuthentication

        from api.authentication import TokenAuthentication

        classes = getattr(getattr(view, "cls", None), "authentication_classes", None)
        return bool(classes) and all(issubclass(c, (SessionAuthentication, TokenAuthentication)) for c in classes)

    exempt = [f"{v.__module__}.{v.__name__}" for v in views(get_resolver().url_patterns)
              if getattr(v, "csrf_exempt", False) and not checks_csrf_itself(v)]
    assert not exempt, exempt
