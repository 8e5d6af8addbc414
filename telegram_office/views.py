from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET
from kombu import Connection

from alarms.models import Kind
from alarms.services import open_alarms
from directory import roles
from routing import stalls


@login_required
def home(request):
    if roles.sees_register(request.user):
        return redirect("telegrams:register")
    return redirect("routing:inbox")


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




def csrf_failure(request, reason=""):
    """CSRF_FAILURE_VIEW: a Chinese page saying nothing was changed."""
    return render(request, "403_csrf.html", status=403)
