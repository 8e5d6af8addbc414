"""One helper per kind of caller to turn an ActionError into what that caller shows."""
from __future__ import annotations

from django.core.management.base import CommandError

from .errors import ActionError


def add_to_form(form, exc: ActionError) -> None:
    """Put the error on its field when the form has that field, else on the form as a whole."""
    form.add_error(exc.field if exc.field in form.fields else None, exc.message)


def command_error(exc: ActionError) -> CommandError:
    """A management command exits non-zero with the one-line Chinese reason."""
    return CommandError(exc.message.replace("\n", " "))


# RFC 9457: `title` is a short summary of the problem type, the same for every occurrence; `detail` says what happened.
TITLES = {
    400: "请求有误", 401: "未认证", 403: "无权操作", 404: "未找到", 405: "不支持该方法", 406: "无法提供所需格式",
    409: "与当前状态冲突", 413: "请求过大", 415: "不支持的内容类型", 429: "请求过于频繁", 500: "服务器内部错误",
}


def problem(exc: ActionError, *, instance: str = "") -> dict:
    """RFC 9457 problem details (the API's error body)."""
    body = {"type": f"about:blank#{exc.code}", "title": TITLES.get(exc.status, "请求有误"), "status": exc.status,
            "detail": exc.message, "code": exc.code}
    if exc.field:
        body["field"] = exc.field
    if instance:
        body["instance"] = instance
    for key, value in exc.context.items():
        if isinstance(value, (str, int, float, bool)) or value is None:
            body[key] = value
    return body
