"""The second factor's devices, kept so that a copy of the database gives away no factor.

django-otp's own plugins keep the TOTP key (`TOTPDevice.key`) and the recovery codes (`StaticToken.token`) in
clear. These are django-otp devices of our own (subclasses of its `Device` and `ThrottlingMixin`, so its
middleware, `verify_token`, `login` and `devices_for_user` work unchanged):

- `Authenticator`: an authenticator app (TOTP, RFC 6238, through django-otp's `TOTP` helper). The key is sealed
  with the data keys (vault, AES-256-GCM) and bound to its row (`authenticator:<uid>:key`); `rotate_keys`
  re-seals it like every other sealed value (registered in DirectoryConfig.ready).
- `RecoveryCodeSet` with its `RecoveryCode`s: each code is kept only as a salted slow hash (`make_password` with
  Argon2id, `RecoveryCodeHasher`) and deleted when used.

The rows a clear-text django-otp installation held are moved here by migration 0005."""
from __future__ import annotations

import os
import time
import uuid
from base64 import b32encode
from urllib.parse import quote, urlencode

from django.conf import settings
from django.contrib.auth.hashers import Argon2PasswordHasher, make_password
from django.db import models
from django.db.models import Q
from django_otp.models import Device, ThrottlingMixin, TimestampMixin
from django_otp.oath import TOTP

from vault import crypto

KEY_BYTES = 20  # 160 bits, RFC 4226's recommendation for HMAC-SHA1 (what authenticator apps compute)
CODE_BYTES = 5  # a recovery code: 40 random bits, written as 8 base32 letters
MAX_CODE_LENGTH = 16  # django-otp's StaticToken.token: codes moved from it may be longer than ours


class RecoveryCodeHasher(Argon2PasswordHasher):
    """Argon2id at OWASP's recommended minimum (19 MiB, 2 passes, 1 lane). A recovery code is 40 random bits, not a
    person's password: Django's password parameters (100 MiB, 8 lanes) would make an enrolment cost ten of those
    and every wrong code up to ten more, for nothing a code needs. Verified with the same class, so it does not
    depend on PASSWORD_HASHERS (which the tests swap for a fast one)."""

    time_cost = 2
    memory_cost = 19 * 1024
    parallelism = 1


RECOVERY_HASHER = RecoveryCodeHasher()


def hash_code(code: str) -> str:
    return make_password(code, hasher=RECOVERY_HASHER)


def code_matches(code: str, encoded: str) -> bool:
    """Constant-time check of a code against one stored hash."""
    return encoded.startswith(f"{RECOVERY_HASHER.algorithm}$") and RECOVERY_HASHER.verify(code, encoded)


class SecondFactorDevice(TimestampMixin, ThrottlingMixin, Device):
    """django-otp's device fields, under Chinese names (the admin and the migrations read these); each device
    names its own `user` link."""

    name = models.CharField("名称", max_length=64, help_text="设备的名称。")
    confirmed = models.BooleanField("已启用", default=True, help_text="设置完成、可以使用。")
    created_at = models.DateTimeField("创建时间", auto_now_add=True, null=True, blank=True)
    last_used_at = models.DateTimeField("最近使用", null=True, blank=True, help_text="最近一次用它验证的时间。")
    throttling_failure_timestamp = models.DateTimeField("最近一次输错", null=True, blank=True, default=None,
                                                        help_text="最近一次输错验证码的时间。")
    throttling_failure_count = models.PositiveIntegerField("连续输错次数", default=0,
                                                           help_text="连续输错的次数（输对后清零）。")

    class Meta:
        abstract = True


def authenticator_aad(uid: uuid.UUID | str) -> bytes:
    """The associated data of an authenticator's sealed key (migration 0005 seals with the same)."""
    return crypto.aad_for("authenticator", uid, "key")


