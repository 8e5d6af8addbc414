"""System check: a malformed TELEGRAM_DATA_KEYS is reported at start-up, not at the first encryption."""
from __future__ import annotations

from django.conf import settings
from django.core import checks

from .crypto import KeyRing


@checks.register(checks.Tags.security)
def data_keys_parse(app_configs, **kwargs):
    try:
        KeyRing.parse(settings.TELEGRAM_DATA_KEYS)
    except ValueError as exc:
        return [checks.Error(str(exc), hint="格式：kid:base64(32字节),kid2:base64；第一个密钥用于加密。",
                             id="vault.E001")]
    return []
