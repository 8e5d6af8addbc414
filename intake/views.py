"""The desk's intake endpoints: a scan uploaded for OCR, its progress and what it read (JSON for the registration
form's script, pages without it), the scan itself for the viewer beside the form, the list of scans waiting to be
registered, a pasted text parsed in place, and the deadline a registration would get. Clerks only; the registration
form itself is desk's (it shows several apps)."""
from __future__ import annotations

import io
from urllib.parse import quote

from django.conf import settings
from django.contrib import messages
from django.db import transaction
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from audit.services import record
from core.errors import ActionError, InvalidInput
from directory import roles
from directory.access import role_required
from ocr import engine as ocr_engine

from . import actions, prefill
from .models import IntakeScan, IntakeState
from .presenting import deadline_preview, read_prefill, scan_urls, status_of

PREVIEW_DPI = 110  # a PDF page for the viewer: readable beside the form, a fraction of OCR's 200 dpi


def _scan_for(uid) -> IntakeScan:
    return get_object_or_404(IntakeScan.objects.select_related("ocr_job"), uid=uid)


def _wants_json(request) -> bool:
    return "application/json" in request.headers.get("Accept", "")


@role_required(roles.CLERK)
@require_POST
def upload(request):
    """上传并识别: the scan becomes an OCR job; the page (or the script) then watches it beside the form."""
    file = request.FILES.get("scan")
    try:
        if file is None:
            raise InvalidInput("请选择要识别的扫描件（PDF、JPEG 或 PNG，手机照片亦可）。", field="scan")
        if file.size > settings.SCAN_MAX_BYTES:  # before reading it into memory
            raise InvalidInput(f"扫描件超过{settings.SCAN_MAX_BYTES // (1024 * 1024)}MB，请压缩后再上传。", field="scan")
        scan = actions.receive(file.name, file.read(), actor=request.user)
    except ActionError as exc:
        if _wants_json(request):
            return JsonResponse({"error": exc.message, "code": exc.code}, status=exc.status)
        messages.error(request, exc.message)
        return redirect("telegrams:create")
    if _wants_json(request):
        return JsonResponse({"uid": str(scan.uid), "filename": scan.filename, "content_type": scan.content_type,
                             "urls": scan_urls(scan), "status": status_of(scan)}, status=201)
    return redirect(scan_urls(scan)["form"])


@role_required(roles.CLERK)
@require_GET
@never_cache
def scan_status(request, uid):
    """Polled by the form's script every second or two: one indexed query, a few hundred bytes."""
    row = (IntakeScan.objects.filter(uid=uid).select_related("ocr_job")
           .only("uid", "state", "content_type", "ocr_job__state", "ocr_job__page", "ocr_job__pages",
                 "ocr_job__error", "ocr_job__mean_confidence").first())
    if row is None:
        raise Http404("扫描件不存在")
    return JsonResponse({**status_of(row), "intake": row.state})


@role_required(roles.CLERK)
@require_GET
@never_cache
def scan_prefill(request, uid):
    scan = _scan_for(uid)
    filled = read_prefill(scan, actor=request.user)
    if filled is None:
        status = status_of(scan)
        message = ("未能从扫描件中读出电报内容，请对照扫描件手工填写。" if status["ok"] else f"识别尚未完成：{status['progress']}")
        return JsonResponse({"error": message, "status": status}, status=409)
    return JsonResponse({**filled.as_json(), "deadline": deadline_preview(filled.data)})


def _render_pdf_page(content: bytes, page: int) -> bytes | None:
    """One PDF page as PNG for the viewer (pypdfium2, from the OCR extra); None without it or past the end."""
    if not ocr_engine.available():
        return None
    try:
        count, pages = ocr_engine.pages_of(content, dpi=PREVIEW_DPI, max_pages=settings.OCR_MAX_PAGES)
    except ocr_engine.OcrError:
        return None
    if not 1 <= page <= count:
        return None
    from PIL import Image  # the OCR extra (Pillow comes with it); see ocr/engine.py

    for n, array in enumerate(pages, start=1):
        if n == page:
            out = io.BytesIO()
            Image.fromarray(array).save(out, format="PNG", optimize=False)
            pages.close()
            return out.getvalue()
    return None


@role_required(roles.CLERK)
@require_GET
def scan_file(request, uid):
    """The scan for the viewer: an image as uploaded; a PDF page (?page=N) rendered to PNG, or the PDF itself."""
    scan = _scan_for(uid)
    content = scan.read()
    body, content_type = content, scan.content_type
    page = request.GET.get("page")
    if scan.is_pdf and page:
        rendered = _render_pdf_page(content, int(page) if page.isdigit() else 0)
        if rendered is None:
            raise Http404("没有这一页")
        body, content_type = rendered, "image/png"
    with transaction.atomic():
        record(request.user, "intake.scan_viewed", scan, {"file": scan.filename, "page": page or ""})
    response = HttpResponse(body, content_type=content_type)
    response["Content-Disposition"] = f"inline; filename*=UTF-8''{quote(scan.filename, safe='')}"
    # The same uid always serves the same bytes; kept by this browser only, never by a shared cache.
    response["Cache-Control"] = "private, max-age=3600"
    return response


@role_required(roles.CLERK)
@require_GET
def scans(request):
    """待登记扫描件: what the intake folder and the form's uploads hold that is not yet a telegram — with what
    OCR made of each, so the clerk knows which paper it is before opening it."""
    waiting = list(IntakeScan.objects.filter(state=IntakeState.WAITING).select_related("ocr_job", "created_by__person")[:200])
    rows = []
    for scan in waiting:
        guess = read_prefill(scan) if scan.ocr_job_id else None
        rows.append({"scan": scan, "status": status_of(scan), "urls": scan_urls(scan),
                     "title": guess.data.get("title", "") if guess else "",
                     "sender": guess.data.get("sender_unit_name", "") if guess else "",
                     "precedence": guess.data.get("precedence", "") if guess else ""})
    closed = (IntakeScan.objects.exclude(state=IntakeState.WAITING).select_related("telegram", "closed_by__person")
              .order_by("-closed_at", "-id")[:20])
    return render(request, "intake/scans.html", {
        "rows": rows, "closed": closed, "folder": settings.INTAKE_FOLDER, "ocr_available": ocr_engine.available(),
        "pending": any(not r["status"]["final"] for r in rows),
    })


@role_required(roles.CLERK)
@require_POST
def set_aside(request, uid):
    scan = _scan_for(uid)
    try:
        actions.set_aside(scan, actor=request.user, reason=request.POST.get("reason", ""))
    except ActionError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"扫描件“{scan.filename}”已搁置。")
    return redirect("intake:scans")


@role_required(roles.CLERK)
@require_POST
def parse(request):
    """识别并填表 without a page reload: the paste panel's text or .txt → the form's prefill as JSON (the same
    PasteForm and prefill the no-script POST uses)."""
    paste = prefill.PasteForm(request.POST, request.FILES)
    filled = paste.parse()
    if filled is None:
        errors = [str(e) for e in paste.non_field_errors()] + [str(e) for f in paste for e in f.errors]
        return JsonResponse({"errors": errors or ["无法识别该文本。"], "text": paste.data.get("text", "")}, status=400)
    return JsonResponse({**filled.as_json(), "deadline": deadline_preview(filled.data),
                         "text": paste.data.get("text", "")})


@role_required(roles.CLERK)
@require_GET
def preview(request):
    return JsonResponse(deadline_preview(request.GET))
