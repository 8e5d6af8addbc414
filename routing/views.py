from __future__ import annotations

from urllib.parse import quote

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Prefetch
from django.http import Http404, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from alarms.models import Kind
from alarms.services import open_alarms
from audit.services import record
from core import keyset
from core.csv_stream import rows_as_csv
from core.errors import ActionError
from core.mapping import add_to_form
from directory import roles
from directory.access import role_required, unit_id_of
from directory.models import Unit
from telegrams.access import telegram_for

from . import actions, stalls
from .access import delivery_for_clerk, delivery_for_proxy, delivery_for_unit, result_file_for
from .filters import HistoryFilter
from .forms import CirculateForm, DeadlineForm, HandBackForm, RerouteForm, TransferForm
from .models import Delivery, DeliveryState, Handback, ResultFile, Role, RoutingEvent, Subject, UnknownUnit

TABS = {
    "todo": ("待签收", [DeliveryState.DELIVERED]),
    "doing": ("办理中", [DeliveryState.SIGNED]),
    "done": ("已办结", [DeliveryState.DONE, DeliveryState.READ]),
}


@role_required(roles.STAFF)
def inbox(request):
    tab = request.GET.get("tab", "todo")
    if tab not in TABS:
        tab = "todo"
    unit_id = unit_id_of(request.user)
    base = Delivery.objects.filter(unit_id=unit_id).select_related("telegram", "unit")
    counts = {key: base.filter(state__in=states).count() for key, (_, states) in TABS.items()}
    qs = base.filter(state__in=TABS[tab][1])
    qs = qs.order_by("-done_at") if tab == "done" else qs.order_by("precedence_rank", "deadline", "delivered_at")
    if tab == "done":  # the unit's own results and attachments
        qs = qs.prefetch_related(Prefetch("files", queryset=ResultFile.objects.order_by("id")))
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    return render(request, "routing/inbox.html", {
        "tabs": [(key, label, counts[key]) for key, (label, _) in TABS.items()], "tab": tab, "page": page,
        "today": timezone.localdate(),
    })


@role_required(roles.STAFF)
@require_POST
def sign(request, pk: int):
    delivery = delivery_for_unit(request.user, pk)
    try:
        actions.sign(delivery, actor=request.user)
    except ActionError as exc:
        messages.error(request, exc.message)
    else:
        done = "已阅" if delivery.role == Role.READ else "已签收"
        messages.success(request, f"{done} {delivery.telegram.receipt_no}")
    return _back(request, "routing:inbox")


def _back(request, default: str, *args):
    """Back to where the form was (the inbox or the telegram page): only a path on this site ("//evil.example"
    also starts with "/")."""
    target = request.POST.get("next", "")
    safe = target.startswith("/") and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()})
    return redirect(target) if safe else redirect(default, *args)


@role_required(roles.CLERK)
@require_POST
def proxy_sign(request, pk: int):
    """代签收: the clerk signs for a unit that has no account yet."""
    delivery = delivery_for_proxy(request.user, pk)
    try:
        actions.sign(delivery, actor=request.user, proxy=True)
    except ActionError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"已为{delivery.unit.name}代签收 {delivery.telegram.receipt_no}")
    return redirect("telegrams:detail", pk=delivery.telegram_id)


@role_required(roles.CLERK)
@require_POST
def change_deadline(request, pk: int):
    """The clerk moves one delivery's deadline, with a reason (the form sits on the telegram page)."""
    delivery = delivery_for_clerk(request.user, pk)
    form = DeadlineForm(request.POST)
    if not form.is_valid():
        messages.error(request, "；".join(e for errors in form.errors.values() for e in errors))
    else:
        try:
            actions.change_deadline(delivery, deadline=form.cleaned_data["deadline"],
                                    reason=form.cleaned_data["reason"], actor=request.user)
        except ActionError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, f"{delivery.unit.name}的办结期限已改为{form.cleaned_data['deadline']:%Y-%m-%d}。")
    return redirect(f"{reverse('telegrams:detail', args=[delivery.telegram_id])}#deliveries-panel")


