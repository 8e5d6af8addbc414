"""Leader views: 待批示 inbox, writing / confirming / correcting a 批示. Thin: the actions decide and record."""
from __future__ import annotations

from datetime import timedelta

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.core.paginator import Paginator
from django.db.models import Exists, OuterRef, Q
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from core.errors import ActionError
from core.mapping import add_to_form
from directory import roles
from directory.access import role_required, staffed_units
from routing.models import Role
from telegrams.access import telegram_for
from telegrams.models import Telegram, TelegramState

from . import actions, drafts
from .forms import AnnotationForm, CirculationForm, CorrectionForm, ProposalForm
from .models import Annotation, CirculationStep, ReadRequest

PAGE_SIZE = 50


def age_text(delta: timedelta) -> str:
    """How long a telegram has waited, the way the office says it: 15分钟, 3小时, 1天5小时, 12天."""
    minutes = max(int(delta.total_seconds() // 60), 0)
    if minutes < 1:
        return "刚刚"
    if minutes < 60:
        return f"{minutes}分钟"
    hours = minutes // 60
    if hours < 24:
        return f"{hours}小时"
    days, hours = divmod(hours, 24)
    if days < 7 and hours:
        return f"{days}天{hours}小时"
    return f"{days}天"


@role_required(roles.LEADER)
def inbox(request):
    """Waiting for a 批示: registered with no 批办 and no 批示 yet, plus those a 批示 asked this leader to 阅示 and
    those a 传阅 put in this leader's hands."""
    user = request.user
    asked = ReadRequest.objects.filter(telegram=OuterRef("pk"), leader=user, done_at__isnull=True)
    annotated = Annotation.objects.filter(telegram=OuterRef("pk"))
    holding = CirculationStep.objects.filter(circulation__telegram=OuterRef("pk"), circulation__finished_at__isnull=True,
                                             leader=user, received_at__isnull=False, passed_at__isnull=True)
    qs = (
        Telegram.objects.annotate(asked=Exists(asked), annotated=Exists(annotated), holding=Exists(holding))
        .filter(Q(asked=True) | Q(holding=True) | Q(state=TelegramState.REGISTERED, annotated=False))
        .exclude(state__in=[TelegramState.VOID, TelegramState.RETURNED])
        .only("id", "receipt_no", "precedence", "sender_unit_name", "title", "received_at", "proposal", "state")
        .order_by("precedence_rank", "received_at", "id")
    )
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    rows = list(page)
    requests = {
        r.telegram_id: r
        for r in ReadRequest.objects.filter(telegram__in=rows, leader=user, done_at__isnull=True)
        .select_related("requested_by__person")
    }
    held = {
        s.circulation.telegram_id: s for s in CirculationStep.objects.filter(
            circulation__telegram__in=rows, circulation__finished_at__isnull=True, leader=user,
            received_at__isnull=False, passed_at__isnull=True).select_related("circulation__started_by__person")
    }
    now = timezone.now()
    for t in rows:
        t.age = age_text(now - t.received_at)
        t.read_request = requests.get(t.pk)
        t.held = held.get(t.pk)
    return render(request, "annotations/inbox.html", {"page": page, "rows": rows})


@role_required(roles.LEADER)
@require_POST
def write(request, pk: int):
    telegram = telegram_for(request.user, pk)
    return _submit(request, telegram, AnnotationForm(request.POST), previous=None)


@role_required(roles.LEADER)
@require_POST
def correct(request, pk: int):
    previous = Annotation.objects.filter(pk=pk, author=request.user).first()
    if previous is None:
        raise Http404("批示不存在或不是您的批示")
    telegram = telegram_for(request.user, previous.telegram_id)
    if previous.superseded:
        messages.error(request, "该批示已经更正过，请更正最新版本。")
        return redirect("telegrams:detail", pk=telegram.pk)
    return _submit(request, telegram, CorrectionForm(request.POST), previous=previous)


def _submit(request, telegram: Telegram, form, previous: Annotation | None):
    """Parse → show what the 批示 will do → on confirmation (of exactly what was shown) save it."""
    if not form.is_valid():
        return _page(request, telegram, form, previous)
    text = form.cleaned_data["text"]
    if actions.saved_by(form.cleaned_data["submission"]):  # sent again after it was saved: a double click, a retry
        messages.info(request, actions.AlreadyAnnotated.message_text)
        return redirect("telegrams:detail", pk=telegram.pk)
    try:
        draft = drafts.prepare(telegram, text, actor=request.user)
    except ActionError as exc:
        add_to_form(form, exc)
        return _page(request, telegram, form, previous)
    if draft.needs_confirmation:
        confirmed = request.POST.get("action") == "confirm"
        if not (confirmed and draft.ok and request.POST.get("fingerprint") == draft.fingerprint):
            changed = confirmed and draft.ok  # the text was edited (or the directory changed) since it was shown
            return _page(request, telegram, form, previous, draft, changed=changed)
    key = form.cleaned_data["submission"]
    try:
        if previous is not None:
            actions.correct(previous, text, request.user, form.cleaned_data["reason"], plan=draft.plan, submission_key=key)
        else:
            actions.annotate(telegram, text, request.user, draft.plan, submission_key=key)
    except actions.AlreadyAnnotated as exc:  # the same submission again (double click, retry): saved once
        messages.info(request, exc.message)
        return redirect("telegrams:detail", pk=telegram.pk)
    except ActionError as exc:
        form.add_error(None, exc.message)
        return _page(request, telegram, form, previous)
    messages.success(request, _done_message(draft, previous))
    return redirect("telegrams:detail", pk=telegram.pk)


def _done_message(draft: drafts.Draft, previous: Annotation | None) -> str:
    parts = ["批示已更正（原批示保留）" if previous else "批示已保存"]
    if draft.new_routes:
        parts.append("正在分送：" + "、".join(f"{r['unit']}（{Role(r['role']).label}）" for r in draft.new_routes))
    if draft.plan.archive and not draft.plan.routes:
        parts.append("已归档")
    if draft.readers:
        parts.append("已请" + "、".join(drafts.signature(u) for u in draft.readers) + "阅示")
    return "，".join(parts) + "。"


def _page(request, telegram: Telegram, form, previous: Annotation | None, draft: drafts.Draft | None = None,
          *, changed: bool = False):
    """The 核对批示 page: the editable text, and what it resolved to; confirming is offered only when every
    unit and leader it names was found."""
    routes = []
    unknown_units = []
    unstaffed = []
    if draft is not None:
        routes = [{"unit": r["unit"], "role": Role(r["role"]).label, "sent": False} for r in draft.new_routes]
        routes += [{"unit": r["unit"], "role": Role(r["role"]).label, "sent": True} for r in draft.already_routed]
        unknown_units = [(n, draft.plan.suggestions.get(n, [])) for n in draft.plan.unknown]
        # Units nobody can sign for yet: the clerk will sign for them (代签收).
        staffed = staffed_units([r["unit_id"] for r in draft.new_routes])
        unstaffed = [r["unit"] for r in draft.new_routes if r["unit_id"] not in staffed]
    action = (reverse("annotations:correct", args=[previous.pk]) if previous is not None
              else reverse("annotations:write", args=[telegram.pk]))
    return render(request, "annotations/confirm.html", {
        "t": telegram, "form": form, "draft": draft, "previous": previous, "action": action,
        "routes": routes, "unknown_units": unknown_units, "changed": changed, "unstaffed": unstaffed,
        "readers": [drafts.signature(u) for u in draft.readers] if draft else [],
    })


# ------------------------------------------------------------------------------------------ 拟办, 同意拟办


@role_required(roles.CLERK)
def propose(request, pk: int):
    """拟办: the office's proposal, checked against the directory (a leader may approve it as it stands)."""
    telegram = telegram_for(request.user, pk)
    form = ProposalForm(request.POST or None, initial={"proposal": telegram.proposal})
    if request.method == "POST" and form.is_valid():
        try:
            actions.propose(telegram, form.cleaned_data["proposal"], actor=request.user)
        except ActionError as exc:
            add_to_form(form, exc)
        else:
            messages.success(request, "拟办意见已保存。")
            return redirect("telegrams:detail", pk=telegram.pk)
    return render(request, "annotations/propose.html", {"t": telegram, "form": form})


@role_required(roles.LEADER)
@require_POST
def approve(request, pk: int):
    """同意拟办 in one click: routes exactly the proposal the leader saw (its fingerprint is posted back)."""
    telegram = telegram_for(request.user, pk)
    plan = actions.proposal_routes(telegram)
    try:
        actions.approve_proposal(telegram, actor=request.user, fingerprint=request.POST.get("fingerprint", ""),
                                              submission_key=request.POST.get("submission", "")[:64])
    except actions.AlreadyAnnotated as exc:
        messages.info(request, exc.message)
    except ActionError as exc:
        messages.error(request, exc.message)
    else:
        units = "、".join(f"{r['unit']}（{Role(r['role']).label}）" for r in plan.routes) if plan else ""
        messages.success(request, "已同意拟办" + (f"，按拟办分送：{units}" if units else "") + "。")
    return redirect("telegrams:detail", pk=telegram.pk)


# ------------------------------------------------------------------------------------------ 传阅 among leaders


def _leaders():
    return list(get_user_model().objects.filter(groups__name=roles.LEADER, is_active=True).select_related("person")
                .order_by("person__full_name", "username").distinct())


@role_required(roles.CLERK, roles.LEADER)
@require_POST
def circulate(request, pk: int):
    telegram = telegram_for(request.user, pk)
    form = CirculationForm(request.POST, leaders=_leaders())
    if not form.is_valid():
        messages.error(request, "请按顺序选择传阅的领导。")
        return redirect("telegrams:detail", pk=pk)
    leaders = form.ordered_leaders()
    try:
        actions.circulate(telegram, leaders, actor=request.user, submission_key=form.cleaned_data["submission"])
    except actions.AlreadyCirculated as exc:
        messages.info(request, exc.message)
    except ActionError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "已发起传阅：" + " → ".join(drafts.signature(u) for u in leaders) + "。")
    return redirect("telegrams:detail", pk=pk)


@role_required(roles.LEADER)
@require_POST
def pass_on(request, pk: int):
    telegram = telegram_for(request.user, pk)
    try:
        step = actions.pass_on(telegram, actor=request.user)
    except ActionError as exc:
        messages.error(request, exc.message)
    else:
        following = CirculationStep.objects.filter(circulation_id=step.circulation_id, position=step.position + 1).first()
        messages.success(request, f"已阅，传{following.leader_name}。" if following else "已阅，传阅完毕。")
    return redirect("telegrams:detail", pk=pk)
