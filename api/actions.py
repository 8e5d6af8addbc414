"""Integration accounts and their tokens: create an account, issue, show and revoke a token. Each writes its
audit entry in the same transaction (a token itself never enters the ledger, only its first characters)."""
from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser, Group
from django.contrib.auth.validators import UnicodeUsernameValidator
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from audit.services import record
from core.errors import Duplicate, InvalidInput, NotAllowed
from directory import roles
from directory.models import Person, Unit

from .models import ApiToken, SystemAccount, new_key

# The roles an integration may have: a terminal or the OA registers telegrams (机要员); a unit's own system
# follows that unit's deliveries (承办人).
ACCOUNT_ROLES = (roles.CLERK, roles.STAFF)


def _username(user) -> str:
    return user.get_username()


def issue_token(user: AbstractBaseUser, *, actor: AbstractBaseUser | None, name: str = "") -> tuple[ApiToken, str]:
    """A new token for `user`; returns it and its key (shown once on the page)."""
    name = (name or "").strip()
    if len(name) > 100:
        raise InvalidInput("用途不能超过100字。", field="name")
    if not user.is_active:
        raise NotAllowed("该账号已停用，不能签发令牌。", field="user")
    key = new_key()
    with transaction.atomic():
        token = ApiToken(user=user, name=name, created_by=actor)
        token.set_key(key)
        token.save()
        record(actor, "api.token_issued", token, {"user": _username(user), "name": name, "prefix": token.prefix})
    return token, key


def token_for(user: AbstractBaseUser, *, actor: AbstractBaseUser | None = None) -> tuple[ApiToken, str, bool]:
    """`api_token USERNAME`: the user's newest valid token (shown again, audited), or a new one. (token, key, new)"""
    with transaction.atomic():
        token = ApiToken.objects.filter(user=user, revoked_at__isnull=True).order_by("-created_at", "-id").first()
        if token is None:
            token, key = issue_token(user, actor=actor, name="命令行签发")
            return token, key, True
        record(actor, "api.token_shown", token, {"user": _username(user), "prefix": token.prefix})
        return token, token.key, False


def revoke_token(token: ApiToken, *, actor: AbstractBaseUser) -> ApiToken:
    """撤销: the token stops working at once; the row stays, with who revoked it and when."""
    with transaction.atomic():
        token = ApiToken.objects.select_for_update().select_related("user").get(pk=token.pk)
        if token.revoked_at is not None:
            raise NotAllowed("该令牌已经撤销。", code="already_revoked")
        token.revoked_at, token.revoked_by = timezone.now(), actor
        token.save(update_fields=["revoked_at", "revoked_by"])
        record(actor, "api.token_revoked", token, {"user": _username(token.user), "prefix": token.prefix})
    return token


def create_system_account(*, username: str, full_name: str, role: str, unit: Unit | None, purpose: str,
                          actor: AbstractBaseUser) -> tuple[SystemAccount, ApiToken, str]:
    """An account for another system, with no password (it cannot log in to the pages), one role, and its first
    token. Returns the account, the token and its key."""
    username, full_name, purpose = (username or "").strip(), (full_name or "").strip(), (purpose or "").strip()
    try:
        UnicodeUsernameValidator()(username)
    except ValidationError:
        raise InvalidInput("账号名只能包含字母、数字和 @ . + - _。", field="username")
    if not username or len(username) > 150:
        raise InvalidInput("请填写账号名（不超过150个字符）。", field="username")
    if not full_name or len(full_name) > 50:
        raise InvalidInput("请填写名称（不超过50字）。", field="full_name")
    if not purpose or len(purpose) > 200:
        raise InvalidInput("请填写用途（不超过200字）。", field="purpose")
    if role not in ACCOUNT_ROLES:
        raise InvalidInput("接口账号的角色只能是机要员或承办人。", field="role")
    if role == roles.STAFF and (unit is None or not unit.active):
        raise InvalidInput("承办人账号须属于一个启用的单位。", field="unit")
    User = get_user_model()
    try:
        with transaction.atomic():
            user = User(username=username)
            user.set_unusable_password()
            user.save()
            user.groups.set([Group.objects.get_or_create(name=role)[0]])
            Person.objects.create(user=user, full_name=full_name, unit=unit if role == roles.STAFF else None,
                                  title="接口账号")
            account = SystemAccount.objects.create(user=user, purpose=purpose, created_by=actor)
            record(actor, "api.account_created", user, {
                "username": username, "role": role, "unit": unit.name if unit and role == roles.STAFF else None,
                "purpose": purpose,
            }, object_type="auth.user")
            token, key = issue_token(user, actor=actor, name=purpose[:100])
    except IntegrityError:
        raise Duplicate(f"账号名 {username} 已被使用。", field="username")
    return account, token, key
