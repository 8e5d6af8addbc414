"""API tokens and the system accounts integrations use. A token is kept as its SHA-256 (what a request is looked
up by) and sealed with the data keys (so `api_token` can print it again); neither lets a copy of the database
call the API."""
from __future__ import annotations

import hashlib
import secrets
import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q

from vault import crypto

KEY_BYTES = 30  # 240 random bits, 40 URL-safe characters


def new_key() -> str:
    return secrets.token_urlsafe(KEY_BYTES)


def digest_of(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8", "replace")).hexdigest()


class ApiToken(models.Model):
    uid = models.UUIDField("标识", default=uuid.uuid4, unique=True, editable=False)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="账号", on_delete=models.PROTECT,
                             related_name="api_tokens")
    name = models.CharField("用途", max_length=100, blank=True)
    prefix = models.CharField("令牌开头", max_length=8, help_text="只用于辨认，不能用于认证")
    digest = models.CharField("SHA-256", max_length=64, unique=True, editable=False)
    key_enc = models.TextField("令牌（密文）", editable=False)
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="签发人", null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="+")
    last_used_at = models.DateTimeField("最近使用", null=True, blank=True)
    revoked_at = models.DateTimeField("撤销时间", null=True, blank=True)
    revoked_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="撤销人", null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = "接口令牌"
        verbose_name_plural = "接口令牌"
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(revoked_at__isnull=False) | Q(revoked_by__isnull=True),
                                   name="api_token_revoker_only_when_revoked"),
        ]
        indexes = [models.Index(fields=["user", "revoked_at"], name="api_token_user_idx")]

    def __str__(self) -> str:
        return f"{self.prefix}…"

    @property
    def active(self) -> bool:
        return self.revoked_at is None

    @property
    def aad(self) -> bytes:
        return crypto.aad_for("api_token", self.uid, "key")

    @property
    def key(self) -> str:
        return crypto.open_text(self.key_enc, self.aad)

    def set_key(self, key: str) -> None:
        self.digest = digest_of(key)
        self.prefix = key[:6]
        self.key_enc = crypto.seal_text(key, self.aad)


class SystemAccount(models.Model):
    """An account for another system (the 机要 terminal, the OA): no password, so it never logs in to the pages;
    it calls the API with its tokens, in the role the admin gave it."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, verbose_name="账号", on_delete=models.PROTECT,
                                related_name="system_account")
    purpose = models.CharField("用途", max_length=200)
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="创建人", null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = "接口账号"
        verbose_name_plural = "接口账号"
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return self.user.get_username()
