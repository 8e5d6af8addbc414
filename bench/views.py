"""The `register` benchmark's baseline: a bare Django view on the same stack (gunicorn, every middleware,
session and CSRF check) that inserts one row of the same size as the clerk's form post."""
from django.db import connection
from django.http import HttpResponse
from django.views.decorators.http import require_POST

TABLE = "bench_blob"
CREATE = f"CREATE TABLE IF NOT EXISTS {TABLE} (id bigserial PRIMARY KEY, body text NOT NULL, at timestamptz NOT NULL)"


@require_POST
def insert_row(request):
    with connection.cursor() as cur:
        cur.execute(f"INSERT INTO {TABLE} (body, at) VALUES (%s, now())", [request.POST["body"]])
    return HttpResponse(status=204)


def register_floor(request):
    """The register list's floor (bench/search_bench.py): the register's own template rendering 50 telegrams
    selected by primary-key range — no filter, no count, no per-row progress."""
    from django.shortcuts import render

    from core.keyset import KeysetPage
    from telegrams.filters import RegisterFilter
    from telegrams.models import Telegram

    start = int(request.GET.get("from", "0"))
    rows = list(Telegram.objects.only(
        "id", "receipt_no", "precedence", "sender_unit_name", "title", "received_at", "state", "sender_doc_no",
    ).filter(pk__gt=start, pk__lte=start + 50).order_by("-pk"))
    page = KeysetPage(object_list=rows, number=1, per_page=50, has_next=False, has_previous=False, next_cursor="",
                      previous_cursor="", query="", count=len(rows), exact=True)
    return render(request, "telegrams/register.html", {"filter": RegisterFilter(None), "page": page, "query": ""})


def audit_floor(request):
    """The audit log's floor: its template rendering 50 entries selected by seq range."""
    from django.shortcuts import render

    from audit import catalog
    from audit.catalog import ACTION_LABELS, action_label
    from audit.models import AuditEntry
    from auditlog.filters import AuditFilter
    from core.keyset import KeysetPage

    start = int(request.GET.get("from", "0"))
    rows = list(AuditEntry.objects.select_related("actor").filter(seq__gt=start, seq__lte=start + 50).order_by("-seq"))
    catalog.describe(rows)
    for e in rows:
        e.label = action_label(e.action)
        e.fields = catalog.data_fields(e.data, e.object_type)
    page = KeysetPage(object_list=rows, number=1, per_page=50, has_next=False, has_previous=False, next_cursor="",
                      previous_cursor="", query="", count=len(rows), exact=True)
    return render(request, "audit/log.html", {"filter": AuditFilter(None), "page": page, "query": "",
                                              "actions": ACTION_LABELS.items(), "alarms": []})


def history_floor(request):
    """The routing history's floor: its template rendering 100 events selected by primary-key range."""
    from django.shortcuts import render

    from core.keyset import KeysetPage
    from routing.filters import HistoryFilter
    from routing.models import RoutingEvent

    start = int(request.GET.get("from", "0"))
    rows = list(RoutingEvent.objects.select_related("telegram", "delivery__unit", "actor__person")
                .filter(pk__gt=start, pk__lte=start + 100).order_by("-pk"))
    for e in rows:
        e.result = ""
    page = KeysetPage(object_list=rows, number=1, per_page=100, has_next=False, has_previous=False, next_cursor="",
                      previous_cursor="", query="", count=len(rows), exact=True)
    return render(request, "routing/history.html", {"filter": HistoryFilter(None), "page": page, "query": "",
                                                    "alarms": []})
