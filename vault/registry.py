"""Every kind of value the project keeps encrypted, in one place.

`rotate_keys` and the tests iterate these lists, so a new encrypted column or file belongs here. Each entry
knows how to rebuild the associated data of a row; it must match what the owning model uses when it seals
(tests/vault/test_registry.py checks both, and that every `*_enc` column in the project is listed).
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from django.apps import apps
from django.db import models

from . import crypto


@dataclass(frozen=True)
class _Sealed:
    label: str  # "app_label.ModelName"

    @property
    def model(self) -> type[models.Model]:
        return apps.get_model(self.label)


@dataclass(frozen=True)
class SealedField(_Sealed):
    """A text column holding `crypto.seal_text` tokens ("" = no value)."""

    field: str
    aad: Callable[[models.Model], bytes]

    @property
    def name(self) -> str:
        return f"{self.label}.{self.field}"

    def describe(self, obj: models.Model) -> str:
        uid = getattr(obj, "uid", None)
        return f"{self.label} #{obj.pk}{f'（{uid}）' if uid else ''} 字段 {self.field}"


@dataclass(frozen=True)
class SealedFiles(_Sealed):
    """Files holding `crypto.seal` blobs, one per row; `key_field` caches the id of the key that sealed it."""

    key_field: str
    path: Callable[[models.Model], Path]
    aad: Callable[[models.Model], bytes]

    @property
    def name(self) -> str:
        return f"{self.label} 文件"

    def describe(self, obj: models.Model) -> str:
        return f"{self.label} #{obj.pk}（{obj.uid}）文件 {self.path(obj)}"


def _has_field(label: str, field: str) -> bool:
    try:
        model = apps.get_model(label)
    except LookupError:  # the app is not installed, or the model does not exist (yet)
        return False
    return any(f.name == field for f in model._meta.get_fields())


def sealed_fields() -> list[SealedField]:
    kinds = [
        SealedField("telegrams.Telegram", "body_enc", lambda t: crypto.aad_for("telegram", t.uid, "body")),
        SealedField("routing.Delivery", "result_enc", lambda d: crypto.aad_for("delivery", d.pk, "result")),
    ]
    # 批示 text: listed as soon as the annotations app has its model, so this file works before and after.
    if _has_field("annotations.Annotation", "text_enc"):
        kinds.append(
            SealedField("annotations.Annotation", "text_enc", lambda a: crypto.aad_for("annotation", a.uid, "text"))
        )
    return kinds


def sealed_files() -> list[SealedFiles]:
    return [SealedFiles("telegrams.Scan", "key_id", path=lambda s: s.path, aad=lambda s: s.aad)]
