"""The embedded default set-up: files under var/, secrets generated once on first run.

Only used when the environment does not provide a value, so production (DEBUG off) never
reaches this code for secrets: settings.py refuses to start without them instead.
"""
from __future__ import annotations

import os
from pathlib import Path

from core.secrets import fresh_secrets


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