@role_required(roles.STAFF)
def hand_back(request, pk: int):
    """退回: the unit sends back a telegram routed to it by mistake, saying why."""
    delivery = delivery_for_unit(request.user, pk)
    form = HandBackForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            actions.hand_back(delivery, actor=request.user, reason=form.cleaned_data["reason"])
        except ActionError as exc:
            add_to_form(form, exc)
        else:
            messages.success(request, f"已退回 {delivery.telegram.receipt_no}，机要室将重新分送。")
            return redirect("routing:inbox")
    return render(request, "routing/hand_back.html", {"d": delivery, "form": form})


@role_required(roles.STAFF)
def transfer(request, pk: int):
    """转办: the unit passes its delivery on to another unit, its leader agreeing."""
    delivery = delivery_for_unit(request.user, pk)
    form = TransferForm(request.POST or None)
    form.fields["to_unit"].queryset = form.fields["to_unit"].queryset.exclude(pk=delivery.unit_id)
    if request.method == "POST" and form.is_valid():
        c = form.cleaned_data
        try:
            actions.transfer(delivery, actor=request.user, to_unit=c["to_unit"], reason=c["reason"],
                             approved_by=c["approved_by"])
        except ActionError as exc:
            add_to_form(form, exc)
        else:
            messages.success(request, f"已将 {delivery.telegram.receipt_no} 转办{c['to_unit'].name}。")
            return redirect("routing:inbox")
    return render(request, "routing/transfer.html", {"d": delivery, "form": form})


@role_required(roles.CLERK, roles.LEADER)
@require_POST
def resolve_handback(request, pk: int):
    """The clerk or a leader routes a 退回 on to the right unit, or decides no other unit needs it."""
    handback = Handback.objects.select_related("delivery__unit", "delivery__telegram").filter(pk=pk).first()
    if handback is None:
        raise Http404("退回记录不存在")
    form = RerouteForm(request.POST)
    telegram_id = handback.delivery.telegram_id
    if not form.is_valid():
        messages.error(request, "请选择一个启用的单位。")
        return _back(request, "telegrams:detail", telegram_id)
    try:
        if request.POST.get("action") == "settle":
            actions.settle_handback(handback, actor=request.user, note=form.cleaned_data["note"])
            messages.success(request, f"{handback.delivery.unit.name}的退回已处理：不再分送。")
        else:
            unit = form.cleaned_data["unit"]
            actions.reroute(handback, unit=unit, actor=request.user)
            messages.success(request, f"已改送{unit.name}。")
    except ActionError as exc:
        messages.error(request, exc.message)
    return _back(request, "telegrams:detail", telegram_id)


@role_required(roles.CLERK)
@require_POST
def circulate(request, pk: int):
    """传阅 a 阅件 to units (each reads it and marks it 已阅)."""
    telegram = telegram_for(request.user, pk)
    form = CirculateForm(request.POST)
    if not form.is_valid():
        messages.error(request, next(iter(form.errors.get("units", ["请选择传阅的单位。"]))))
        return redirect("telegrams:detail", pk=pk)
    try:
        actions.circulate(telegram, units=form.cleaned_data["units"], actor=request.user)
    except ActionError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "已传阅：" + "、".join(u.name for u in form.cleaned_data["units"]))
    return redirect("telegrams:detail", pk=pk)


@login_required
def result_file(request, pk: int):
    """An attachment to a 办理结果: the clerk, leaders, admins and the unit itself (others: 404). Audited."""
    item = result_file_for(request.user, pk)
    telegram_for(request.user, item.delivery.telegram_id)  # and the telegram itself is in scope
    content = item.read()
    with transaction.atomic():
        record(request.user, "routing.download_file", item, {
            "telegram": item.delivery.telegram.receipt_no, "unit": item.delivery.unit.name, "file": item.filename,
            "sha256": item.sha256,
        })
    response = HttpResponse(content, content_type="application/octet-stream")
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(item.filename, safe='')}"
    response["Cache-Control"] = "no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


HISTORY_PAGE_SIZE = 100


def _history_qs(request):
    qs = RoutingEvent.objects.select_related("telegram", "delivery__unit", "actor__person").order_by("-at", "-id")
    return HistoryFilter(request.GET, queryset=qs)


