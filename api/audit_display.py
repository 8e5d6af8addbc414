"""How the audit log shows API tokens and the API channel (audit.catalog; called from ApiConfig.ready)."""
from __future__ import annotations

from django.urls import reverse

from audit import catalog

from .models import ApiToken


def describe_tokens(ids: list[str]) -> dict[str, catalog.Shown]:
    rows = ApiToken.objects.filter(pk__in=[int(i) for i in ids if i.isdigit()]).values_list("pk", "prefix", "user__username")
    return {str(pk): catalog.Shown(f"{prefix}…（{username}）", reverse("integrations:list")) for pk, prefix, username in rows}


def register() -> None:
    catalog.register_object("api.apitoken", label="接口令牌", describe=describe_tokens)
    catalog.register_actions({
        "api.token_issued": "签发接口令牌", "api.token_shown": "显示接口令牌", "api.token_revoked": "撤销接口令牌",
        "api.account_created": "创建接口账号",
    })
    # Every entry an API call appends carries its channel and, for a token, the token's id (views.base.ApiView).
    catalog.register_fields({"channel": "渠道", "api_token": "接口令牌编号", "prefix": "令牌开头", "purpose": "用途"},
                            values={"channel": {"api": "REST 接口"}})
