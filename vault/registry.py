"""Every kind of value the project keeps encrypted, in one place.

`rotate_keys` and the tests iterate these lists; the app that owns a new encrypted column or file registers it
here from its AppConfig.ready. Each entry
knows how to rebuild the associated data of a row; it must match what the owning model uses when it seals
(tests/vault/test_registry.py checks both, and that every `*_enc` column in the project is listed).
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from django.apps import apps
from django.db import models


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
    """Files holding `crypto.seal` blobs, one per row (of the rows matching `where`: e.g. only finished jobs have
    a result file); `key_field` caches the id of the key that sealed it."""

    key_field: str
    path: Callable[[models.Model], Path]
    aad: Callable[[models.Model], bytes]
    where: tuple = ()  # (("field", value), …) the rows that have this file

    def rows(self) -> models.QuerySet:
        return self.model._base_manager.filter(**dict(self.where))  # every such row, whatever the default manager

    @property
    def name(self) -> str:
        return f"{self.label} 文件" + (f"（{dict(self.where)}）" if self.where else "")

    def describe(self, obj: models.Model) -> str:
        return f"{self.label} #{obj.pk}（{obj.uid}）文件 {self.path(obj)}"


_fields: list[SealedField] = []
_files: list[SealedFiles] = []


def register(kind: SealedField | SealedFiles) -> None:
    """Each app lists its own encrypted values in its AppConfig.ready (vault imports no app of this project)."""
    target = _files if isinstance(kind, SealedFiles) else _fields
    if all(k.name != kind.name for k in target):
        target.append(kind)


def sealed_fields() -> list[SealedField]:
    return list(_fields)


def sealed_files() -> list[SealedFiles]:
    return list(_files)
