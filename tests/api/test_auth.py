"""Who may call: a token (`Authorization: Token …`, from `api_token` or the admin's page) or the browser's
session once its second factor is done. Without credentials the answer is 401 — never a redirect to the login
page or to the second-factor page."""
from __future__ import annotations

import json
import time
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from api import actions
from api.models import ApiToken
from audit.models import AuditEntry
from directory.demo import PASSWORD
from directory.models import Authenticator
from tests import factories
from tests.conftest import client_for

from .conftest import problem_of

pytestmark = pytest.mark.django_db

API_PATHS = ["/api/v1/telegrams/", "/api/v1/deliveries/", "/api/v1/schema/", "/api/v1/telegrams/1/"]


@pytest.mark.parametrize("path", API_PATHS)
def test_no_credentials_is_401_never_a_redirect(path, demo):
    response = Client().get(path)
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Token realm="api"'
    assert problem_of(response)["code"] == "not_authenticated"


@pytest.mark.parametrize("header", ["Token nonsense", "Token", "Token a b", "Token 令牌", "token " + "x" * 40])
def test_a_bad_token_is_401(header, demo):
    response = Client().get("/api/v1/telegrams/", HTTP_AUTHORIZATION=header)
    assert response.status_code == 401 and problem_of(response)["code"] == "authentication_failed"


def test_api_token_creates_once_and_prints_it_last(clerk):
    out = StringIO()
    call_command("api_token", "clerk", stdout=out)
    first = out.getvalue().splitlines()
    assert first[0] == "已为 clerk 生成接口令牌" and len(first[-1]) == 40
    out = StringIO()
    call_command("api_token", "clerk", stdout=out)
    assert out.getvalue().splitlines()[-1] == first[-1]
    assert ApiToken.objects.filter(user=clerk).count() == 1
    assert [e.action for e in AuditEntry.objects.filter(action__startswith="api.").order_by("seq")] == [
        "api.token_issued", "api.token_shown"]
    assert first[-1] not in "".join(AuditEntry.objects.values_list("data", flat=True))  # only its first characters

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {first[-1]}")
    assert client.get("/api/v1/telegrams/").status_code == 200
    with pytest.raises(CommandError, match="用户 nobody 不存在"):
        call_command("api_token", "nobody")


def test_a_token_acts_as_its_user_and_its_last_use_is_kept(clerk):
    token, key = actions.issue_token(clerk, actor=None)
    assert token.last_used_at is None and ApiToken.objects.get().key == key
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert client.post("/api/v1/telegrams/", {"text": factories.SEED["title"]}, format="json").status_code == 400
    token.refresh_from_db()
    assert token.last_used_at is not None
    response = client.post("/api/v1/telegrams/", {**_fields(), "sender_doc_no": "工发电〔2020〕70号"}, format="json")
    assert response.status_code == 201
    entry = AuditEntry.objects.get(action="telegram.register")
    assert entry.actor_id == clerk.pk and entry.actor_name == "王机要"
    assert json.loads(entry.data)["api_token"] == token.pk


def _fields() -> dict:
    s = factories.SEED
    return {"sender_unit": s["sender_unit_name"], "precedence": s["precedence"], "received_at": "2020-05-01T21:36",
            "title": s["title"], "instruction": s["instruction"]}


def test_a_revoked_token_stops_at_once(clerk, admin_user):
    token, key = actions.issue_token(clerk, actor=admin_user)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert client.get("/api/v1/telegrams/").status_code == 200
    actions.revoke_token(token, actor=admin_user)
    assert client.get("/api/v1/telegrams/").status_code == 401
    with pytest.raises(actions.NotAllowed):
        actions.revoke_token(token, actor=admin_user)


def test_an_inactive_users_token_is_refused(clerk):
    _, key = actions.issue_token(clerk, actor=None)
    clerk.is_active = False
    clerk.save()
    response = Client().get("/api/v1/telegrams/", HTTP_AUTHORIZATION=f"Token {key}")
    assert response.status_code == 401


def test_the_browser_session_works_and_needs_csrf_for_writes(clerk):
    client = Client(enforce_csrf_checks=True)
    client.force_login(clerk)
    assert client.get("/api/v1/telegrams/").status_code == 200
    refused = client.post("/api/v1/telegrams/", _fields(), content_type="application/json")
    assert refused.status_code == 403 and "CSRF" in problem_of(refused)["detail"]


def test_a_session_waiting_for_its_second_factor_is_401_not_the_otp_page(demo, settings):
    Authenticator.objects.create(user=demo["leader"], name="身份验证器", confirmed=True)
    client = Client()
    response = client.post(reverse("login"), {"username": "leader", "password": PASSWORD})
    assert response.status_code == 302 and response["Location"].startswith(reverse("otp_verify"))
    api = client.get("/api/v1/telegrams/")
    assert api.status_code == 401 and problem_of(api)["detail"] == "请先在网页上完成两步验证。"
    docs = client.get("/api/v1/docs/")
    assert docs.status_code == 302 and docs["Location"].startswith(reverse("otp_verify"))


def test_an_expired_session_is_401_not_the_login_page(clerk):
    client = client_for(clerk)
    assert client.get("/api/v1/telegrams/").status_code == 200
    session = client.session
    session["login_at"] = int(time.time()) - (12 * 3600 + 5)
    session.save()
    response = client.get("/api/v1/telegrams/")
    assert response.status_code == 401
    assert AuditEntry.objects.filter(action="auth.session_expired").exists()
