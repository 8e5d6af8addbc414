"""逾期与催办: the overdue list for the clerk (with the 催办 button), leaders and admins (read only), and the
clerk's 催办 itself. Thin: the form reads input, reminders.actions acts."""
from __future__ import annotations

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from core.errors import ActionError
from core.forms import new_token
from directory import roles
from directory.access import role_required
from routing.access import delivery_for_clerk

from . import actions
from .forms import OverdueFilterForm, RemindForm
from .overdue import overdue_by_unit


@role_required(roles.CLERK, roles.LEADER, roles.ADMIN)
def overdue(request):
    today = timezone.localdate()
    form = OverdueFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    unit = filters.get("unit")
    groups = overdue_by_unit(today, unit_id=unit.pk if unit else None, min_days=filters.get("min_days") or 0,
                             precedence=filters.get("precedence") or "", now=timezone.now())
    for g in groups:
        for d in g.rows:
            d.token = new_token()  # one 催办 per submission, whatever a double click sends
    return render(request, "reminders/overdue.html", {
        "groups": groups, "filter_form": form, "today": today, "total": sum(len(g.rows) for g in groups),
        "can_remind": roles.is_clerk(request.user), "remind_form": RemindForm(),
    })


@role_required(roles.CLERK)
@require_POST
def remind(request, pk: int):
    delivery = delivery_for_clerk(request.user, pk)
    form = RemindForm(request.POST)
    if not form.is_valid():
        messages.error(request, "；".join(e for errors in form.errors.values() for e in errors))
    else:
        try:
            actions.remind(delivery, actor=request.user, note=form.cleaned_data["note"], token=form.cleaned_data["token"])
        except ActionError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, f"已向{delivery.unit.name}催办 {delivery.telegram.receipt_no}。")
    back = request.POST.get("next", "")
    if back and url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}) and back.startswith("/"):
        return redirect(back)
    return redirect("reminders:overdue")
