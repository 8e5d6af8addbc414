"""Clerk-facing views of the register. Thin: forms validate, services change state, access helpers scope."""
from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from annotations.services import mark_alerts_read
from audit.services import record
from directory import roles, snapshot

from . import prefill, services
from .access import role_required, telegram_for
from .filters import RegisterFilter
from .forms import CorrectionForm, TelegramForm, VoidForm
from .models import Scan, Telegram
from .pagination import CappedPaginator
from .registration import register_from_form

PAGE_SIZE = 50


def _unit_names() -> list[str]:
    return [u.name for u in snapshot.current().active]


@role_required(roles.CLERK, roles.LEADER, roles.ADMIN)
def register_list(request):
    qs = Telegram.objects.only(
        "id", "receipt_no", "precedence", "sender_unit_name", "title", "received_at", "state", "sender_doc_no"
    )
    f = RegisterFilter(request.GET, queryset=qs)
    page = CappedPaginator(f.qs, PAGE_SIZE, cap=settings.REGISTER_COUNT_CAP).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "telegrams/register.html", {
        "filter": f, "page": page, "query": query.urlencode(),
    })


@role_required(roles.CLERK)
def register_create(request):
    initial = {"received_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M")}
    if request.method == "POST" and prefill.PARSE_SUBMIT in request.POST:
        # 识别并填表: the text only fills the form; nothing is saved until the clerk presses 保存并编号.
        paste = prefill.PasteForm(request.POST, request.FILES)
        filled = paste.parse()
        form = TelegramForm(initial={**initial, **(filled.data if filled else {})})
        return render(request, "telegrams/register_form.html", {
            "form": form, "unit_names": _unit_names(), "paste": paste, "filled": filled,
        })
    form = TelegramForm(request.POST or None, request.FILES or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        telegram = register_from_form(form, request.user)
        if telegram is not None:
            messages.success(request, f"已登记，收文号 {telegram.receipt_no}")
            return redirect("telegrams:detail", pk=telegram.pk)
    return render(request, "telegrams/register_form.html", {
        "form": form, "unit_names": _unit_names(), "paste": prefill.PasteForm(),
    })


@login_required
def detail(request, pk: int):
    telegram = telegram_for(request.user, pk)
    body = services.read_body(telegram, actor=request.user)
    mark_alerts_read(request.user, telegram)
    deliveries = list(telegram.deliveries.select_related("unit", "signed_by__person", "done_by__person"))
    events = list(telegram.routing_events.select_related("actor__person", "delivery__unit"))
    return render(request, "telegrams/detail.html", {
        "t": telegram, "body": body, "changes": telegram.changes.select_related("by__person"),
        "scans": telegram.scans.all(), "deliveries": deliveries, "events": events,
        "annotations": _annotations(telegram),
        "can_edit": roles.is_clerk(request.user) and not telegram.is_void,
        "void_form": VoidForm(),
    })


def _annotations(telegram):
    try:
        from annotations.models import Annotation
    except ImportError:  # the annotations app is optional until the 批示 feature lands
        return []
    return Annotation.objects.filter(telegram=telegram).select_related("author__person")


@role_required(roles.CLERK)
def correct(request, pk: int):
    telegram = telegram_for(request.user, pk)
    initial = {
        name: getattr(telegram, name) for name in services.HEADER_FIELDS
    }
    # "，" not "、": the form splits 、 only between complete unit names (各省、自治区、直辖市总工会 is one).
    initial["addressees"] = "，".join(telegram.addressees)
    initial["cc"] = "，".join(telegram.cc)
    initial["received_at"] = timezone.localtime(telegram.received_at).strftime("%Y-%m-%dT%H:%M")
    form = CorrectionForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        changes = {k: v for k, v in form.cleaned_data.items() if k != "reason"}
        try:
            made = services.correct(telegram, changes, actor=request.user, reason=form.cleaned_data["reason"])
        except services.RegistrationError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            messages.success(request, f"已更正{len(made)}项" if made else "没有修改任何内容")
            return redirect("telegrams:detail", pk=telegram.pk)
    return render(request, "telegrams/correct_form.html", {"form": form, "t": telegram, "unit_names": _unit_names()})


@role_required(roles.CLERK)
@require_POST
def void(request, pk: int):
    telegram = telegram_for(request.user, pk)
    form = VoidForm(request.POST)
    if not form.is_valid():
        messages.error(request, "请填写作废原因。")
        return redirect("telegrams:detail", pk=pk)
    try:
        services.void(telegram, actor=request.user, reason=form.cleaned_data["reason"])
    except services.RegistrationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"{telegram.receipt_no} 已作废，收文号保留。")
    return redirect("telegrams:detail", pk=pk)


@login_required
def scan_download(request, pk: int, scan_id: int):
    telegram = telegram_for(request.user, pk)
    try:
        scan = telegram.scans.get(pk=scan_id)
    except Scan.DoesNotExist:
        from django.http import Http404

        raise Http404("扫描件不存在")
    content = scan.read()
    with transaction.atomic():
        record(request.user, "telegram.download_scan", scan,
               {"telegram": telegram.receipt_no, "file": scan.filename, "sha256": scan.sha256})
    response = HttpResponse(content, content_type=scan.content_type)
    response["Content-Disposition"] = f"inline; filename*=UTF-8''{_quote(scan.filename)}"
    response["Cache-Control"] = "no-store"
    return response


def _quote(name: str) -> str:
    from urllib.parse import quote

    return quote(name, safe="")