class Authenticator(SecondFactorDevice):
    """An authenticator app: django-otp's TOTPDevice with its key sealed (never stored in clear)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="用户", on_delete=models.CASCADE,
                             related_name="authenticators", help_text="这个设备属于谁。")
    confirmed = models.BooleanField("已启用", default=False, help_text="输入过一次正确的验证码后启用。")
    uid = models.UUIDField("标识", default=uuid.uuid4, unique=True, editable=False)
    key_enc = models.TextField("密钥（密文）", editable=False)
    step = models.PositiveSmallIntegerField("时间步长（秒）", default=30, help_text="验证码每隔多少秒更换一次。")
    t0 = models.BigIntegerField("起始时间", default=0, help_text="开始计算时间步的 Unix 时间。")
    digits = models.PositiveSmallIntegerField("位数", choices=[(6, 6), (8, 8)], default=6, help_text="验证码的位数。")
    tolerance = models.PositiveSmallIntegerField("允许偏差（步）", default=1, help_text="允许前后相差几个时间步。")
    drift = models.SmallIntegerField("时钟偏差（步）", default=0, help_text="手机时钟与服务器相差的时间步。")
    last_t = models.BigIntegerField("最近验证的时间步", default=-1,
                                    help_text="最近一次接受的验证码所在的时间步；之后只接受更晚的（同一验证码不能用两次）。")

    class Meta:
        verbose_name = "身份验证器"
        verbose_name_plural = "身份验证器"
        constraints = [
            # One authenticator in use and at most one being enrolled per person.
            models.UniqueConstraint(fields=["user", "confirmed"], name="directory_authenticator_one_per_state"),
            # The key is a vault token, never a clear hex key.
            models.CheckConstraint(condition=Q(key_enc__startswith=crypto.TEXT_PREFIX),
                                   name="directory_authenticator_key_sealed"),
            models.CheckConstraint(condition=Q(digits__in=[6, 8]), name="directory_authenticator_digits"),
        ]

    @property
    def aad(self) -> bytes:
        return authenticator_aad(self.uid)

    @property
    def bin_key(self) -> bytes:
        return bytes.fromhex(crypto.open_text(self.key_enc, self.aad))

    def set_key(self, key: bytes) -> None:
        self.key_enc = crypto.seal_text(key.hex(), self.aad)

    def save(self, *args, **kwargs):
        if not self.key_enc:
            self.set_key(os.urandom(KEY_BYTES))
        super().save(*args, **kwargs)

    def get_throttle_factor(self) -> int:
        return getattr(settings, "OTP_TOTP_THROTTLE_FACTOR", 1)

    def verify_token(self, token) -> bool:
        """django-otp's TOTPDevice.verify_token: within `tolerance` steps, only a step after the last accepted one
        (a code is never accepted twice), with the back-off after wrong codes."""
        if not self.verify_is_allowed()[0]:
            return False
        try:
            token = int(token)
        except (TypeError, ValueError):
            verified = False
        else:
            totp = TOTP(self.bin_key, self.step, self.t0, self.digits, self.drift)
            totp.time = time.time()
            verified = totp.verify(token, self.tolerance, self.last_t + 1)
            if verified:
                self.last_t = totp.t()
                if getattr(settings, "OTP_TOTP_SYNC", True):
                    self.drift = totp.drift
                self.throttle_reset(commit=False)
                self.set_last_used_timestamp(commit=False)
                self.save()
        if not verified:
            self.throttle_increment(commit=True)
        return verified

    @property
    def config_url(self) -> str:
        """The otpauth:// URI authenticator apps read (Google's Key Uri Format), with OTP_TOTP_ISSUER."""
        label = str(self.user.get_username())
        params = urlencode({"secret": b32encode(self.bin_key), "algorithm": "SHA1", "digits": self.digits,
                            "period": self.step})
        issuer = (getattr(settings, "OTP_TOTP_ISSUER", "") or "").replace(":", "")
        if issuer:
            label = f"{issuer}:{label}"
            params += f"&issuer={quote(issuer)}"
        return f"otpauth://totp/{quote(label)}?{params}"


class RecoveryCodeSet(SecondFactorDevice):
    """A person's single-use recovery codes: django-otp's StaticDevice with hashed codes."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="用户", on_delete=models.CASCADE,
                             related_name="recovery_code_sets", help_text="这个设备属于谁。")

    class Meta:
        verbose_name = "恢复码"
        verbose_name_plural = "恢复码"
        constraints = [models.UniqueConstraint(fields=["user"], name="directory_recoverycodeset_one_per_user")]

    def get_throttle_factor(self) -> int:
        return getattr(settings, "OTP_STATIC_THROTTLE_FACTOR", 1)

    def issue(self, count: int) -> list[str]:
        """Replace every code with `count` new ones; returns them (the only time they exist in clear)."""
        self.codes.all().delete()
        codes: list[str] = []
        while len(codes) < count:
            code = b32encode(os.urandom(CODE_BYTES)).decode().lower()
            if code not in codes:
                codes.append(code)
        RecoveryCode.objects.bulk_create(RecoveryCode(device=self, code_hash=hash_code(c)) for c in codes)
        return codes

    def verify_token(self, token) -> bool:
        """django-otp's StaticDevice.verify_token against the hashes: a matching code is deleted (spent)."""
        if not self.verify_is_allowed()[0]:
            return False
        token = str(token or "")
        match = None
        if 0 < len(token) <= MAX_CODE_LENGTH:  # anything else cannot be a code: no slow hashing for it
            match = next((c for c in self.codes.all() if code_matches(token, c.code_hash)), None)
        if match is None:
            self.throttle_increment(commit=True)
            return False
        match.delete()
        self.throttle_reset(commit=False)
        self.set_last_used_timestamp(commit=False)
        self.save()
        return True


class RecoveryCode(models.Model):
    """One unused recovery code, as a salted slow hash."""

    device = models.ForeignKey(RecoveryCodeSet, verbose_name="所属恢复码", on_delete=models.CASCADE, related_name="codes")
    code_hash = models.CharField("恢复码（加盐哈希）", max_length=256)

    class Meta:
        verbose_name = "单个恢复码"
        verbose_name_plural = "单个恢复码"
        constraints = [
            # A hasher's output ("argon2$argon2id$…"); a code in clear has no "$".
            models.CheckConstraint(condition=Q(code_hash__contains="$"), name="directory_recoverycode_hashed"),
        ]