def _result_of(event: RoutingEvent) -> str:
    """The unit's 办理结果 on the event that recorded its 办结 (the history is for admins, who may see it)."""
    if event.subject == Subject.DELIVERY and event.to_state == DeliveryState.DONE and event.delivery is not None:
        return event.delivery.result
    return ""


@role_required(roles.ADMIN)
def history(request):
    f = _history_qs(request)
    stalls.check()  # also when beat is down: the page that shows the alarm finds it itself
    page = keyset.paginate(f.qs, request.GET, keys=("at", "id"), per_page=HISTORY_PAGE_SIZE, cap=settings.REGISTER_COUNT_CAP)
    for e in page:
        e.result = _result_of(e)
    return render(request, "routing/history.html", {
        "filter": f, "page": page, "query": page.query, "alarms": open_alarms(Kind.ROUTING),
    })


@role_required(roles.ADMIN)
def history_csv(request):
    f = _history_qs(request)
    header = ["时间", "收文号", "等级", "来电单位", "标题", "单位", "原状态", "新状态", "操作人", "说明", "办理结果"]

    def rows():
        for e in f.qs.iterator(chunk_size=2000):
            yield [
                timezone.localtime(e.at).strftime("%Y-%m-%d %H:%M:%S"), e.telegram.receipt_no, e.telegram.precedence,
                e.telegram.sender_unit_name, e.telegram.title, e.delivery.unit.name if e.delivery else "",
                e.from_label, e.to_label,
                e.actor.person.full_name if e.actor and hasattr(e.actor, "person") else ("系统" if not e.actor else e.actor.username),
                e.note, _result_of(e),
            ]

    # Names, titles and notes come from outside (a sender's title "=cmd|…"): guarded against formula injection.
    response = StreamingHttpResponse(rows_as_csv(header, rows(), guard_formulas=True), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = "attachment; filename=routing-history.csv"
    return response


# ------------------------------------------------------------------------- 待处理单位 (the clerk's list)


@role_required(roles.CLERK)
def unknown_units(request):
    """Names a 批办 used that the directory lacked when the telegram was registered: route each to a unit or set
    it aside. A name the directory knows by now is offered as the first choice."""
    show = request.GET.get("show", "open")
    qs = UnknownUnit.objects.select_related("telegram", "unit", "resolved_by__person").order_by("created_at", "id")
    qs = qs.filter(resolved_at__isnull=True) if show != "done" else qs.filter(resolved_at__isnull=False).order_by("-resolved_at")
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    units = list(Unit.objects.filter(active=True).order_by("name").values_list("pk", "name"))
    by_name = {name: pk for pk, name in units}
    for item in page:
        item.known_id = by_name.get(item.name) or next((by_name.get(s) for s in item.suggestions if s in by_name), None)
    handbacks = list(Handback.objects.filter(resolved_at__isnull=True).select_related(
        "delivery__unit", "delivery__telegram", "by__person").order_by("at", "id")) if show != "done" else []
    return render(request, "routing/unknown_units.html", {
        "page": page, "show": "done" if show == "done" else "open", "units": units, "roles": Role.choices,
        "open_count": UnknownUnit.objects.filter(resolved_at__isnull=True).count() + len(handbacks),
        "handbacks": handbacks, "reroute_form": RerouteForm(),
    })


@role_required(roles.CLERK)
@require_POST
def resolve_unknown(request, pk: int):
    item = UnknownUnit.objects.filter(pk=pk).first()
    if item is None:
        raise Http404("待处理单位不存在")
    try:
        if request.POST.get("action") == "set_aside":
            actions.set_aside_unknown(item, actor=request.user, note=request.POST.get("note", ""))
            messages.success(request, f"“{item.name}”已标记为不分送。")
        else:
            unit = Unit.objects.filter(pk=request.POST.get("unit") or 0).first() if (request.POST.get("unit") or "").isdigit() else None
            actions.route_unknown(item, unit=unit, role=request.POST.get("role", Role.HANDLE), actor=request.user)
            messages.success(request, f"“{item.name}”已分送给{unit.name}。")
    except ActionError as exc:
        messages.error(request, exc.message)
    return redirect("routing:unknown_units")
