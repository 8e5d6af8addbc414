"""Journeys of a scan at the registration desk: the clerk uploads it, watches OCR read it (a JSON endpoint the form's
script polls), gets the form filled through the paste path with each field marked by confidence, and saves — the
scan becomes the telegram's Scan without a second upload. Without the OCR extra the form says so and the rest
works."""
from __future__ import annotations

import io
import json
import re

import pytest
from django.urls import reverse

from audit.models import AuditEntry
from intake import actions
from intake.models import IntakeScan, IntakeSource, IntakeState
from notifications.models import Alert, AlertKind
from ocr.models import OcrJob, OcrState
from ocr.tasks import read_scan
from telegrams.inputs import ScanUpload
from telegrams.models import Scan, Telegram
from tests.telegrams.helpers import form

from .conftest import PDF, PNG, jpeg

pytestmark = pytest.mark.django_db
CREATE = reverse("telegrams:create")
JSON = {"HTTP_ACCEPT": "application/json"}


def upload(client, content: bytes = PNG, name: str = "手机拍摄.png", **headers):
    f = io.BytesIO(content)
    f.name = name
    return client.post(reverse("intake:upload"), {"scan": f}, **headers)


def status(client, scan: IntakeScan) -> dict:
    response = client.get(reverse("intake:scan_status", args=[scan.uid]))
    assert response.status_code == 200 and response["Cache-Control"].startswith("max-age=0")
    return response.json()


def test_clerk_uploads_a_photo_watches_it_read_and_saves_the_filled_form_with_the_scan(
        clerk, clerk_client, sent, ocr_installed, reads_the_seed, after_commit):
    response = upload(clerk_client, **JSON)
    assert response.status_code == 201
    body = response.json()
    scan = IntakeScan.objects.get(uid=body["uid"])
    assert (scan.source, scan.state, scan.content_type) == (IntakeSource.UPLOAD, IntakeState.WAITING, "image/png")
    assert sent == [] and scan.ocr_job.state == OcrState.QUEUED
    assert body["urls"]["form"] == f"{CREATE}?scan={scan.uid}"
    assert status(clerk_client, scan)["progress"] == "排队中"

    # The form page shows the scan beside the form and, while it is read, a progress line (and, without script,
    # a refresh every 3 s).
    page = clerk_client.get(body["urls"]["form"]).content.decode()
    assert 'id="scan-viewer"' in page and f'src="{body["urls"]["file"]}"' in page
    assert 'data-final="0"' in page and '<noscript><meta http-equiv="refresh" content="3"></noscript>' in page
    assert f'name="held" value="{scan.uid}" checked' in page
    assert clerk_client.get(body["urls"]["file"]).content == PNG

    # Before it is read the prefill answers 409 with the progress; the worker reads it page by page.
    not_yet = clerk_client.get(body["urls"]["prefill"])
    assert not_yet.status_code == 409 and "识别尚未完成：排队中" in not_yet.json()["error"]
    with after_commit():
        assert read_scan.run(scan.ocr_job_id) == "done"
    seen = status(clerk_client, scan)
    assert (seen["state"], seen["progress"], seen["pages"], seen["final"], seen["ok"]) == ("done", "已完成", 2, True, True)

    # The uploader is told (the folder's scans tell the folder's account).
    alert = Alert.objects.get(user=clerk, kind=AlertKind.OCR)
    assert alert.text == "扫描件“手机拍摄.png”已识别完成（共 2 页），请核对后登记。"
    assert alert.link == f"{reverse('intake:scans')}#job-{scan.ocr_job_id}"

    # What it read, through the paste path: every field the parser finds, each marked by confidence.
    filled = clerk_client.get(body["urls"]["prefill"]).json()
    assert filled["data"]["title"] == "中华全国总工会关于学习宣传贯彻习近平总书记给郑州圆方集团职工回信精神的通知"
    assert filled["data"]["precedence"] == "特提" and filled["data"]["received_at"] == "2020-05-01T21:36"
    assert filled["marks"]["title"]["level"] == "low" and "识别把握低（72%）" in filled["marks"]["title"]["text"]
    assert filled["marks"]["sender_doc_no"]["level"] == "medium"
    assert filled["marks"]["sender_unit_name"] == {"kind": "found", "level": "high",
                                                   "text": "✓ 已从扫描件识别（把握 100%），请核对"}
    assert all(m["kind"] == "found" for m in filled["marks"].values()) and filled["missing_labels"] == []
    assert filled["deadline"]["text"] == "办理期限：2020年5月2日（特提，收报后 1 天）"
    assert AuditEntry.objects.filter(action="intake.scan_read", object_id=str(scan.pk)).count() == 1

    # Opening the form now (a reload, no script): filled by the server with the same marks.
    page = clerk_client.get(body["urls"]["form"]).content.decode()
    assert 'value="宁机明收[2020]744号"' in page and '<option value="特提" selected>' in page
    assert 'data-confidence="low"' in page and "field error" not in page and 'data-final="1"' in page

    # The clerk checks it and saves: the scan comes with it, no second upload.
    response = clerk_client.post(CREATE, form(held=[str(scan.uid)], sender_doc_no="工发电〔2020〕7号"))
    telegram = Telegram.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("telegrams:detail", args=[telegram.pk])
    stored = Scan.objects.get(telegram=telegram)
    assert (stored.filename, stored.read()) == ("手机拍摄.png", PNG)
    scan.refresh_from_db()
    assert (scan.state, scan.telegram, scan.closed_by) == (IntakeState.REGISTERED, telegram, clerk)
    entry = AuditEntry.objects.get(action="intake.scan_registered")
    assert json.loads(entry.data)["receipt_no"] == telegram.receipt_no

    # …and it leaves the waiting list; opening it again says where it went.
    assert str(scan.uid) not in clerk_client.get(reverse("intake:scans")).content.decode().split("最近处理")[0]
    again = clerk_client.get(body["urls"]["form"], follow=True).content.decode()
    assert f"已登记为 {telegram.receipt_no}" in again


