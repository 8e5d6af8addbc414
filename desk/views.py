"""The clerk's desk: the register, the registration form and the telegram page. Thin: forms read input, actions
change state (their typed errors go back onto the form), access helpers scope every object."""
from __future__ import annotations

from urllib.parse import quote

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from annotations import actions as annotation_actions
from annotations.models import Annotation
from archive import presenting as archive_presenting
from archive.models import Archival
from audit.services import record
from core import keyset
from core.errors import ActionError, Duplicate
from core.mapping import add_to_form
from directory import roles, snapshot
from directory.access import role_required
from intake import actions as intake_actions
from intake import prefill
from intake import presenting as intake_presenting
from intake.forms import ScanUploadForm, TelegramForm
from intake.models import IntakeScan, IntakeState
from ocr import engine as ocr_engine
from reminders import records as reminder_records
from reminders.forms import RemindForm
from routing import actions as routing_actions
from routing import progress as routing_progress
from routing.access import delivery_for_proxy, delivery_for_unit
from routing.forms import CompleteForm
from routing.models import Handback, Role, UnknownUnit
from telegrams import actions as telegram_actions
from telegrams.access import telegram_for
from telegrams.filters import RegisterFilter
from telegrams.forms import AddScansForm, CorrectionForm, ReplyForm, ReturnForm, ReviewForm, VoidForm
from telegrams.inputs import HEADER_FIELDS
from telegrams.models import Scan, Telegram, TelegramReturn, TelegramState

from . import procedure, timeline

PAGE_SIZE = 50
REGISTER_KEYS = ("received_at", "id")  # the register's order, newest first (telegram_register_idx)
NEXT_SUBMIT = "next"  # the name of the 保存并登记下一件 button


def _unit_names() -> list[str]:
    return [u.name for u in snapshot.current().active]


@role_required(roles.CLERK, roles.LEADER, roles.ADMIN)
def register_list(request):
    qs = Telegram.objects.only(
        "id", "receipt_no", "precedence", "sender_unit_name", "title", "received_at", "state", "sender_doc_no"
    )
    f = RegisterFilter(request.GET, queryset=qs)
    f.confirm_on_page = True
    # Keyset pages (下一页/上一页 seek on received_at, id; page numbers jump): core/keyset.py.
    page = keyset.paginate(f.qs, request.GET, keys=REGISTER_KEYS, per_page=PAGE_SIZE, cap=settings.REGISTER_COUNT_CAP,
                           confirm=f.confirm)
    # Where each telegram of this page is (承办单位, 2/3 办结, nearest deadline): one query for the page's rows.
    progress = routing_progress.for_telegrams([t.pk for t in page], today=timezone.localdate())
    archive_nos = dict(Archival.objects.filter(telegram_id__in=[t.pk for t in page], revoked_at__isnull=True)
                       .values_list("telegram_id", "archive_no"))
    for t in page:
        t.progress = progress.get(t.pk)
        t.archive_no = archive_nos.get(t.pk, "")
    unknown = UnknownUnit.objects.filter(resolved_at__isnull=True).count() if roles.is_clerk(request.user) else 0
    handbacks = Handback.objects.filter(resolved_at__isnull=True).count() if roles.is_clerk(request.user) else 0
    return render(request, "telegrams/register.html", {
        "filter": f, "page": page, "query": page.query, "unknown_count": unknown, "handback_count": handbacks,
    })


def _held_scans(uids) -> tuple[list[IntakeScan], list[str]]:
    """The held scans a form names, in its order, and why any of them can no longer come with it."""
    if not uids:  # most forms hold none; building the query costs a millisecond even when it runs none
        return [], []
    found = {s.uid: s for s in IntakeScan.objects.filter(uid__in=uids).select_related("ocr_job", "telegram")}
    held, problems = [], []
    for uid in uids:
        scan = found.get(uid)
        if scan is None:
            problems.append("暂存的扫描件已不存在，请重新选择扫描件。")
        elif scan.state == IntakeState.REGISTERED:
            problems.append(f"扫描件“{scan.filename}”已登记为 {scan.telegram.receipt_no}，不能再次登记。")
        elif scan.state != IntakeState.WAITING:
            problems.append(f"扫描件“{scan.filename}”已{scan.get_state_display()}（{scan.reason}）。")
        else:
            held.append(scan)
    return held, problems


