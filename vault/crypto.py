"""AES-256-GCM for values at rest (bodies, 批示, 办结 results, scans).

Each value gets a fresh 96-bit nonce and carries the id of the key that sealed it, so keys can rotate:
the first key of TELEGRAM_DATA_KEYS encrypts, every key decrypts. The associated data binds a ciphertext to
its row and field ("telegram:<uuid>:body"), so a ciphertext copied to another row or field fails to open.

Binary layout: kid (ASCII) · 0x00 · nonce (12) · ciphertext+tag.  Text columns store "v1:" + base64 of that.
"""
from __future__ import annotations

import base64
import binascii
import os
from dataclasses import dataclass
from functools import lru_cache

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

TEXT_PREFIX = "v1:"


class VaultError(Exception):
    """A value could not be opened: wrong key, tampered ciphertext, or bound to another row/field."""


@dataclass(frozen=True)
class KeyRing:
    keys: dict[str, bytes]  # insertion order kept: the first is the current key
    current: str

    @classmethod
    def parse(cls, spec: str) -> KeyRing:
        keys: dict[str, bytes] = {}
        for part in (p.strip() for p in spec.split(",")):
            if not part:
                continue
            kid, sep, b64 = part.partition(":")
            if not sep or not kid or not kid.isascii() or "\x00" in kid:
                raise ValueError("TELEGRAM_DATA_KEYS: each key must be written kid:base64")
            if len(kid) > 32 or not kid.isprintable() or any(c.isspace() for c in kid):
                # Scan.key_id holds up to 32 characters; ids are short printable tokens such as k3f9a1c.
                raise ValueError(f"TELEGRAM_DATA_KEYS: key id {kid[:40]!r} must be 1-32 printable characters")
            try:
                raw = base64.b64decode(b64, validate=True)
            except binascii.Error as exc:
                raise ValueError(f"TELEGRAM_DATA_KEYS: key {kid} is not valid base64") from exc
            if len(raw) != 32:
                raise ValueError(f"TELEGRAM_DATA_KEYS: key {kid} must be 32 bytes (AES-256)")
            if kid in keys:
                # Two keys under one id: values sealed with the shadowed one could never be opened again.
                raise ValueError(f"TELEGRAM_DATA_KEYS: key id {kid} appears twice")
            keys[kid] = raw
        if not keys:
            raise ValueError("TELEGRAM_DATA_KEYS is empty")
        return cls(keys=keys, current=next(iter(keys)))


@lru_cache(maxsize=4)
def _ring_for(spec: str) -> KeyRing:
    return KeyRing.parse(spec)


def keyring() -> KeyRing:
    from django.conf import settings

    return _ring_for(settings.TELEGRAM_DATA_KEYS)


def aad_for(kind: str, row_id: object, field: str) -> bytes:
    return f"{kind}:{row_id}:{field}".encode()


def seal(plaintext: bytes, aad: bytes, ring: KeyRing | None = None) -> bytes:
    ring = ring or keyring()
    nonce = os.urandom(12)
    ct = AESGCM(ring.keys[ring.current]).encrypt(nonce, plaintext, aad)
    return ring.current.encode() + b"\x00" + nonce + ct


def key_id_of(blob: bytes) -> str:
    kid, sep, _ = blob.partition(b"\x00")
    if not sep:
        raise VaultError("密文格式不正确")
    return kid.decode("ascii", "replace")


def open_sealed(blob: bytes, aad: bytes, ring: KeyRing | None = None) -> bytes:
    ring = ring or keyring()
    kid, sep, rest = blob.partition(b"\x00")
    if not sep:
        raise VaultError("密文格式不正确")
    kid_text = kid.decode("ascii", "replace")
    key = ring.keys.get(kid_text)
    if key is None:
        shown = "".join(c if c.isprintable() else "?" for c in kid_text[:32])  # a tampered id may be binary
        raise VaultError(f"密钥 {shown} 不在 TELEGRAM_DATA_KEYS 中，无法解密")
    if len(rest) < 12 + 16:
        raise VaultError("密文格式不正确")
    try:
        return AESGCM(key).decrypt(rest[:12], rest[12:], aad)
    except InvalidTag as exc:
        raise VaultError("密文校验失败（可能被篡改或不属于此记录）") from exc


def seal_text(text: str, aad: bytes, ring: KeyRing | None = None) -> str:
    return TEXT_PREFIX + base64.b64encode(seal(text.encode("utf-8"), aad, ring)).decode()


def open_text(token: str, aad: bytes, ring: KeyRing | None = None) -> str:
    if not token:
        return ""
    if not token.startswith(TEXT_PREFIX):
        raise VaultError("密文格式不正确")
    try:
        blob = base64.b64decode(token[len(TEXT_PREFIX):], validate=True)
    except binascii.Error as exc:
        raise VaultError("密文格式不正确") from exc
    return open_sealed(blob, aad, ring).decode("utf-8")


def text_key_id(token: str) -> str:
    """The id of the key that sealed a text value ("" for an empty value); VaultError if it is not a token."""
    if not token:
        return ""
    if not token.startswith(TEXT_PREFIX):
        raise VaultError("密文格式不正确")
    try:
        return key_id_of(base64.b64decode(token[len(TEXT_PREFIX):], validate=True))
    except binascii.Error as exc:
        raise VaultError("密文格式不正确") from exc