def test_without_script_the_upload_posts_and_lands_on_the_form_with_the_scan(clerk_client, sent, ocr_installed):
    response = upload(clerk_client, PDF, "来电.pdf")
    scan = IntakeScan.objects.get()
    assert response.status_code == 302 and response["Location"] == f"{CREATE}?scan={scan.uid}"
    page = clerk_client.get(response["Location"]).content.decode()
    assert "排队中" in page and 'data-pdf="1"' in page and "刷新识别进度" in page


def test_a_scan_that_could_not_be_read_leaves_the_form_to_the_clerk(clerk, clerk_client, sent, ocr_installed,
                                                                     monkeypatch, after_commit):
    from ocr import engine

    def unreadable(content, **kwargs):
        raise engine.OcrError("图片已损坏或过大，无法读取。")

    monkeypatch.setattr(engine, "read_document", unreadable)
    scan = IntakeScan.objects.get(uid=upload(clerk_client, **JSON).json()["uid"])
    with after_commit():
        read_scan.run(scan.ocr_job_id)
    seen = status(clerk_client, scan)
    assert (seen["final"], seen["ok"], seen["progress"]) == (True, False, "识别失败：图片已损坏或过大，无法读取。")
    assert Alert.objects.get(user=clerk, kind=AlertKind.OCR).text.startswith("扫描件“手机拍摄.png”识别失败")
    page = clerk_client.get(f"{CREATE}?scan={scan.uid}").content.decode()
    assert "识别失败：图片已损坏或过大" in page and f'value="{scan.uid}" checked' in page


@pytest.mark.parametrize(("content", "name", "message"), [
    (b"GIF89a....", "x.gif", "不是PDF、JPEG或PNG文件"),
    (b"", "empty.png", "扫描件“empty.png”为空。"),
    (b"\x89PNG\r\n\x1a\n" + b"\x00" * 40, "cut.png", "扫描件“cut.png”的无法读取图像尺寸（文件不完整或已损坏），请重新扫描。"),
])
def test_what_is_not_a_scan_is_refused_and_nothing_is_written(clerk_client, sent, ocr_installed, content, name, message):
    response = upload(clerk_client, content, name, **JSON)
    assert response.status_code == 400 and message in response.json()["error"]
    assert not IntakeScan.objects.exists() and not OcrJob.objects.exists() and sent == []


def test_an_upload_without_a_file_is_asked_for_again(clerk_client, sent, ocr_installed):
    response = clerk_client.post(reverse("intake:upload"), {}, follow=True)
    assert "请选择要识别的扫描件（PDF、JPEG 或 PNG，手机照片亦可）。" in response.content.decode()
    assert response.redirect_chain == [(CREATE, 302)]


