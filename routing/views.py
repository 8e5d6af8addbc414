from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from alarms.models import Kind
from alarms.services import open_alarms
from core.csv_stream import rows_as_csv
from core.errors import ActionError
from directory import roles
from directory.access import role_required, unit_id_of
from directory.models import Unit

from . import actions, stalls
from .access import delivery_for_unit
from .filters import HistoryFilter
from .models import Delivery, DeliveryState, Role, RoutingEvent, UnknownUnit

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
        messages.success(request, f"已签收 {delivery.telegram.receipt_no}")
    # Only a path on this site: "//evil.example" also starts with "/".
    target = request.POST.get("next", "")
    safe = target.startswith("/") and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()})
    return redirect(target if safe else "routing:inbox")


@role_required(roles.STAFF)
def complete(request, pk: int):
    delivery = delivery_for_unit(request.user, pk)
    error = None
    if request.method == "POST":
        try:
            actions.complete(delivery, actor=request.user, result=request.POST.get("result", ""),
                             close=request.POST.get("close") == "1")
        except ActionError as exc:
            error = exc.message
        else:
            messages.success(request, f"{delivery.telegram.receipt_no} 已办结")
            return redirect("routing:inbox")
    return render(request, "routing/complete.html", {
        "d": delivery, "error": error, "result": request.POST.get("result", ""),
    })


def _history_qs(request):
    qs = RoutingEvent.objects.select_related("telegram", "delivery__unit", "actor__person").order_by("-at", "-id")
    return HistoryFilter(request.GET, queryset=qs)


@role_required(roles.ADMIN)
def history(request):
    f = _history_qs(request)
    stalls.check()  # also when beat is down: the page that shows the alarm finds it itself
    page = Paginator(f.qs, 100).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "routing/history.html", {
        "filter": f, "page": page, "query": query.urlencode(), "alarms": open_alarms(Kind.ROUTING),
    })


@role_required(roles.ADMIN)
def history_csv(request):
    f = _history_qs(request)
    header = ["时间", "收文号", "等级", "来电单位", "标题", "单位", "原状态", "新状态", "操作人", "说明"]

    def rows():
        for e in f.qs.iterator(chunk_size=2000):
            yield [
                timezone.localtime(e.at).strftime("%Y-%m-%d %H:%M:%S"), e.telegram.receipt_no, e.telegram.precedence,
                e.telegram.sender_unit_name, e.telegram.title, e.delivery.unit.name if e.delivery else "",
                e.from_label, e.to_label,
                e.actor.person.full_name if e.actor and hasattr(e.actor, "person") else ("系统" if not e.actor else e.actor.username),
                e.note,
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
    return render(request, "routing/unknown_units.html", {
        "page": page, "show": "done" if show == "done" else "open", "units": units, "roles": Role.choices,
        "open_count": UnknownUnit.objects.filter(resolved_at__isnull=True).count(),
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