def _form_page(request, form: TelegramForm, *, held: list[IntakeScan], filled: prefill.Prefill | None = None,
               paste: prefill.PasteForm | None = None, **extra):
    """The registration form with everything around it: the scan being read beside it, the paste and OCR panels,
    the deadline it would get, the last telegram registered (after 保存并登记下一件)."""
    viewer = next((s for s in held if s.ocr_job_id), held[0] if held else None)
    values = {name: form[name].value() for name in ("precedence", "received_at", "instruction")}
    after = request.GET.get("after", "")
    last = Telegram.objects.filter(pk=int(after)).first() if after.isdigit() else None
    status = intake_presenting.status_of(viewer) if viewer else None
    return render(request, "telegrams/register_form.html", {
        "form": form, "unit_names": _unit_names(), "paste": paste or prefill.PasteForm(), "filled": filled,
        "held": held, "viewer": viewer, "viewer_status": status,
        "viewer_urls": intake_presenting.scan_urls(viewer) if viewer else None,
        "viewer_pages": range(1, (viewer.pages if viewer else 0) + 1),
        "ocr_available": ocr_engine.available(), "upload_form": ScanUploadForm(),
        "deadline": intake_presenting.deadline_preview(values), "last": last,
        "waiting_count": IntakeScan.objects.filter(state=IntakeState.WAITING).count(), **extra,
    })


def _held_uids(data) -> list:
    field = TelegramForm.base_fields["held"]
    try:
        return field.clean(data.getlist("held"))
    except forms.ValidationError:
        return []


@role_required(roles.CLERK)
def register_create(request):
    initial = {"received_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M")}
    if request.method == "POST" and prefill.PARSE_SUBMIT in request.POST:
        # 识别并填表 (no script): the text only fills the form; nothing is saved until the clerk presses 保存并编号.
        paste = prefill.PasteForm(request.POST, request.FILES)
        filled = paste.parse()
        held, _ = _held_scans(_held_uids(request.POST))
        form = TelegramForm(initial={**initial, **(filled.data if filled else {})})
        return _form_page(request, form, held=held, filled=filled, paste=paste)
    if request.method != "POST":
        held, problems = _held_scans(_held_uids(request.GET.copy() if "held" in request.GET else _scan_param(request)))
        with_ocr = next((s for s in held if s.ocr_job_id), None)
        filled = intake_presenting.read_prefill(with_ocr, actor=request.user) if with_ocr else None
        form = TelegramForm(initial={**initial, **(filled.data if filled else {})})
        for problem in problems:
            messages.error(request, problem)
        return _form_page(request, form, held=held, filled=filled)

    form = TelegramForm(request.POST, request.FILES, initial=initial)
    held, problems = _held_scans(_held_uids(request.POST))
    existing = None
    valid = form.is_valid()
    for problem in problems:
        form.add_error(None, problem)
    if valid and not problems:
        try:
            telegram = intake_actions.register(form.to_input(), actor=request.user, held=held)
        except telegram_actions.AlreadyRegistered as exc:  # the same submission again: show what it made
            messages.info(request, exc.message)
            return redirect("telegrams:detail", pk=exc.context["existing"])
        except ActionError as exc:
            add_to_form(form, exc)
            if isinstance(exc, Duplicate) and exc.context.get("existing"):
                existing = Telegram.objects.filter(pk=exc.context["existing"]).first()
        else:
            unknown = len(telegram.unknown_names)
            messages.success(request, f"已登记，收文号 {telegram.receipt_no}" + (
                f"；批办中有{unknown}个单位在机构目录中未找到，已列入“待处理单位”" if unknown else ""))
            if NEXT_SUBMIT in request.POST:  # 保存并登记下一件: a fresh form, the one just saved linked above it
                return redirect(f"{reverse('telegrams:create')}?after={telegram.pk}")
            return redirect("telegrams:detail", pk=telegram.pk)
    # Not saved: the scans chosen this time are kept (held) so the clerk need not choose them again.
    kept = []
    for upload in (form.cleaned_data.get("scans") or []) if "scans" not in form.errors else []:
        try:
            kept.append(intake_actions.hold(upload, actor=request.user))
        except ActionError as exc:
            form.add_error("scans", exc.message)
    return _form_page(request, form, held=held + kept, existing=existing, kept=kept)


