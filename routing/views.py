from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from alarms.models import Kind
from alarms.services import open_alarms
from directory import roles
from telegram_office.csv_stream import rows_as_csv
from telegrams.access import role_required, unit_id_of

from . import services, stalls
from .access import delivery_for_unit
from .filters import HistoryFilter
from .models import Delivery, DeliveryState, RoutingEvent

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
        services.sign(delivery, actor=request.user)
    except services.RoutingError as exc:
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
            services.complete(delivery, actor=request.user, result=request.POST.get("result", ""),
                              close=request.POST.get("close") == "1")
        except services.RoutingError as exc:
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
    labels = dict(DeliveryState.choices)
    header = ["时间", "收文号", "等级", "来电单位", "标题", "单位", "原状态", "新状态", "操作人", "说明"]

    def rows():
        for e in f.qs.iterator(chunk_size=2000):
            yield [
                timezone.localtime(e.at).strftime("%Y-%m-%d %H:%M:%S"), e.telegram.receipt_no, e.telegram.precedence,
                e.telegram.sender_unit_name, e.telegram.title, e.delivery.unit.name if e.delivery else "",
                labels.get(e.from_state, e.from_state), labels.get(e.to_state, e.to_state),
                e.actor.person.full_name if e.actor and hasattr(e.actor, "person") else ("系统" if not e.actor else e.actor.username),
                e.note,
            ]

    # Names, titles and notes come from outside (a sender's title "=cmd|…"): guarded against formula injection.
    response = StreamingHttpResponse(rows_as_csv(header, rows(), guard_formulas=True), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = "attachment; filename=routing-history.csv"
    return response
