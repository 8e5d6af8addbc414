"""The body's blind index: keyed tags of its character bigrams, so a body can be searched without decrypting the
table and without its text in the database.

A body is normalised (NFKC, case-folded, whitespace removed), cut into overlapping two-character grams, and each
distinct gram becomes a tag: HMAC-SHA256 under the index key, truncated to a signed 32-bit integer. A query is
cut the same way; the telegrams whose tags contain all of the query's are the candidates, which are decrypted
and confirmed (a tag may collide, and grams say nothing of their order). What the tags reveal, and why that is
acceptable: docs/security.md, "Body search (blind index)".

The index key is not a data key: `TELEGRAM_INDEX_KEYS` (`kid:base64` of 32 bytes, comma-separated, the first
current; every key is still searched, so rows indexed under an earlier key are found while `rebuild_body_index`
re-tags them). Without it (development), a key is derived from the current data key with HKDF under its own
label — so it too changes when the data keys rotate, and the index is rebuilt with them.
"""
from __future__ import annotations

import hashlib
import unicodedata
from functools import lru_cache

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from .crypto import KeyRing, keyring

GRAM = 2
DERIVED_PREFIX = "d-"  # key ids of keys derived from a data key (no TELEGRAM_INDEX_KEYS)


def _derive(ring: KeyRing) -> KeyRing:
    """One index key per data key (HKDF, its own label); the current data key's is the current index key."""
    keys = {DERIVED_PREFIX + kid: HKDF(algorithm=hashes.SHA256(), length=32, salt=None,
                                       info=b"telegram-office body blind index v1").derive(raw)
            for kid, raw in ring.keys.items()}
    return KeyRing(keys=keys, current=DERIVED_PREFIX + ring.current)


@lru_cache(maxsize=4)
def _ring_for(spec: str, data_spec: str) -> KeyRing:
    return KeyRing.parse(spec) if spec.strip() else _derive(keyring())


def index_keyring() -> KeyRing:
    from django.conf import settings

    return _ring_for(settings.TELEGRAM_INDEX_KEYS, settings.TELEGRAM_DATA_KEYS)


def normalise(text: str) -> str:
    return "".join(unicodedata.normalize("NFKC", text).casefold().split())


def grams(text: str) -> set[str]:
    t = normalise(text)
    return {t[i:i + GRAM] for i in range(len(t) - GRAM + 1)}


@lru_cache(maxsize=8)
def _pads(key: bytes) -> tuple:
    """HMAC-SHA256's inner and outer hash states after the padded key (RFC 2104; keys are 32 bytes, under the
    64-byte block): copying them saves the two key blocks per tag — a 2 KB body has ~600 distinct bigrams, and
    its tags are computed inside the registration."""
    block = key.ljust(64, b"\0")
    return hashlib.sha256(bytes(b ^ 0x36 for b in block)), hashlib.sha256(bytes(b ^ 0x5C for b in block))


def _tag_set(key: bytes, found: set[str]) -> set[int]:
    inner0, outer0 = _pads(key)
    out = set()
    for gram in found:
        inner = inner0.copy()
        inner.update(gram.encode("utf-8"))
        outer = outer0.copy()
        outer.update(inner.digest())
        out.add(int.from_bytes(outer.digest()[:4], "big", signed=True))
    return out


def _tag(key: bytes, gram: str) -> int:
    """HMAC-SHA256(key, gram) truncated to a signed 32-bit integer."""
    return next(iter(_tag_set(key, {gram})))


def tags(text: str, ring: KeyRing | None = None) -> tuple[str, list[int]]:
    """(key id, sorted distinct tags) of a body under the current index key."""
    ring = ring or index_keyring()
    return ring.current, sorted(_tag_set(ring.keys[ring.current], grams(text)))


def query_tags(query: str, ring: KeyRing | None = None) -> dict[str, list[int]]:
    """The query's tags under every index key ({} when the query is shorter than a gram: nothing to look up)."""
    ring = ring or index_keyring()
    found = grams(query)
    if not found:
        return {}
    return {kid: sorted(_tag_set(key, found)) for kid, key in ring.keys.items()}


def matches(body: str, query: str) -> bool:
    """The confirmation of a candidate: the normalised query really is in the normalised body."""
    return normalise(query) in normalise(body)
