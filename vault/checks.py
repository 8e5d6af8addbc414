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


@checks.register(checks.Tags.security)
def index_keys_parse(app_configs, **kwargs):
    """TELEGRAM_INDEX_KEYS (the body search's blind index, vault/blind.py): empty, or a ring of the same form."""
    if not settings.TELEGRAM_INDEX_KEYS.strip():
        return []
    try:
        KeyRing.parse(settings.TELEGRAM_INDEX_KEYS)
    except ValueError as exc:
        return [checks.Error(str(exc).replace("TELEGRAM_DATA_KEYS", "TELEGRAM_INDEX_KEYS"),
                             hint="格式同 TELEGRAM_DATA_KEYS：kid:base64(32字节),kid2:base64；第一个密钥用于新正文的索引。",
                             id="vault.E002")]
    return []
