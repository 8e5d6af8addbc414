"""The OpenAPI document's shared parts: the token scheme, the problem document every error uses, and a hook that
adds the errors any operation may answer (401, 403, 406, 415, 429) so clients and schemathesis know them."""
from __future__ import annotations

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, OpenApiTypes, extend_schema_field
from rest_framework import serializers

from core.filters import BoundedDateFilter

from .errors import PROBLEM_JSON

# core's date filters refuse a year outside FIRST_DAY–LAST_DAY (1949–2099: no record has one); the schema says so
# (tests/api/test_schema_and_docs.py checks the pattern against core's bounds).
BOUNDED_DATE = r"^(19(49|[5-9][0-9])|20[0-9][0-9])-[0-9]{2}-[0-9]{2}$"
extend_schema_field({"type": "string", "format": "date", "pattern": BOUNDED_DATE,
                     "description": "年-月-日，1949–2099 年"})(BoundedDateFilter)

TAGS = {"telegrams": "来电", "deliveries": "本单位来电"}


class ApiSchema(AutoSchema):
    """Responses keyed (status, media type) for the problem documents: a list view is still known by its 200.
    Operations are grouped under Chinese tags by their first path segment."""

    def get_tags(self) -> list[str]:
        tags = super().get_tags()
        return [TAGS.get(tag, tag) for tag in tags]

    def _is_list_view(self, serializer=None) -> bool:
        if serializer is None:
            responses = self.get_response_serializers()
            if isinstance(responses, dict) and 200 in responses:
                serializer = responses[200]
        return super()._is_list_view(serializer)


class TokenScheme(OpenApiAuthenticationExtension):
    target_class = "api.authentication.TokenAuthentication"
    name = "tokenAuth"

    def get_security_definition(self, auto_schema):
        return {"type": "apiKey", "in": "header", "name": "Authorization",
                "description": "`Token <令牌>`：令牌由管理员在“接口账号”页面签发，或用 `manage.py api_token 用户名` 生成。"}


class SessionScheme(OpenApiAuthenticationExtension):
    target_class = "api.authentication.SessionAuthentication"
    name = "cookieAuth"

    def get_security_definition(self, auto_schema):
        from django.conf import settings

        return {"type": "apiKey", "in": "cookie", "name": settings.SESSION_COOKIE_NAME,
                "description": "浏览器登录后的会话（写操作须带 X-CSRFToken）。"}


class FieldErrorSerializer(serializers.Serializer):
    field = serializers.CharField(allow_null=True, help_text="出错的字段（点号分隔，如 addressees.0）")
    message = serializers.CharField()
    code = serializers.CharField()


class ProblemSerializer(serializers.Serializer):
    """RFC 9457 problem details; extension members (existing, receipt_no, draft…) may follow."""

    type = serializers.CharField(help_text="about:blank#<code>")
    title = serializers.CharField()
    status = serializers.IntegerField()
    detail = serializers.CharField(help_text="中文说明，可直接展示给用户")
    code = serializers.CharField(help_text="稳定的机器可读代码：程序据此判断，不要匹配说明文字")
    field = serializers.CharField(required=False, help_text="出错的输入字段")
    instance = serializers.CharField(required=False)
    errors = FieldErrorSerializer(many=True, required=False, help_text="校验错误的全部条目")


DESCRIPTIONS = {
    400: "输入有误（field 指明字段）", 401: "未提供或无效的认证信息", 403: "角色无权使用此接口",
    404: "对象不存在或不在您的权限范围内", 406: "无法提供 Accept 要求的格式", 409: "与当前状态冲突（重复、已签收等）",
    413: "请求过大", 415: "不支持的请求内容类型", 429: "请求过于频繁（见 Retry-After）",
}


def problems(*codes: int) -> dict:
    """extend_schema(responses=…) entries for these error statuses."""
    return {(code, PROBLEM_JSON): OpenApiResponse(ProblemSerializer, description=DESCRIPTIONS.get(code, "")) for code in codes}


IDEMPOTENCY_KEY = OpenApiParameter(
    "Idempotency-Key", OpenApiTypes.STR, OpenApiParameter.HEADER, required=False,
    description="同一提交的重试使用同一个键（1–200个可见 ASCII 字符）：只登记一次，重试得到相同的状态码和内容。",
    pattern=r"^[\x21-\x7e]{1,200}$",
)


QUERY_TEXT = "^[^\\u0000-\\u0008\\u000b\\u000c\\u000e-\\u001f\\u007f]*$"


def add_common_errors(result, generator, request, public):
    """POSTPROCESSING_HOOKS: every operation may answer 400/401/403/406/429, one with a body also 413/415; a query
    parameter sent empty means "not given" (as the register page's filter form sends them)."""
    problem_ref = {"$ref": "#/components/schemas/Problem"}
    result.setdefault("components", {}).setdefault("schemas", {})
    for path_item in result.get("paths", {}).values():
        for operation in path_item.values():
            for parameter in operation.get("parameters", []):
                if parameter.get("in") == "query":
                    parameter["allowEmptyValue"] = True
                    kind = parameter.get("schema", {})
                    if kind.get("type") == "string" and not ({"enum", "format", "pattern"} & set(kind)):
                        kind["pattern"] = QUERY_TEXT  # views.base.ApiView.initial refuses control characters
            codes = [400, 401, 403, 406, 429] + ([413, 415] if "requestBody" in operation else [])
            for code in codes:
                operation["responses"].setdefault(str(code), {
                    "description": DESCRIPTIONS[code], "content": {PROBLEM_JSON: {"schema": problem_ref}},
                })
    return result
