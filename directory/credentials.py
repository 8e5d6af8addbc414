"""Every change of a credential, role or permission goes on the audit chain, whichever way it is made (admin,
the self-service password page, a management command, a shell): passwords through a password "validator" whose
`password_changed` Django calls after every save of a new password, roles and permissions through m2m_changed,
second-factor devices through their save and delete signals. Code that writes its own, richer entry for the same
change (Django admin's AuditedAdmin, directory.security) wraps it in audit.context.recorded_elsewhere()."""
from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import transaction
from django.db.models.signals import m2m_changed, post_delete, post_save, pre_save

from audit.context import current_actor, is_recorded_elsewhere
from audit.services import record

from .devices import Authenticator, RecoveryCodeSet


def _actor_for(user):
    actor = current_actor()
    return actor if getattr(actor, "is_authenticated", False) else (user if user is not None and user.pk else "系统")


class AuditPasswordChanges:
    """In AUTH_PASSWORD_VALIDATORS: validates nothing; records every password set or changed (never the value)."""

    def validate(self, password, user=None) -> None:
        return None

    def get_help_text(self) -> str:
        return "每次修改密码都会记入审计日志。"

    def password_changed(self, password, user=None) -> None:
        if user is None or user.pk is None or is_recorded_elsewhere():
            return
        actor = _actor_for(user)
        with transaction.atomic():
            record(actor, "auth.password_changed", user, {
                "username": user.get_username(), "by_self": getattr(actor, "pk", None) == user.pk,
            }, object_type="auth.user")


def _names(model, pks) -> list[str]:
    return sorted(str(o) for o in model._default_manager.filter(pk__in=pks or []))


def _m2m_recorder(entry_action: str, field: str):
    def receiver(sender, instance, action: str = "", reverse: bool = False, model=None, pk_set=None, **kwargs):
        if is_recorded_elsewhere():
            return
        if action == "pre_clear":  # what a clear() removes, read before it is gone
            instance._audit_cleared = {p.pk for p in getattr(instance, field).all()} if not reverse else set()
            return
        if action not in ("post_add", "post_remove", "post_clear"):
            return
        pks = instance.__dict__.pop("_audit_cleared", set()) if action == "post_clear" else pk_set
        if not pks and action != "post_clear":
            return
        change = {"post_add": "added", "post_remove": "removed", "post_clear": "removed"}[action]
        with transaction.atomic():
            record(_actor_for(None), entry_action, instance, {
                "name": str(instance), change: _names(model, pks), "reverse": reverse,
            })

    return receiver


def _otp_saved(sender, instance, created: bool = False, **kwargs) -> None:
    """A device created, or confirmed (an authenticator made active, recovery codes issued)."""
    if is_recorded_elsewhere():
        return
    was_confirmed = getattr(instance, "_audit_was_confirmed", None)
    if not created and was_confirmed == instance.confirmed:
        return  # a verification's counters (throttling, last used step): not a change of the factor
    kind = "totp" if isinstance(instance, Authenticator) else "recovery"
    with transaction.atomic():
        record(_actor_for(instance.user), "auth.otp_device_saved", instance.user, {
            "username": instance.user.get_username(), "kind": kind, "created": created, "confirmed": instance.confirmed,
        }, object_type="auth.user")


def _otp_before_save(sender, instance, **kwargs) -> None:
    if instance.pk and not is_recorded_elsewhere():
        instance._audit_was_confirmed = sender.objects.filter(pk=instance.pk).values_list("confirmed", flat=True).first()


def _otp_deleted(sender, instance, **kwargs) -> None:
    if is_recorded_elsewhere():
        return
    kind = "totp" if isinstance(instance, Authenticator) else "recovery"
    user = get_user_model()._default_manager.filter(pk=instance.user_id).first()
    with transaction.atomic():
        record(_actor_for(user), "auth.otp_device_deleted", user, {
            "username": user.get_username() if user else "", "kind": kind, "user_id": instance.user_id,
        }, object_type="auth.user")


def connect() -> None:
    User = get_user_model()
    m2m_changed.connect(_m2m_recorder("auth.groups_changed", "groups"), sender=User.groups.through,
                        dispatch_uid="credentials.user_groups", weak=False)
    m2m_changed.connect(_m2m_recorder("auth.permissions_changed", "user_permissions"),
                        sender=User.user_permissions.through, dispatch_uid="credentials.user_permissions", weak=False)
    m2m_changed.connect(_m2m_recorder("auth.group_permissions_changed", "permissions"), sender=Group.permissions.through,
                        dispatch_uid="credentials.group_permissions", weak=False)
    for model in (Authenticator, RecoveryCodeSet):
        pre_save.connect(_otp_before_save, sender=model, dispatch_uid=f"credentials.pre_{model.__name__}")
        post_save.connect(_otp_saved, sender=model, dispatch_uid=f"credentials.saved_{model.__name__}")
        post_delete.connect(_otp_deleted, sender=model, dispatch_uid=f"credentials.deleted_{model.__name__}")
