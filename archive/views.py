"""归档 pages: the clerk archives one telegram (from its page) or a batch (the 归档 page's checkboxes); an admin
revokes an archiving with a reason. Thin: the forms read input, archive.actions decides, errors go back as
messages. The package download is the printing app's (it renders the 处理单)."""
from __future__ import annotations

from django.contrib import messages
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from core.errors import ActionError
from directory import roles
from directory.access import role_required
from telegrams.access import telegram_for
from telegrams.models import Telegram, TelegramState

from . import actions
from .forms import ArchiveForm, RevokeForm
from .models import Archival, Retention

LIST_LIMIT = 200


def _year(request) -> int | None:
    value = (request.GET.get("year") or "").strip()
    return int(value) if value.isdigit() and 1900 < int(value) < 3000 else None


@role_required(roles.CLERK, roles.ADMIN)
def page(request):
    """待归档 (finished telegrams without a 档号, with checkboxes for the clerk) and 已归档 (档号, packages)."""
    year = _year(request)
    form = ArchiveForm(request.POST or None)
    if request.method == "POST":
        if not roles.is_clerk(request.user):
            messages.error(request, "只有机要员可以归档。")
            return redirect("archive:page")
        ids = [int(v) for v in request.POST.getlist("telegrams") if v.isdigit()]
        if form.is_valid():
            try:
                made = actions.archive_many(list(Telegram.objects.filter(pk__in=ids)),
                                            retention=form.cleaned_data["retention"], actor=request.user)
            except ActionError as exc:
                messages.error(request, exc.message)
            else:
                messages.success(request, f"已归档 {len(made)} 件：{made[0].archive_no} 至 {made[-1].archive_no}。")
                return redirect(request.get_full_path())
        else:
            messages.error(request, "请选择保管期限。")
    waiting = (Telegram.objects.filter(state__in=actions.ARCHIVABLE)
               .exclude(pk__in=Archival.objects.filter(revoked_at__isnull=True).values("telegram_id"))
               .order_by("receipt_year", "receipt_seq"))
    archived = (Archival.objects.filter(revoked_at__isnull=True).select_related("telegram", "archived_by__person")
                .order_by("-year", "retention", "-item_no"))
    if year:
        waiting, archived = waiting.filter(receipt_year=year), archived.filter(year=year)
    years = sorted(set(Archival.objects.values_list("year", flat=True)) |
                   set(Telegram.objects.filter(state__in=actions.ARCHIVABLE).values_list("receipt_year", flat=True)),
                   reverse=True)
    return render(request, "archive/page.html", {
        "form": form, "waiting": list(waiting[:LIST_LIMIT]), "waiting_count": waiting.count(),
        "archived": list(archived[:LIST_LIMIT]), "archived_count": archived.count(), "year": year, "years": years,
        "limit": LIST_LIMIT, "retentions": Retention.choices, "checked": set(request.POST.getlist("telegrams")),
        "filed_state": TelegramState.ARCHIVED,
    })


@role_required(roles.CLERK)
@require_POST
def archive_one(request, pk: int):
    telegram = telegram_for(request.user, pk)
    form = ArchiveForm(request.POST)
    if not form.is_valid():
        messages.error(request, "请选择保管期限。")
        return redirect("telegrams:detail", pk=pk)
    try:
        archival = actions.archive(telegram, retention=form.cleaned_data["retention"], actor=request.user)
    except ActionError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"{telegram.receipt_no} 已归档，档号 {archival.archive_no}（{archival.get_retention_display()}）。")
    return redirect("telegrams:detail", pk=pk)


@role_required(roles.ADMIN)
@require_POST
def revoke(request, pk: int):
    telegram = telegram_for(request.user, pk)
    form = RevokeForm(request.POST)
    if not form.is_valid():
        messages.error(request, "请填写撤销归档的原因。")
        return redirect("telegrams:detail", pk=pk)
    try:
        telegram = actions.unarchive(telegram, reason=form.cleaned_data["reason"], actor=request.user)
    except ActionError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"{telegram.receipt_no} 已撤销归档，恢复为{telegram.get_state_display()}。")
    return redirect("telegrams:detail", pk=pk)
