"""Every error the API answers is an RFC 9457 problem document (application/problem+json) carrying the Chinese
message and, when one input field is at fault, its name: the actions' typed errors (core.mapping.problem), DRF's
own (validation, authentication, permission, throttling, parsing) and the URLconf's 404/500 under /api/."""
from __future__ import annotations

import logging

from django.core.exceptions import PermissionDenied, RequestDataTooBig, SuspiciousOperation
from django.http import Http404, JsonResponse
from rest_framework import exceptions
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from core.errors import ActionError
from core.mapping import TITLES, problem

log = logging.getLogger(__name__)

PROBLEM_JSON = "application/problem+json"

def body(status_code: int, detail: str, *, code: str, field: str | None = None, instance: str = "", **extra) -> dict:
    doc = {"type": f"about:blank#{code}", "title": TITLES.get(status_code, detail), "status": status_code,
           "detail": detail, "code": code}
    if field:
        doc["field"] = field
    if instance:
        doc["instance"] = instance
    doc.update(extra)
    return doc


def _flatten(detail, prefix: str = "") -> list[dict]:
    """DRF's nested validation errors as [{"field", "message", "code"}], fields dotted (addressees.0)."""
    if isinstance(detail, dict):
        found = []
        for key, value in detail.items():
            name = prefix if key == "non_field_errors" else (f"{prefix}.{key}" if prefix else str(key))
            found += _flatten(value, name)
        return found
    if isinstance(detail, list):
        found = []
        for value in detail:
            found += _flatten(value, prefix)
        return found
    return [{"field": prefix or None, "message": str(detail), "code": getattr(detail, "code", None) or "invalid"}]


def _from_api_exception(exc: exceptions.APIException, instance: str) -> dict:
    code = exc.status_code
    if isinstance(exc, exceptions.ValidationError):
        errors = _flatten(exc.detail)
        first = errors[0] if errors else {"field": None, "message": "输入有误。", "code": "invalid"}
        return body(code, first["message"], code="invalid", field=first["field"], instance=instance, errors=errors)
    detail = exc.detail if isinstance(exc.detail, str) else str(exc.detail)
    codes = exc.get_codes()
    return body(code, str(detail), code=codes if isinstance(codes, str) else exc.default_code, instance=instance)


def handle(exc, context) -> Response | None:
    """REST_FRAMEWORK["EXCEPTION_HANDLER"]."""
    request = context.get("request")
    instance = request.path if request is not None else ""
    if request is not None:  # JSON whatever the view renders otherwise (the schema's YAML, the docs' HTML)
        request.accepted_renderer, request.accepted_media_type = JSONRenderer(), PROBLEM_JSON
    if isinstance(exc, ActionError):
        return Response(problem(exc, instance=instance), status=exc.status, content_type=PROBLEM_JSON)
    if isinstance(exc, RequestDataTooBig):
        exc = exceptions.APIException("请求内容过大。")
        exc.status_code, exc.default_code = 413, "too_large"
    elif isinstance(exc, SuspiciousOperation):
        exc = exceptions.ParseError("请求无法解析。")
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound(str(exc) or "未找到。")
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied(str(exc) or None)
    response = drf_exception_handler(exc, context)  # sets WWW-Authenticate (401) and Retry-After (429)
    if response is None:
        return None  # a bug: Django's 500 handler answers (problem JSON under /api/, see not_found/server_error)
    response.data = _from_api_exception(exc, instance)
    response.content_type = PROBLEM_JSON
    return response


def problem_response(request, status_code: int, detail: str, *, code: str) -> JsonResponse:
    """The URLconf's handler400/403/404/500 under /api/ (no such URL, a crash): no database, no template."""
    return JsonResponse(body(status_code, detail, code=code, instance=request.path), status=status_code,
                        content_type=PROBLEM_JSON, json_dumps_params={"ensure_ascii": False})