def test_without_the_ocr_extra_the_form_says_so_and_everything_else_works(clerk_client, sent, ocr_missing):
    page = clerk_client.get(CREATE).content.decode()
    assert "本系统未安装文字识别组件" in page and 'action="/intake/scans/upload/"' in page
    assert 'name="scan"' not in page  # no upload control to try
    refused = upload(clerk_client, **JSON)
    assert refused.status_code == 400 and refused.json()["code"] == "ocr_unavailable"
    assert not IntakeScan.objects.exists()
    # Paste and plain registration with a scan still work.
    from .conftest import SEED_TEXT

    assert clerk_client.post(reverse("intake:parse"), {"text": SEED_TEXT}).json()["data"]["precedence"] == "特提"
    scan = io.BytesIO(PNG)
    scan.name = "page.png"
    assert clerk_client.post(CREATE, form(scans=scan)).status_code == 302
    assert Telegram.objects.get().scans.count() == 1


def test_a_failed_validation_keeps_the_chosen_scans_and_the_next_save_takes_them(clerk, clerk_client):
    page1, page2 = io.BytesIO(PNG), io.BytesIO(PDF)
    page1.name, page2.name = "第1页.png", "第2页.pdf"
    refused = clerk_client.post(CREATE, form(title="", scans=[page1, page2]))
    assert refused.status_code == 200
    html = refused.content.decode()
    assert "标题不能为空。" in html and "已选的扫描件已暂存" in html
    held = list(IntakeScan.objects.order_by("id"))
    assert [(s.filename, s.source, s.state) for s in held] == [
        ("第1页.png", IntakeSource.FORM, IntakeState.WAITING), ("第2页.pdf", IntakeSource.FORM, IntakeState.WAITING)]
    assert all(f'name="held" value="{s.uid}" checked' in html for s in held)
    assert not Telegram.objects.exists() and held[0].read() == PNG

    # The clerk adds the title and saves without choosing the files again.
    clerk_client.post(CREATE, form(held=[str(s.uid) for s in held]))
    telegram = Telegram.objects.get()
    assert [(s.filename, s.read()) for s in telegram.scans.order_by("id")] == [("第1页.png", PNG), ("第2页.pdf", PDF)]
    assert set(IntakeScan.objects.values_list("state", flat=True)) == {IntakeState.REGISTERED}


def test_an_unticked_held_scan_stays_waiting(clerk, clerk_client):
    kept = actions.hold(ScanUpload("a.png", "image/png", PNG), actor=clerk)
    clerk_client.post(CREATE, form())  # the box was unticked: its uid is not posted
    assert Telegram.objects.get().scans.count() == 0
    kept.refresh_from_db()
    assert kept.state == IntakeState.WAITING


def test_one_scan_cannot_become_two_telegrams(clerk, clerk_client):
    scan = actions.hold(ScanUpload("a.png", "image/png", PNG), actor=clerk)
    clerk_client.post(CREATE, form(held=[str(scan.uid)]))
    first = Telegram.objects.get()
    audit_before = AuditEntry.objects.count()
    # A second clerk had the same scan open and saves it as another telegram.
    refused = clerk_client.post(CREATE, form(held=[str(scan.uid)], sender_doc_no="工发电〔2020〕8号"))
    assert refused.status_code == 200
    assert f"扫描件“a.png”已登记为 {first.receipt_no}，不能再次登记。" in refused.content.decode()
    assert Telegram.objects.count() == 1 and AuditEntry.objects.count() == audit_before


def test_the_register_action_refuses_a_scan_taken_meanwhile(clerk):
    from core.errors import NotAllowed
    from tests.factories import telegram_input

    scan = actions.hold(ScanUpload("a.png", "image/png", PNG), actor=clerk)
    stale = IntakeScan.objects.get(pk=scan.pk)  # read before the other registration
    actions.register(telegram_input(), actor=clerk, held=[scan])
    with pytest.raises(NotAllowed, match="已登记为"):
        actions.register(telegram_input(sender_doc_no="工发电〔2020〕8号"), actor=clerk, held=[stale])
    assert Telegram.objects.count() == 1


