"""What every API view shares: roles as on the pages, the audit context (each entry an API call appends names the
channel and the token), the Idempotency-Key, pagination that stops counting like the register's."""
from __future__ import annotations

import functools
import hashlib
import re

from django.conf import settings
from django.utils import timezone
from rest_framework.generics import GenericAPIView
from rest_framework.pagination import PageNumberPagination

from audit.context import adding as audit_adding
from core.errors import InvalidInput
from directory.security import has_control_characters
from telegrams.pagination import CappedPaginator

from ..authentication import token_of
from ..permissions import HasRole


def iso(value) -> str | None:
    """A time as the contracts write it: local (Asia/Shanghai), ISO 8601 with its offset (+08:00)."""
    return timezone.localtime(value).isoformat() if value else None


_KEY = re.compile(r"[\x21-\x7e]{1,200}")


class ApiView(GenericAPIView):
    """`roles`: the roles served (None: every signed-in role; the object helpers still scope), or a dict by
    method for views whose methods differ (GET for everyone who may see the telegram, POST for the clerk)."""

    roles: tuple[str, ...] | dict[str, tuple[str, ...] | None] | None = None
    permission_classes = [HasRole]

    def roles_for(self, method: str) -> tuple[str, ...] | None:
        if isinstance(self.roles, dict):
            return self.roles.get("GET" if method == "HEAD" else method)
        return self.roles

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        for name, values in request.query_params.lists():  # NUL & co. reach no query (PostgreSQL refuses NUL)
            if has_control_characters(name) or any(has_control_characters(v) for v in values):
                raise InvalidInput("查询参数不能包含控制字符。", field=name if not has_control_characters(name) else None)
        token = token_of(request)
        self._audit = audit_adding(channel="api", **({"api_token": token.pk} if token else {}))
        self._audit.__enter__()

    def finalize_response(self, request, response, *args, **kwargs):
        audit = getattr(self, "_audit", None)
        if audit is not None:
            self._audit = None
            audit.__exit__(None, None, None)
        return super().finalize_response(request, response, *args, **kwargs)


def idempotency_key(request) -> str:
    """The `Idempotency-Key` header as a submission key of this account (two accounts never share one): the
    actions store it under a unique index, so a retried request lands on what the first one made."""
    raw = request.headers.get("Idempotency-Key")
    if raw is None:
        return ""
    if not _KEY.fullmatch(raw):
        raise InvalidInput("Idempotency-Key 应为1–200个可见 ASCII 字符。", field="Idempotency-Key")
    return hashlib.sha256(f"api\n{request.user.pk}\n{raw}".encode()).hexdigest()


class Pages(PageNumberPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200
    # count stops at REGISTER_COUNT_CAP + 1 rows, as on the register page (an exact COUNT(*) of a million is slow).
    django_paginator_class = functools.partial(CappedPaginator, cap=settings.REGISTER_COUNT_CAP)

    def get_schema_operation_parameters(self, view):
        return [
            {"name": self.page_query_param, "required": False, "in": "query", "description": "页码，从1开始",
             "schema": {"type": "integer", "minimum": 1}},
            {"name": self.page_size_query_param, "required": False, "in": "query",
             "description": f"每页条数（默认{self.page_size}）",
             "schema": {"type": "integer", "minimum": 1, "maximum": self.max_page_size}},
        ]

    def get_page_size(self, request):
        """Strict: a page_size that is not a whole number from 1 to max_page_size is refused, not ignored."""
        raw = request.query_params.get(self.page_size_query_param)
        if not raw:
            return self.page_size
        if not raw.isdigit() or not 1 <= int(raw) <= self.max_page_size:
            raise InvalidInput(f"page_size 应为1到{self.max_page_size}之间的整数。", field=self.page_size_query_param)
        return int(raw)
