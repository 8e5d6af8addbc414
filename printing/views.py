"""The printable 处理单 (HTML print view and PDF) and the 收文登记簿 export (PDF, Excel, CSV).

Thin views: access through telegrams.access, content from printing.slip / printing.exports, PDF through
printing.pdf (imported lazily: WeasyPrint is slow to import). Every print or export discloses data and is
written to the audit chain."""
from __future__ import annotations

import hashlib
from urllib.parse import quote

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import Http404, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from audit.services import record
from core.errors import ActionError
from directory import roles
from directory.access import role_required
from telegrams.access import telegram_for
from telegrams.models import TelegramReturn

from . import archive_package, exports
from .slip import display_name, return_notice_context, slip_context

FORMATS = {
    "pdf": "application/pdf",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "csv": "text/csv; charset=utf-8",
}


def _attachment(response: HttpResponse, filename: str, fallback: str) -> HttpResponse:
    response["Content-Disposition"] = f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"
    response["Cache-Control"] = "no-store"
    return response


@login_required
def slip(request, pk: int):
    """The print view: the slip as A4 sheets; the browser prints it (print CSS) or the clerk takes the PDF."""
    telegram = telegram_for(request.user, pk)
    context = slip_context(telegram, printed_by=request.user, for_pdf=False)
    with transaction.atomic():
        record(request.user, "telegram.print", telegram, {"receipt_no": telegram.receipt_no, "format": "html"})
    response = render(request, "printing/slip.html", context)
    response["Cache-Control"] = "no-store"
    return response


@login_required
def slip_pdf(request, pk: int):
    telegram = telegram_for(request.user, pk)
    from . import pdf

    html = render_to_string("printing/slip.html", slip_context(telegram, printed_by=request.user, for_pdf=True))
    rendered = pdf.render_pdf(html)
    with transaction.atomic():
        record(request.user, "telegram.print", telegram, {
            "receipt_no": telegram.receipt_no, "format": "pdf", "pages": rendered.pages,
            "sha256": hashlib.sha256(rendered.content).hexdigest(),
        })
    response = HttpResponse(rendered.content, content_type=FORMATS["pdf"])
    return _attachment(response, f"处理单-{telegram.receipt_no}.pdf", f"slip-{telegram.pk}.pdf")


def _returned(request, pk: int):
    telegram = telegram_for(request.user, pk)
    returned = TelegramReturn.objects.filter(telegram=telegram).select_related("returned_by__person").first()
    if returned is None:
        raise Http404("该来电没有退文")
    return telegram, returned


@role_required(roles.CLERK, roles.LEADER, roles.ADMIN)
def return_notice(request, pk: int):
    """The 退文告知单 to print (the office's document: not for unit staff)."""
    telegram, returned = _returned(request, pk)
    context = return_notice_context(telegram, returned, printed_by=request.user, for_pdf=False)
    with transaction.atomic():
        record(request.user, "telegram.print_return_notice", telegram, {"receipt_no": telegram.receipt_no, "format": "html"})
    response = render(request, "printing/return_notice.html", context)
    response["Cache-Control"] = "no-store"
    return response


@role_required(roles.CLERK, roles.LEADER, roles.ADMIN)
def return_notice_pdf(request, pk: int):
    telegram, returned = _returned(request, pk)
    from . import pdf

    html = render_to_string("printing/return_notice.html",
                            return_notice_context(telegram, returned, printed_by=request.user, for_pdf=True))
    rendered = pdf.render_pdf(html)
    with transaction.atomic():
        record(request.user, "telegram.print_return_notice", telegram, {
            "receipt_no": telegram.receipt_no, "format": "pdf", "pages": rendered.pages,
            "sha256": hashlib.sha256(rendered.content).hexdigest(),
        })
    response = HttpResponse(rendered.content, content_type=FORMATS["pdf"])
    return _attachment(response, f"退文告知单-{telegram.receipt_no}.pdf", f"return-notice-{telegram.pk}.pdf")


def _back_to_register(request):
    query = request.GET.urlencode()
    return redirect(reverse("telegrams:register") + (f"?{query}" if query else ""))


@role_required(roles.CLERK, roles.LEADER, roles.ADMIN)
def register_export(request, fmt: str):
    if fmt not in FORMATS:
        raise Http404("不支持的导出格式")
    try:
        qs, f = exports.register_queryset(request.GET)
        row_list = None if fmt == "csv" else exports.capped_rows(qs, fmt)
    except exports.ExportError as exc:
        messages.error(request, exc.message)
        return _back_to_register(request)
    count = qs.count() if row_list is None else len(row_list)
    span = exports.describe_range(f)
    with transaction.atomic():
        record(request.user, "register.export", None, {
            "format": fmt, "rows": count, "range": span,
            "filters": {k: v for k, v in request.GET.items() if k in f.filters and v},
        }, object_type="telegrams.register")
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    filename, fallback = f"收文登记簿-{stamp}.{fmt}", f"register-{stamp}.{fmt}"

    if fmt == "csv":
        # Streamed row by row: a year of telegrams never sits in memory.
        response = StreamingHttpResponse(exports.csv_stream(exports.rows(qs)), content_type=FORMATS["csv"])
        return _attachment(response, filename, fallback)

    if fmt == "xlsx":
        content = exports.xlsx_bytes(row_list, title="收文登记簿", subtitle=" ".join(
            part for part in (span, exports.describe_filters(f), f"共 {count} 件") if part))
        return _attachment(HttpResponse(content, content_type=FORMATS["xlsx"]), filename, fallback)

    from . import pdf

    html = render_to_string("printing/register_pdf.html", {
        "rows": exports.as_dicts(row_list), "range": span, "filters": exports.describe_filters(f),
        "exported_by": display_name(request.user),
        "exported_at": timezone.localtime(),
    })
    content = pdf.render_pdf(html).content
    return _attachment(HttpResponse(content, content_type=FORMATS["pdf"]), filename, fallback)


@role_required(roles.CLERK, roles.ADMIN)
def archive_package_download(request, pk: int):
    """The 归档包 of an archived telegram (zip; audited as archive.export). Refused with a message until a signed
    checkpoint covers its 归档 entry."""
    telegram = telegram_for(request.user, pk)
    try:
        package = archive_package.build(telegram, actor=request.user)
    except ActionError as exc:
        messages.error(request, exc.message)
        return redirect("telegrams:detail", pk=pk)
    response = HttpResponse(package.content, content_type="application/zip")
    return _attachment(response, package.name, f"archive-{telegram.pk}.zip")