def test_save_and_register_the_next_one(clerk_client):
    response = clerk_client.post(CREATE, form(next="1"))
    telegram = Telegram.objects.get()
    assert response["Location"] == f"{CREATE}?after={telegram.pk}"
    page = clerk_client.get(response["Location"])
    html = page.content.decode()
    assert "上一件已登记：" in html and telegram.receipt_no in html and "2020年5月1日 21:36" in html
    # A blank form with a fresh submission token, 等级 not chosen.
    assert page.context["form"]["title"].value() is None
    assert page.context["form"]["submission"].value() != ""
    assert '<option value="" selected>请选择等级</option>' in html


def test_precedence_has_no_default_and_must_be_chosen(clerk_client):
    html = clerk_client.get(CREATE).content.decode()
    assert '<option value="" selected>请选择等级</option>' in html and "<option value=\"特提\" selected>" not in html
    refused = clerk_client.post(CREATE, form(precedence=""))
    assert refused.status_code == 200 and "请选择等级。" in refused.content.decode()
    assert not Telegram.objects.exists()


def test_the_form_follows_the_paper_in_tab_order(clerk_client):
    html = clerk_client.get(CREATE).content.decode()
    order = ["id_sender_unit_name", "id_precedence", "id_received_at", "id_title", "id_instruction", "id_sending_unit",
             "id_issuer", "id_sender_doc_no", "id_addressees", "id_body", "id_signatory", "id_signed_on", "id_cc"]
    positions = [html.index(f'id="{i}"') for i in order]
    assert positions == sorted(positions)
    first = re.search(r'<input [^>]*name="sender_unit_name"[^>]*>', html)[0]
    assert " autofocus " in first  # the cursor starts on 来电单位
    assert 'accesskey="s"' in html and 'accesskey="n"' in html


@pytest.mark.parametrize(("query", "text"), [
    ({"precedence": "特提", "received_at": "2020-05-01T21:36", "instruction": "送：自治区总工会。"},
     "办理期限：2020年5月2日（特提，收报后 1 天）"),
    ({"precedence": "平急", "received_at": "2020-05-01T21:36", "instruction": ""},
     "办理期限（领导批示分送后）：2020年5月11日（平急，收报后 10 天）"),
    ({"precedence": "加急", "received_at": "2020-05-01T21:36", "instruction": "请自治区总工会于5月20日前办结。"},
     "办理期限：2020年5月20日（批办指定）"),
    ({"precedence": "", "received_at": "2020-05-01T21:36"}, "选择等级并填写收报时间后显示办理期限。"),
])
def test_the_deadline_is_shown_before_saving_with_its_year(clerk_client, query, text):
    answer = clerk_client.get(reverse("intake:preview"), query).json()
    assert answer["text"] == text


def test_the_deadline_preview_names_the_units_and_the_ones_not_found(clerk_client):
    answer = clerk_client.get(reverse("intake:preview"), {
        "precedence": "特急", "received_at": "2020-05-01T09:00", "instruction": "请财政厅牵头，自治区水利厅配合办理。"}).json()
    assert answer["routes"] == "分送：自治区财政厅（牵头）"
    assert "未找到单位：自治区水利厅" in answer["note"]
    assert answer["deadline"] == "2020-05-04"


def test_the_form_page_shows_the_deadline_too(clerk_client):
    response = clerk_client.post(CREATE, form(title=""))  # refused: the page comes back with the deadline it would get
    assert "办理期限：2020年5月2日（特提，收报后 1 天）" in response.content.decode()
    assert "分送：自治区总工会（办理）" in response.content.decode()


def test_paste_in_place_answers_json_and_saves_nothing(clerk_client):
    from .conftest import SEED_TEXT

    audit_before = AuditEntry.objects.count()
    answer = clerk_client.post(reverse("intake:parse"), {"text": SEED_TEXT})
    assert answer.status_code == 200
    body = answer.json()
    assert body["data"]["receipt_no"] == "宁机明收[2020]744号" and body["source"] == "text"
    assert body["marks"]["title"] == {"kind": "found", "level": "", "text": "✓ 已从文本识别，请核对"}
    assert "抄送" not in body["missing_labels"] and body["deadline"]["deadline"] == "2020-05-02"
    assert not Telegram.objects.exists() and AuditEntry.objects.count() == audit_before

    junk = clerk_client.post(reverse("intake:parse"), {"text": "hello world 12345"})
    assert junk.status_code == 400 and any("无法识别" in e for e in junk.json()["errors"])
    empty = clerk_client.post(reverse("intake:parse"), {"text": ""})
    assert empty.json()["errors"] == ["请粘贴电报文本或选择一个 .txt 文件。"]