def _scan_param(request):
    """?scan=<uid> (the OCR upload's page, a link from the waiting list) as a one-item query."""
    query = request.GET.copy()
    if "scan" in query:
        query.setlist("held", query.getlist("scan")[:1])
    return query


@login_required
def detail(request, pk: int):
    telegram = telegram_for(request.user, pk)
    body = telegram_actions.read_body(telegram, actor=request.user)
    # Read receipts of the unit's delivery and of the leader holding a 传阅 (未读 → 已读).
    routing_actions.note_opened(telegram, request.user)
    annotation_actions.note_opened(telegram, request.user)
    annotations = list(Annotation.objects.filter(telegram=telegram).select_related("author__person"))
    steps = procedure.build(telegram, request.user)
    return render(request, "telegrams/detail.html", {
        "t": telegram, "body": body,
        "changes": telegram.changes.filter(field__in=HEADER_FIELDS).select_related("by__person"),
        "scans": telegram.scans.all(), "deliveries": steps.deliveries, "events": timeline.steps(telegram, annotations),
        "annotations": annotations, "p": steps, "reminders": reminder_records.for_telegram(telegram, request.user),
        "remind_form": RemindForm(), "today": timezone.localdate(),
        "returned": TelegramReturn.objects.filter(telegram=telegram).select_related("returned_by__person").first(),
        "replies": list(telegram.replies.select_related("recorded_by__person")),
        "unknown_units": list(telegram.unknown_units.select_related("unit")) if roles.sees_register(request.user) else [],
        "can_edit": roles.is_clerk(request.user) and not telegram.is_void and telegram.state != TelegramState.ARCHIVED,
        "void_form": VoidForm(), "scans_form": AddScansForm(), "archive": archive_presenting.panel(telegram, request.user),
    })


# ------------------------------------------------------------------------------- 初审, 退文, 答复 (the clerk)


@role_required(roles.CLERK)
@require_POST
def review(request, pk: int):
    """初审 passed: 阅件 or 办件."""
    telegram = telegram_for(request.user, pk)
    form = ReviewForm(request.POST)
    try:
        if not form.is_valid():
            messages.error(request, "请选择阅件或办件。")
        else:
            reviewed = telegram_actions.review(telegram, kind=form.cleaned_data["kind"], actor=request.user)
            messages.success(request, f"初审完成：{reviewed.get_kind_display()}。")
    except ActionError as exc:
        messages.error(request, exc.message)
    return redirect("telegrams:detail", pk=pk)


@role_required(roles.CLERK)
def return_telegram(request, pk: int):
    """退文: the checklist of reasons and a note; the 退文告知单 prints from the telegram page afterwards."""
    telegram = telegram_for(request.user, pk)
    form = ReturnForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            routing_actions.return_telegram(telegram, form.to_input(), actor=request.user)
        except telegram_actions.AlreadyReturned as exc:
            messages.info(request, exc.message)
            return redirect("telegrams:detail", pk=pk)
        except ActionError as exc:
            add_to_form(form, exc)
        else:
            messages.success(request, f"{telegram.receipt_no} 已退文，收文号保留。请打印退文告知单。")
            return redirect("telegrams:detail", pk=pk)
    return render(request, "telegrams/return_form.html", {"t": telegram, "form": form})


@role_required(roles.CLERK)
def reply(request, pk: int):
    """答复: record the reply to the sender (or that none is needed); the telegram closes (已办毕)."""
    telegram = telegram_for(request.user, pk)
    person = getattr(request.user, "person", None)
    initial = {"replied_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
               "replied_by": person.full_name if person else ""}
    form = ReplyForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            telegram_actions.reply(telegram, form.to_input(), actor=request.user)
        except telegram_actions.AlreadyReplied as exc:
            messages.info(request, exc.message)
            return redirect("telegrams:detail", pk=pk)
        except ActionError as exc:
            add_to_form(form, exc)
        else:
            messages.success(request, f"{telegram.receipt_no} 已答复，办毕。")
            return redirect("telegrams:detail", pk=pk)
    deliveries = list(telegram.deliveries.select_related("unit").order_by("id"))
    return render(request, "telegrams/reply_form.html", {"t": telegram, "form": form, "deliveries": deliveries})


