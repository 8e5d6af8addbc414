"""Fresh secrets in the form settings.py reads them: for the embedded default's var/secrets.env and for
`generate_keys` (a production .env). Standard library and `cryptography` only: settings import this."""
from __future__ import annotations

import base64
import secrets

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey


def new_data_key_ring() -> str:
    """One AES-256 key as `kid:base64`; the ring is a comma-separated list, first key encrypts."""
    kid = "k" + secrets.token_hex(3)
    return f"{kid}:{base64.b64encode(secrets.token_bytes(32)).decode()}"


def new_signing_key() -> str:
    raw = Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
    )
    return base64.b64encode(raw).decode()


def new_secret_key() -> str:
    return secrets.token_urlsafe(50)


def fresh_secrets() -> dict[str, str]:
    return {
        "DJANGO_SECRET_KEY": new_secret_key(),
        "TELEGRAM_DATA_KEYS": new_data_key_ring(),
        "AUDIT_SIGNING_KEY": new_signing_key(),
    }