def test_a_txt_file_parsed_in_place_comes_back_as_text_too(clerk_client):
    from .conftest import SEED_TEXT

    f = io.BytesIO(SEED_TEXT.encode("gb18030"))
    f.name = "744.txt"
    body = clerk_client.post(reverse("intake:parse"), {"file": f}).json()
    assert body["data"]["sender_unit_name"] == "中华全国总工会办公厅" and body["text"].startswith("\n\n内部明电")


def test_the_waiting_list_shows_what_each_scan_says_and_a_scan_can_be_set_aside(
        clerk, clerk_client, sent, ocr_installed, reads_the_seed):
    read = actions.receive("744.jpg", jpeg(), actor=clerk, source=IntakeSource.FOLDER)
    read_scan.run(read.ocr_job_id)
    waiting = actions.receive("745.pdf", PDF, actor=clerk, source=IntakeSource.FOLDER)
    html = clerk_client.get(reverse("intake:scans")).content.decode()
    assert f'id="job-{read.ocr_job_id}"' in html and "收件文件夹" in html
    assert "中华全国总工会关于学习宣传贯彻" in html and "prec-特提" in html and "已完成" in html
    assert "745.pdf" in html and "排队中" in html
    assert '<noscript><meta http-equiv="refresh" content="5"></noscript>' in html  # one is still being read

    no_reason = clerk_client.post(reverse("intake:scan_set_aside", args=[waiting.uid]), {"reason": " "}, follow=True)
    assert "请填写搁置原因。" in no_reason.content.decode()
    clerk_client.post(reverse("intake:scan_set_aside", args=[waiting.uid]), {"reason": "与 744 号重复"})
    waiting.refresh_from_db()
    assert (waiting.state, waiting.reason, waiting.closed_by) == (IntakeState.SET_ASIDE, "与 744 号重复", clerk)
    html = clerk_client.get(reverse("intake:scans")).content.decode()
    assert "已搁置：与 744 号重复" in html.split("最近处理")[1]
    assert AuditEntry.objects.filter(action="intake.scan_set_aside", object_id=str(waiting.pk)).exists()
    # A scan set aside cannot be registered afterwards.
    refused = clerk_client.post(CREATE, form(held=[str(waiting.uid)]))
    assert "已搁置" in refused.content.decode() and not Telegram.objects.exists()


def test_a_pdf_page_is_shown_as_an_image_beside_the_form(clerk, clerk_client, sent):
    pytest.importorskip("pypdfium2")
    from ocr import engine

    if not engine.available():
        pytest.skip("the OCR extra renders PDF pages")
    from bench import ocr_forms

    if ocr_forms.font_path() is None:
        pytest.skip("no CJK font to render the form with")
    page, _ = ocr_forms.render_form(ocr_forms.SEED, dpi=60, header_only=True)
    scan = actions.receive("来电.pdf", ocr_forms.as_pdf(page, dpi=60), actor=clerk)
    url = reverse("intake:scan_file", args=[scan.uid])
    rendered = clerk_client.get(url, {"page": "1"})
    assert rendered.status_code == 200 and rendered["Content-Type"] == "image/png"
    assert rendered.content.startswith(b"\x89PNG")
    assert clerk_client.get(url, {"page": "2"}).status_code == 404
    assert clerk_client.get(url).content.startswith(b"%PDF")
    assert AuditEntry.objects.filter(action="intake.scan_viewed", object_id=str(scan.pk)).count() == 2  # the 404 shows nothing


def test_a_paste_without_script_keeps_the_scan_beside_the_form(clerk, clerk_client):
    from .conftest import SEED_TEXT

    scan = actions.hold(ScanUpload("a.png", "image/png", PNG), actor=clerk)
    page = clerk_client.post(CREATE, {"text": SEED_TEXT, "parse": "1", "held": [str(scan.uid)]}).content.decode()
    assert 'value="宁机明收[2020]744号"' in page  # filled by the paste…
    assert f'name="held" value="{scan.uid}" checked' in page and 'id="scan-viewer" hidden' not in page  # …the scan kept
    assert reverse("intake:scan_file", args=[scan.uid]) in page
