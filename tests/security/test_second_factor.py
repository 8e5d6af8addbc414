"""The optional second factor: a leader enrols an authenticator (the code is computed here from the secret the page
shows, RFC 6238), signs in with password + code, uses a recovery code once; OTP_REQUIRED_ROLES forces it."""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import re
import struct
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlparse

import pytest
from django.test import Client
from django.urls import reverse

from audit.models import AuditEntry
from directory.demo import PASSWORD
from directory.models import Authenticator, RecoveryCode, RecoveryCodeSet

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.django_db


def totp(secret_b32: str, at: float | None = None, step: int = 30, digits: int = 6) -> str:
    """RFC 6238 TOTP (HMAC-SHA1), independent of django-otp."""
    key = base64.b32decode(secret_b32 + "=" * (-len(secret_b32) % 8))
    counter = int((time.time() if at is None else at) // step)
    mac = hmac.new(key, struct.pack(">Q", counter), hashlib.sha1).digest()
    offset = mac[-1] & 0x0F
    code = (struct.unpack(">I", mac[offset:offset + 4])[0] & 0x7FFFFFFF) % 10 ** digits
    return str(code).zfill(digits)


def _login(client: Client, username: str):
    return client.post(reverse("login"), {"username": username, "password": PASSWORD})


def _actions(*names: str) -> list[str]:
    return list(AuditEntry.objects.filter(action__in=names).order_by("seq").values_list("action", flat=True))


def enrol(client: Client) -> tuple[str, list[str], float]:
    """Go through the enrolment page; return the secret (from the otpauth URI), the recovery codes shown and the
    time whose code confirmed the enrolment."""
    page = client.get(reverse("otp_setup")).content.decode()
    uri = unquote(re.search(r"otpauth://totp/[^<\"\s]+", page).group(0)).replace("&amp;", "&")
    query = parse_qs(urlparse(uri).query)
    secret = query["secret"][0]
    assert query["issuer"] == ["明电收文管理系统"]
    assert 'src="data:image/svg+xml' in page  # QR code rendered by us, inline as an image
    assert " ".join(secret[i:i + 4] for i in range(0, len(secret), 4)) in page
    at = time.time()
    r = client.post(reverse("otp_setup"), {"token": totp(secret, at)})
    codes = re.findall(r"<li><code>([a-z2-7]{8})</code></li>", r.content.decode())
    assert r.status_code == 200 and codes, r.content.decode()[:3000]
    return secret, codes, at


def test_leader_enrols_an_authenticator_and_gets_ten_recovery_codes_once(demo):
    client = Client()
    _login(client, "leader")
    page = client.get(reverse("otp_setup")).content.decode()
    assert "启用两步验证" in page
    wrong = client.post(reverse("otp_setup"), {"token": "000000"})
    assert "验证码不正确" in wrong.content.decode()
    assert not Authenticator.objects.filter(user=demo["leader"], confirmed=True).exists()
    time.sleep(1.1)  # past django-otp's back-off after one wrong code

    _, codes, _ = enrol(client)
    assert len(codes) == 10 == len(set(codes))
    assert Authenticator.objects.filter(user=demo["leader"], confirmed=True).count() == 1
    assert _actions("auth.otp_enrolled") == ["auth.otp_enrolled"]
    # Shown once: the page now only offers to replace them.
    page = client.get(reverse("otp_setup")).content.decode()
    assert "两步验证已启用" in page and "剩余恢复码：10" in page
    assert not any(code in page for code in codes)


def test_with_an_authenticator_the_password_alone_opens_nothing(demo):
    client = Client()
    _login(client, "leader")
    secret, _, at = enrol(client)
    client.post(reverse("logout"))

    r = _login(client, "leader")
    assert r.status_code == 302 and r["Location"].startswith(reverse("otp_verify"))
    for url in (reverse("annotations:inbox"), reverse("telegrams:register"), "/admin/"):
        r = client.get(url)
        assert r.status_code == 302 and r["Location"].startswith(reverse("otp_verify")), url
    assert client.post(reverse("notifications:read_all")).status_code == 302  # POSTs bounce too, nothing done

    # The code of the step enrolment used is spent (replay); the next step's code is accepted.
    spent = client.post(reverse("otp_verify"), {"token": totp(secret, at)})
    assert "验证码不正确" in spent.content.decode()
    key_before = client.cookies["sessionid"].value
    time.sleep(1.1)  # past django-otp's back-off after one wrong code
    r = client.post(reverse("otp_verify"), {"token": totp(secret, at + 30),
                                            "next": reverse("annotations:inbox")})
    assert r.status_code == 302 and r["Location"] == reverse("annotations:inbox")
    assert client.cookies["sessionid"].value != key_before  # a new session key for the stronger session
    assert client.get(reverse("annotations:inbox")).status_code == 200
    assert _actions("auth.otp_failed", "auth.otp_verified") == ["auth.otp_failed", "auth.otp_verified"]
    login = json.loads(AuditEntry.objects.filter(action="auth.login").order_by("-seq").first().data)
    assert login["second_factor"] == "pending"


def test_a_recovery_code_works_once(demo):
    client = Client()
    _login(client, "leader")
    _, codes, _ = enrol(client)
    client.post(reverse("logout"))

    _login(client, "leader")
    r = client.post(reverse("otp_verify"), {"token": codes[3].upper()[:4] + "-" + codes[3][4:]})
    assert r.status_code == 302
    assert client.get(reverse("annotations:inbox")).status_code == 200
    assert RecoveryCode.objects.filter(device__user=demo["leader"]).count() == 9
    assert json.loads(AuditEntry.objects.get(action="auth.recovery_code_used").data)["remaining"] == 9
    client.post(reverse("logout"))

    _login(client, "leader")
    r = client.post(reverse("otp_verify"), {"token": codes[3]})
    assert "验证码不正确或已使用过" in r.content.decode()
    assert client.get(reverse("annotations:inbox")).status_code == 302


def test_wrong_codes_in_a_row_slow_the_next_attempts(demo, settings):
    settings.OTP_TOTP_THROTTLE_FACTOR = 60
    client = Client()
    _login(client, "leader")
    secret, _, at = enrol(client)
    client.post(reverse("logout"))
    _login(client, "leader")
    client.post(reverse("otp_verify"), {"token": "123456"})
    r = client.post(reverse("otp_verify"), {"token": totp(secret, at + 30)})  # right, but too soon
    assert "错误次数过多" in r.content.decode()
    assert client.get(reverse("annotations:inbox")).status_code == 302


def test_regenerating_recovery_codes_voids_the_old_ones(demo):
    client = Client()
    _login(client, "leader")
    _, old, _ = enrol(client)
    r = client.post(reverse("otp_setup"), {"action": "recovery"})
    new = re.findall(r"<li><code>([a-z2-7]{8})</code></li>", r.content.decode())
    assert len(new) == 10 and not set(new) & set(old)
    assert RecoveryCode.objects.filter(device__user=demo["leader"]).count() == 10
    device = RecoveryCodeSet.objects.get(user=demo["leader"])
    assert not device.verify_token(old[0])  # an old code: refused
    device.throttle_reset()
    assert device.verify_token(new[9])  # a new one: accepted
    assert _actions("auth.recovery_codes_regenerated") == ["auth.recovery_codes_regenerated"]


def test_required_roles_must_enrol_before_anything_else(demo, settings):
    settings.OTP_REQUIRED_ROLES = ["领导", "管理员"]
    admin = Client()
    r = _login(admin, "admin")
    assert r.status_code == 302 and r["Location"].startswith(reverse("otp_setup"))
    r = admin.get(reverse("routing:history"))
    assert r.status_code == 302 and r["Location"].startswith(reverse("otp_setup"))
    assert "您的角色要求启用两步验证" in admin.get(reverse("otp_setup")).content.decode()
    enrol(admin)
    assert admin.get(reverse("routing:history")).status_code == 200

    clerk = Client()  # a role not listed signs in with the password alone
    assert _login(clerk, "clerk")["Location"] == reverse("home")
    assert clerk.get(reverse("telegrams:register")).status_code == 200


def test_the_second_factor_is_off_by_default_and_env_driven():
    from telegram_office import settings as configured

    assert configured.OTP_REQUIRED_ROLES == [] or os.environ.get("OTP_REQUIRED_ROLES")
    script = "from django.conf import settings; print(','.join(settings.OTP_REQUIRED_ROLES))"
    env = {**os.environ, "OTP_REQUIRED_ROLES": "leader, admin"}
    done = subprocess.run([sys.executable, "manage.py", "shell", "-c", script], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0 and done.stdout.strip().splitlines()[-1] == "领导,管理员", done.stderr[-1000:]
    env["OTP_REQUIRED_ROLES"] = "leader,boss"
    done = subprocess.run([sys.executable, "manage.py", "check"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode != 0 and "OTP_REQUIRED_ROLES" in done.stderr


def test_an_admin_removes_a_lost_authenticator_without_ever_seeing_its_key(demo):
    leader = Client()
    _login(leader, "leader")
    secret, codes, _ = enrol(leader)
    device = Authenticator.objects.get(user=demo["leader"])
    admin = Client()
    admin.force_login(demo["admin"])  # the demo 管理员: may view and delete devices, nothing more
    change = admin.get(reverse("admin:directory_authenticator_change", args=[device.pk])).content.decode()
    assert "李领导" in change or "leader" in change
    assert device.bin_key.hex() not in change and device.key_enc not in change
    assert secret not in change and "otpauth://" not in change
    codes_page = admin.get(reverse("admin:directory_recoverycodeset_changelist")).content.decode()
    assert not any(code in codes_page for code in codes) and "argon2" not in codes_page and "md5$" not in codes_page
    assert admin.get(reverse("admin:directory_authenticator_add")).status_code == 403
    r = admin.post(reverse("admin:directory_authenticator_change", args=[device.pk]), {"user": demo["admin"].pk,
                                                                                       "name": "x", "confirmed": "on"})
    assert r.status_code == 403 and Authenticator.objects.get(pk=device.pk).user == demo["leader"]

    r = admin.post(reverse("admin:directory_authenticator_delete", args=[device.pk]), {"post": "yes"})
    assert r.status_code == 302 and not Authenticator.objects.filter(pk=device.pk).exists()
    assert _actions("auth.totp_device_deleted") == ["auth.totp_device_deleted"]
    # The leader, with recovery codes only, must use one of them; with OTP not required they may enrol again.
    leader.post(reverse("logout"))
    assert _login(leader, "leader")["Location"].startswith(reverse("otp_verify"))
