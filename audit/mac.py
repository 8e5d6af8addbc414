"""A MAC on every audit entry, keyed by a secret the database never holds.

The hash chain is keyless: whoever can write the table can append a well-linked entry and move the head, and
the next checkpoint would sign it. Each entry therefore also carries HMAC-SHA256(K, hash), where K is derived
from DJANGO_SECRET_KEY (held by web, worker and beat; not by the database or its backups). A database
superuser can still delete or rewrite entries (the witness catches that), but cannot add one the signer or
verify_audit accept. Earlier secret keys (DJANGO_SECRET_KEY_FALLBACKS) still verify, so the key can rotate."""
from __future__ import annotations

import hmac

from django.conf import settings

_LABEL = b"telegram_office/audit-entry-mac/v1"
_keys: dict[str, bytes] = {}


def _derive(secret: str) -> bytes:
    key = _keys.get(secret)
    if key is None:
        key = _keys[secret] = hmac.digest(secret.encode("utf-8"), _LABEL, "sha256")
    return key


def entry_mac(digest: str) -> str:
    return hmac.digest(_derive(settings.SECRET_KEY), digest.encode("ascii"), "sha256").hex()


def mac_checker():
    """A function (hash, mac) → bool for one verification run: the current key first, then the fallbacks."""
    keys = [_derive(settings.SECRET_KEY), *(_derive(k) for k in settings.SECRET_KEY_FALLBACKS)]
    first, digest_ = keys[0], hmac.digest
    compare = hmac.compare_digest

    def ok(digest: str, mac: str) -> bool:
        raw = digest.encode("ascii")
        if compare(digest_(first, raw, "sha256").hex(), mac):
            return True
        return any(compare(digest_(k, raw, "sha256").hex(), mac) for k in keys[1:])

    return ok
