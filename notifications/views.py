"""我的提醒: a person's alerts, newest first, read and unread."""
from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

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
