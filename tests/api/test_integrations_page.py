"""接口账号 (admin): an account for another system with a role and no password, its token shown once, every
token's last use, revoke. The page is the admin's alone."""
from __future__ import annotations

import re

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from api.models import ApiToken, SystemAccount
from audit.models import AuditEntry
from directory.models import Unit
from tests.conftest import client_for

pytestmark = pytest.mark.django_db


def test_the_admin_creates_an_account_for_a_units_system_and_revokes_its_token(admin_user):
    client = client_for(admin_user)
    unit = Unit.objects.get(name="自治区总工会")
    page = client.post(reverse("integrations:create_account"), {
        "username": "zgh-oa", "full_name": "总工会OA", "role": "承办人", "unit": unit.pk, "purpose": "总工会OA接收来电",
    })
    assert page.status_code == 200
    text = page.content.decode()
    key = re.search(r'<code class="token">([^<]+)</code>', text).group(1)
    assert "令牌只在此显示一次" in text

    account = SystemAccount.objects.get()
    assert account.user.person.unit == unit and not account.user.has_usable_password()
    assert not client_for(admin_user).get(reverse("integrations:list")).content.decode().count(key)  # shown once
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert api.get("/api/v1/deliveries/").status_code == 200  # 承办人 of 自治区总工会
    assert api.get("/api/v1/telegrams/").status_code == 403  # no register for unit staff

    listing = client.get(reverse("integrations:list")).content.decode()
    token = ApiToken.objects.get(user=account.user)
    assert "zgh-oa" in listing and f"{token.prefix}…" in listing and token.last_used_at is not None
    response = client.post(reverse("integrations:revoke", args=[token.pk]), follow=True)
    assert f"令牌 {token.prefix}… 已撤销" in response.content.decode()
    assert api.get("/api/v1/deliveries/").status_code == 401
    assert [e.action for e in AuditEntry.objects.filter(action__startswith="api.").order_by("seq")] == [
        "api.account_created", "api.token_issued", "api.token_revoked"]


def test_the_form_says_what_is_wrong(admin_user, clerk):
    client = client_for(admin_user)
    page = client.post(reverse("integrations:create_account"), {
        "username": "clerk", "full_name": "重复", "role": "机要员", "purpose": "试",
    })
    assert page.status_code == 400 and "账号名 clerk 已被使用。" in page.content.decode()
    page = client.post(reverse("integrations:create_account"), {
        "username": "unitless", "full_name": "无单位", "role": "承办人", "purpose": "试",
    })
    assert "承办人账号须属于一个启用的单位。" in page.content.decode()
    assert not SystemAccount.objects.exists()


def test_a_new_token_for_an_account_leaves_the_old_one_working(admin_user):
    from api.actions import create_system_account

    account, old, _ = create_system_account(username="terminal", full_name="机要终端", role="机要员", unit=None,
                                            purpose="终端自动登记", actor=admin_user)
    page = client_for(admin_user).post(reverse("integrations:issue", args=[account.user_id]))
    assert page.status_code == 200 and '<code class="token">' in page.content.decode()
    assert ApiToken.objects.filter(user=account.user, revoked_at__isnull=True).count() == 2


def test_the_audit_log_names_the_api_in_chinese(admin_user, clerk):
    from .conftest import token_client
    from .test_telegrams import SEED_FIELDS

    assert token_client(clerk).post("/api/v1/telegrams/", SEED_FIELDS, format="json").status_code == 201
    page = client_for(admin_user).get(reverse("audit:log")).content.decode()
    assert "签发接口令牌" in page and "接口令牌：" in page  # the token, by its first characters
    assert "登记来电" in page and "REST 接口" in page and "接口令牌编号" in page
