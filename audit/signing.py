"""Ed25519 keys for audit checkpoints. The private key comes from settings.AUDIT_SIGNING_KEY (base64 of the raw
32 bytes); the public key is printed by `manage.py audit_public_key` so it can be kept outside the database."""
from __future__ import annotations

import base64
import binascii
from datetime import datetime

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from .chain import checkpoint_message, tree_head_message


class SigningKeyError(ValueError):
    """A key given on the command line or in settings that is not a base64 Ed25519 key."""


def _b64_32(text: str, what: str) -> bytes:
    try:
        raw = base64.b64decode(text.strip(), validate=True)
    except (binascii.Error, ValueError):
        raise SigningKeyError(f"{what}不是有效的 base64 文本")
    if len(raw) != 32:
        raise SigningKeyError(f"{what}应为 32 字节（base64 解码后为 {len(raw)} 字节）")
    return raw


class NotSigner(ImproperlyConfigured):
    """This process holds no AUDIT_SIGNING_KEY: only the signer (beat) does."""


def can_sign() -> bool:
    return bool(settings.AUDIT_SIGNING_KEY)


def private_key() -> Ed25519PrivateKey:
    if not settings.AUDIT_SIGNING_KEY:
        raise NotSigner("本进程没有 AUDIT_SIGNING_KEY：检查点只由签名进程（beat）签署")
    try:
        return Ed25519PrivateKey.from_private_bytes(_b64_32(settings.AUDIT_SIGNING_KEY, "AUDIT_SIGNING_KEY"))
    except SigningKeyError as exc:
        raise ImproperlyConfigured(str(exc))


def public_key() -> Ed25519PublicKey:
    """The key checkpoints are verified with: AUDIT_PUBLIC_KEY, else the signing key's public half."""
    if settings.AUDIT_PUBLIC_KEY:
        try:
            return load_public_key(settings.AUDIT_PUBLIC_KEY)
        except SigningKeyError as exc:
            raise ImproperlyConfigured(f"AUDIT_PUBLIC_KEY：{exc}")
    return private_key().public_key()


def public_key_b64(key: Ed25519PublicKey | None = None) -> str:
    key = key or public_key()
    return base64.b64encode(key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)).decode()


def public_key_pem(key: Ed25519PublicKey | None = None) -> str:
    key = key or public_key()
    return key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()


def load_public_key(text: str) -> Ed25519PublicKey:
    """A public key as base64 of the raw 32 bytes, or as PEM (what `audit_public_key --pem` prints)."""
    text = text.strip()
    if text.startswith("-----BEGIN"):
        try:
            key = serialization.load_pem_public_key(text.encode())
        except ValueError:
            raise SigningKeyError("公钥 PEM 无法解析")
        if not isinstance(key, Ed25519PublicKey):
            raise SigningKeyError("公钥不是 Ed25519 密钥")
        return key
    return Ed25519PublicKey.from_public_bytes(_b64_32(text, "公钥"))


def sign(seq: int, digest: str, at: datetime) -> str:
    return base64.b64encode(private_key().sign(checkpoint_message(seq, digest, at))).decode()


def signature_ok(key: Ed25519PublicKey, seq: int, digest: str, at: datetime, signature: str) -> bool:
    try:
        key.verify(base64.b64decode(signature, validate=True), checkpoint_message(seq, digest, at))
    except (InvalidSignature, binascii.Error, ValueError):
        return False
    return True


def sign_tree_head(size: int, root_hex: str, chain_hash: str, at: datetime) -> str:
    return base64.b64encode(private_key().sign(tree_head_message(size, root_hex, chain_hash, at))).decode()


def tree_head_ok(key: Ed25519PublicKey, size: int, root_hex: str, chain_hash: str, at: datetime, signature: str) -> bool:
    try:
        key.verify(base64.b64decode(signature, validate=True), tree_head_message(size, root_hex, chain_hash, at))
    except (InvalidSignature, binascii.Error, ValueError):
        return False
    return True
