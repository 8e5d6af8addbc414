from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET
from kombu import Connection

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




def csrf_failure(request, reason=""):
    """CSRF_FAILURE_VIEW: a Chinese page saying nothing was changed."""
    return render(request, "403_csrf.html", status=403)
