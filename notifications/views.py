"""我的提醒: a person's alerts, newest first, read and unread."""
from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpResponseNotModified, JsonResponse
from django.shortcuts import redirect, render, resolve_url
from django.utils.cache import parse_etags
from django.views.decorators.http import require_GET, require_POST

from . import live as live_state
from . import services
from .models import Alert

PAGE_SIZE = 50


@login_required
def alert_list(request):
    show = request.GET.get("show", "unread")
    qs = Alert.objects.filter(user=request.user).select_related("telegram")
    if show != "all":
        show = "unread"
        qs = qs.filter(read_at__isnull=True)
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "notifications/list.html", {
        "page": page, "show": show, "unread": services.unread_count(request.user),
    })


@login_required
@require_POST
def mark_all_read(request):
    n = services.mark_read(request.user)
    messages.success(request, f"已将{n}条提醒标为已读。" if n else "没有未读提醒。")
    return redirect("notifications:list")


@login_required
@require_POST
def mark_one_read(request, pk: int):
    services.mark_read(request.user, alert_id=pk)  # another person's alert id changes nothing
    return redirect("notifications:list")


@require_GET
def live(request):
    """The poll of every open page (static/js/live.js): 304 while nothing the person sees has changed, else the
    versions, the unread count and the unread 特提 alerts. 401 (not a redirect to the login page) once the session
    has ended, so the page can say so. The poll never renews the session (directory.middleware.SessionMiddleware)."""
    if not request.user.is_authenticated:
        return JsonResponse({"login": resolve_url(settings.LOGIN_URL), "message": "登录已过期，请重新登录。"}, status=401)
    current = live_state.for_request(request)
    if current.etag in parse_etags(request.headers.get("If-None-Match", "")):
        response = HttpResponseNotModified()
    else:
        response = JsonResponse(live_state.payload(request.user, current), json_dumps_params={"ensure_ascii": False})
    response["ETag"] = current.etag
    return response