# ---------------------------------------------------------------------------------- 办结 (the unit, or 代登记)


@role_required(roles.STAFF, roles.CLERK)
def complete(request, pk: int):
    """办结: the unit's result and attachments, with the telegram and its 批示 in view. The clerk records it for a
    unit that has no account yet (代登记, only such units' deliveries are in the clerk's scope)."""
    proxy = not roles.is_unit_staff(request.user)
    delivery = delivery_for_proxy(request.user, pk) if proxy else delivery_for_unit(request.user, pk)
    telegram = telegram_for(request.user, delivery.telegram_id)
    form = CompleteForm(request.POST or None, request.FILES or None)
    if delivery.role != Role.LEAD:
        del form.fields["close"]
    if request.method == "POST" and form.is_valid():
        c = form.cleaned_data
        try:
            routing_actions.complete(delivery, actor=request.user, result=c["result"], close=c.get("close", False),
                                     files=c["files"], proxy=proxy)
        except ActionError as exc:
            add_to_form(form, exc)
        else:
            messages.success(request, f"{telegram.receipt_no} 已办结")
            return redirect("telegrams:detail", pk=telegram.pk) if proxy else redirect("routing:inbox")
    # Reading the body is audited: shown when the page is opened, not again on a refused submission.
    body = telegram_actions.read_body(telegram, actor=request.user) if request.method == "GET" else None
    return render(request, "telegrams/complete.html", {
        "d": delivery, "t": telegram, "form": form, "body": body, "proxy": proxy,
        "annotations": Annotation.objects.filter(telegram=telegram).select_related("author__person"),
    })


@role_required(roles.CLERK)
def correct(request, pk: int):
    telegram = telegram_for(request.user, pk)
    initial = {name: getattr(telegram, name) for name in HEADER_FIELDS}
    # "，" not "、": the form splits 、 only between complete unit names (各省、自治区、直辖市总工会 is one).
    initial["addressees"] = "，".join(telegram.addressees)
    initial["cc"] = "，".join(telegram.cc)
    initial["received_at"] = timezone.localtime(telegram.received_at).strftime("%Y-%m-%dT%H:%M")
    form = CorrectionForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        changes = {k: v for k, v in form.cleaned_data.items() if k != "reason"}
        try:
            made = telegram_actions.correct(telegram, changes, actor=request.user, reason=form.cleaned_data["reason"])
        except ActionError as exc:
            add_to_form(form, exc)
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
        telegram_actions.void(telegram, actor=request.user, reason=form.cleaned_data["reason"])
    except ActionError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"{telegram.receipt_no} 已作废，收文号保留。")
    return redirect("telegrams:detail", pk=pk)


@role_required(roles.CLERK)
@require_POST
def add_scans(request, pk: int):
    """补充扫描件: scans that arrived after the registration (a fax page, a clearer copy)."""
    telegram = telegram_for(request.user, pk)
    form = AddScansForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, " ".join(form.errors.get("scans", ["扫描件无法读取。"])))
        return redirect("telegrams:detail", pk=pk)
    try:
        done = telegram_actions.add_scans(telegram, form.cleaned_data["scans"], request.user)
    except ActionError as exc:
        messages.error(request, exc.message)
    else:
        same = len(done.scans) - len(done.added)
        text = f"已补充{len(done.added)}个扫描件" if done.added else "没有新的扫描件"
        messages.success(request, text + (f"；{same}个与本件已有扫描件相同，未重复保存" if same else "") + "。")
    return redirect("telegrams:detail", pk=pk)


@login_required
def scan_download(request, pk: int, scan_id: int):
    telegram = telegram_for(request.user, pk)
    try:
        scan = telegram.scans.get(pk=scan_id)
    except Scan.DoesNotExist:
        raise Http404("扫描件不存在")
    content = scan.read()
    with transaction.atomic():
        record(request.user, "telegram.download_scan", scan,
               {"telegram": telegram.receipt_no, "file": scan.filename, "sha256": scan.sha256})
    response = HttpResponse(content, content_type=scan.content_type)
    response["Content-Disposition"] = f"inline; filename*=UTF-8''{quote(scan.filename, safe='')}"
    response["Cache-Control"] = "no-store"
    return response
