"""Roles as on the pages: each view names the roles it serves (views.base.ApiView.roles); another role gets 403,
no credentials 401."""
from __future__ import annotations

from rest_framework.permissions import BasePermission

from directory import roles as directory_roles


class HasRole(BasePermission):
    message = "您的角色无权使用此接口。"

    def has_permission(self, request, view) -> bool:
        if not (request.user and request.user.is_authenticated):
            return False
        allowed = view.roles_for(request.method) if hasattr(view, "roles_for") else None
        return allowed is None or directory_roles.has_role(request.user, *allowed)
