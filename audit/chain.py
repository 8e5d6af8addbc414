"""The hash chain's arithmetic: canonical JSON and the link hash. Shared by append and verify."""
from __future__ import annotations

import hashlib
import json
from datetime import datetime, timezone
from typing import Any


def canonical_json(value: Any) -> str:
    """Sorted keys, UTF-8 (no \\u escapes), no spaces: the same data always gives the same text."""
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)


def at_text(at: datetime) -> str:
    return at.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def link_hash(
    prev_hash: str, seq: int, at: datetime, actor_id: int | None, actor_name: str,
    action: str, object_type: str, object_id: str, data: str,
) -> str:
    entry = canonical_json(
        {
            "seq": seq, "at": at_text(at), "actor_id": actor_id, "actor": actor_name, "action": action,
            "object_type": object_type, "object_id": object_id, "data": data,
        }
    )
    return hashlib.sha256(prev_hash.encode("ascii") + entry.encode("utf-8")).hexdigest()


def entry_hash(e) -> str:
    """Recompute an AuditEntry's (or row tuple-like object's) hash from its fields."""
    return link_hash(e.prev_hash, e.seq, e.at, e.actor_id, e.actor_name, e.action, e.object_type, e.object_id, e.data)
