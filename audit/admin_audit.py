"""Audit for changes made in Django admin (units, people, users and their roles).

A mixin for ModelAdmin classes: every save, delete and many-to-many change (a user's role groups, a role's
permissions) appends an entry in the same transaction as the change. Django admin already wraps the add/change
and delete views in a transaction; the bulk "delete selected" action is not, so each hook opens its own
(a savepoint when nested)."""
from __future__ import annotations

from datetime import date, datetime

from django.db import models, transaction

from .context import recorded_elsewhere
from .services import record


def _plain(value):
    if isinstance(value, models.Model):
        return str(value)
    if isinstance(value, models.QuerySet | list | tuple | set):
        return sorted(_plain(v) for v in value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if value is None or isinstance(value, str | int | float | bool | dict):
        return value
    return str(value)


# Form fields whose values are secrets (password hashes, authenticator keys, tokens): named, never recorded.
SECRET_WORDS = ("password", "key", "secret", "token", "otp")


class AuditedAdmin:
    audit_name = ""  # "unit" → directory.unit_saved / directory.unit_deleted
    audit_m2m_action = ""  # e.g. "directory.user_roles": who gained or lost a role group
    audit_prefix = "directory"

    def _m2m_names(self, obj) -> dict[str, set[str]]:
        if obj.pk is None:
            return {}
        return {f.name: {str(v) for v in getattr(obj, f.name).all()} for f in obj._meta.many_to_many}

    def _secret(self, name: str) -> bool:
        return any(word in name for word in SECRET_WORDS)

    def save_model(self, request, obj, form, change):
        model_fields = {f.name for f in obj._meta.concrete_fields}
        fields = [f for f in form.changed_data if f in model_fields and not self._secret(f)]
        secrets = sorted(f for f in form.changed_data if self._secret(f))
        old = type(obj)._default_manager.filter(pk=obj.pk).first() if change else None
        request._audit_m2m_before = self._m2m_names(obj) if change else {}
        with transaction.atomic(), recorded_elsewhere():
            super().save_model(request, obj, form, change)
            if old is None:
                changed = {f: _plain(getattr(obj, f)) for f in fields}
            else:  # old → new, and only what really differs (a re-posted JSON list is not a change)
                changed = {f: {"old": _plain(getattr(old, f)), "new": _plain(getattr(obj, f))} for f in fields
                           if _plain(getattr(old, f)) != _plain(getattr(obj, f))}
            record(request.user, f"{self.audit_prefix}.{self.audit_name}_saved", obj, {
                "name": str(obj), "created": not change, "changed": changed,
                # A secret's value never enters the ledger (it could not be removed again): only that it changed.
                **({"secrets_changed": secrets} if secrets else {}),
            })

    def save_related(self, request, form, formsets, change):
        with transaction.atomic(), recorded_elsewhere():
            super().save_related(request, form, formsets, change)
            obj = form.instance
            before = getattr(request, "_audit_m2m_before", {})
            after = self._m2m_names(obj)
            diff = {}
            for name, now in after.items():
                was = before.get(name, set())
                if now != was:
                    diff[name] = {"added": sorted(now - was), "removed": sorted(was - now), "now": sorted(now)}
            if diff:
                action = self.audit_m2m_action or f"{self.audit_prefix}.{self.audit_name}_saved"
                record(request.user, action, obj, {"name": str(obj), **diff})

    def delete_model(self, request, obj):
        with transaction.atomic(), recorded_elsewhere():
            record(request.user, f"{self.audit_prefix}.{self.audit_name}_deleted", obj, {"name": str(obj)})
            super().delete_model(request, obj)

    def delete_queryset(self, request, queryset):
        with transaction.atomic(), recorded_elsewhere():
            for obj in queryset:
                record(request.user, f"{self.audit_prefix}.{self.audit_name}_deleted", obj, {"name": str(obj)})
            super().delete_queryset(request, queryset)
