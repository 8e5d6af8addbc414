from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.views import defaults
from django.views.decorators.http import require_GET
from kombu import Connection

from api import errors as api_errors
from directory import roles

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
    return JsonResponse(status, status=200 if ok else 503)




def _is_api(request) -> bool:
    return request.path_info.startswith(settings.API_PATH_PREFIX)


def page_not_found(request, exception):
    if _is_api(request):
        return api_errors.not_found(request)
    return defaults.page_not_found(request, exception)


def server_error(request):
    if _is_api(request):
        return api_errors.server_error(request)
    return defaults.server_error(request)


def csrf_failure(request, reason=""):
    """CSRF_FAILURE_VIEW: a Chinese page saying nothing was changed."""
    return render(request, "403_csrf.html", status=403)
