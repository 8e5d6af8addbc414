from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.template import loader
from django.views.decorators.http import require_GET
from kombu import Connection

from alarms.models import Kind
from alarms.services import open_alarms
from api import errors as api_errors
from directory import roles
from routing import stalls

# Each role lands on its own work; a person with several roles lands on the first of theirs in this order.
LANDING = (
    (roles.ADMIN, "routing:history"),
    (roles.LEADER, "annotations:inbox"),
    (roles.CLERK, "telegrams:register"),
    (roles.STAFF, "routing:inbox"),
)


@login_required
def home(request):
    mine = roles.roles_of(request.user)
    for role, page in LANDING:
        if role in mine:
            return redirect(page)
    return render(request, "no_role.html", status=403)


@require_GET
def healthz(request):
    """200 only when the database and the Celery broker both answer."""
    status = {}
    try:
        with connection.cursor() as cur:
            cur.execute("SELECT 1")
        status["database"] = "ok"
    except Exception as exc:  # report, don't raise: this is a probe
        status["database"] = f"error: {exc.__class__.__name__}"
    try:
        # A fresh connection from the settings (no pool), so the probe sees the broker as it is now.
        with Connection(settings.CELERY_BROKER_URL, transport_options=settings.CELERY_BROKER_TRANSPORT_OPTIONS,
                        connect_timeout=2) as conn:
            conn.ensure_connection(max_retries=1, timeout=2)
        status["broker"] = "ok"
    except Exception as exc:
        status["broker"] = f"error: {exc.__class__.__name__}"
    ok = all(v == "ok" for v in status.values())
    if status["database"] == "ok":
        _report_alarms(status)
    # 503 only when a service is down (a probe restarting the container would not help an alarm); alarms are
    # reported in the body for monitoring to read.
    return JsonResponse(status, status=200 if ok else 503)


def _report_alarms(status: dict) -> None:
    """Open alarms (the audit chain no longer matches its witness, …) and a live check for stalled routing,
    which needs no running beat to be seen."""
    try:
        open_ = list(open_alarms())
        stall = stalls.stalled()
    except Exception as exc:
        status["alarms"] = f"error: {exc.__class__.__name__}"
        return
    status["audit"] = "alarm" if any(a.kind == Kind.AUDIT for a in open_) else "ok"
    status["routing"] = f"stalled: {stall.pending} pending" if stall else "ok"
    status["alarms"] = [
        {"kind": a.kind, "key": a.key, "message": a.message, "since": a.raised_at.isoformat(timespec="seconds")}
        for a in open_
    ]




# Error pages never touch the database: rendered without the request, so no context processor (the user's
# name, unread alerts) runs a query — the database may be what failed. And the 500 page never claims that
# nothing was saved: the failure may come after COMMIT (a session save on a dead connection).

def _error_page(template: str, status: int, title: str, **context) -> HttpResponse:
    return HttpResponse(loader.get_template(template).render({"title": title, **context}), status=status)


def _is_api(request) -> bool:
    return request.path_info.startswith(settings.API_PATH_PREFIX)


def bad_request(request, exception=None):
    if _is_api(request):
        return api_errors.problem_response(request, 400, "请求无效。", code="bad_request")
    return _error_page("400.html", 400, "请求无效")


def permission_denied(request, exception=None):
    if _is_api(request):
        return api_errors.problem_response(request, 403, "无权访问。", code="permission_denied")
    return _error_page("403.html", 403, "无权访问")


def page_not_found(request, exception=None):
    if _is_api(request):
        return api_errors.problem_response(request, 404, "接口不存在。", code="not_found")
    return _error_page("404.html", 404, "页面不存在")


def server_error(request):
    if _is_api(request):
        return api_errors.problem_response(request, 500, "服务器内部错误，请稍后再试。", code="server_error")
    return _error_page("500.html", 500, "系统错误", show_register=True)


def csrf_failure(request, reason=""):
    """CSRF_FAILURE_VIEW: the check runs before any view, so nothing was changed."""
    return _error_page("403_csrf.html", 403, "页面已过期")
