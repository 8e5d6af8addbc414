"""django-otp's two device apps under Chinese names (it ships no Chinese translation, and most of its names are
plain strings gettext never sees): the admin's sections, models and fields read 两步验证 … in Chinese.

Only display names change, set when the apps are ready: the field and model options that migrations record
(`_verbose_name`, Meta `original_attrs`, help texts) stay as django-otp ships them, so no migration differs.
Help texts are given to the admin's forms instead (directory/admin.py)."""
from __future__ import annotations

from django_otp.plugins.otp_static.apps import DefaultConfig as StaticDefaultConfig
from django_otp.plugins.otp_totp.apps import DefaultConfig as TOTPDefaultConfig

FIELD_NAMES = {
    "user": "用户", "name": "名称", "confirmed": "已启用", "throttling_failure_timestamp": "最近一次输错",
    "throttling_failure_count": "连续输错次数", "created_at": "创建时间", "last_used_at": "最近使用",
    "key": "密钥", "step": "时间步长（秒）", "t0": "起始时间", "digits": "位数", "tolerance": "允许偏差（步）",
    "drift": "时钟偏差（步）", "last_t": "最近验证的时间步", "device": "所属设备", "token": "恢复码",
}
HELP_TEXTS = {
    "user": "这个设备属于谁。", "name": "设备的名称。", "confirmed": "设置完成、可以使用。",
    "throttling_failure_timestamp": "最近一次输错验证码的时间。", "throttling_failure_count": "连续输错的次数（输对后清零）。",
    "created_at": "设备的创建时间。", "last_used_at": "最近一次用它验证的时间。",
    "step": "验证码每隔多少秒更换一次。", "t0": "开始计算时间步的 Unix 时间。", "digits": "验证码的位数。",
    "tolerance": "允许前后相差几个时间步。", "drift": "手机时钟与服务器相差的时间步。",
}


def _name(model, singular: str) -> None:
    model._meta.verbose_name = model._meta.verbose_name_plural = singular
    for field in model._meta.fields:
        if field.name in FIELD_NAMES:
            field.verbose_name = FIELD_NAMES[field.name]


class AuthenticatorConfig(TOTPDefaultConfig):
    verbose_name = "两步验证：身份验证器"

    def ready(self):
        _name(self.get_model("TOTPDevice"), "身份验证器")


class RecoveryCodesConfig(StaticDefaultConfig):
    verbose_name = "两步验证：恢复码"

    def ready(self):
        _name(self.get_model("StaticDevice"), "恢复码")
        _name(self.get_model("StaticToken"), "单个恢复码")
