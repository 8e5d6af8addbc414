"""The embedded default set-up: files under var/, secrets generated once on first run.

Only used when the environment does not provide a value, so production (DEBUG off) never
reaches this code for secrets: settings.py refuses to start without them instead.
"""
from __future__ import annotations

import base64
import os
import secrets
from pathlib import Path

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


def ensure_var(var_dir: Path) -> Path:
    """Create var/ and var/secrets.env (mode 600) once; return the secrets file path."""
    var_dir.mkdir(parents=True, exist_ok=True)
    for sub in ("broker/queue", "broker/processed", "scans"):
        (var_dir / sub).mkdir(parents=True, exist_ok=True)
    path = var_dir / "secrets.env"
    if not path.exists():
        tmp = path.with_suffix(".tmp")
        tmp.write_text("".join(f"{k}={v}\n" for k, v in fresh_secrets().items()))
        os.chmod(tmp, 0o600)
        tmp.replace(path)  # atomic: two processes starting together never read half a file
    return path
