"""The registration desk in a real browser (issues 17 and 15): a photo of a printed telegram read by the OCR worker
into the form, a pasted text filling the form in place, 保存并登记下一件, and a failed validation that keeps the
chosen scan. Screenshots: test-output/browser/<test>/ (and docs/screenshots/ with DOCS_SCREENSHOTS=1)."""
from __future__ import annotations

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from intake.models import IntakeScan, IntakeState
from ocr import engine
from telegrams.models import Telegram
from tests.conftest import ROOT, Worker, purge_broker
from tests.telegrams.helpers import SEED_FORM

from .conftest import PHONE
from .helpers import SidewaysCheck, fill_registration, login, tiny_png

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SEED_TEXT = (ROOT / "tests" / "telegrams" / "samples" / "seed_744.txt").read_text(encoding="utf-8")


@pytest.fixture
def ocr_worker():
    """The `ocr` queue's own worker (one process, one inference thread), as dev.py run and compose start it."""
    if not engine.available():
        pytest.skip("the OCR extra (requirements-ocr.txt) is not installed")
    worker = Worker("ocr", 1).start()
    yield worker
    worker.stop()
    purge_broker()


@pytest.fixture(scope="module")
def phone_photo() -> bytes:
    """A phone photo of the seed's printed receipt form (bench/ocr_forms.py): perspective, shade, a 3° turn."""
    from bench import ocr_forms

    if ocr_forms.font_path() is None:
        pytest.skip("no CJK font to render the form with")
    page, _ = ocr_forms.render_form(ocr_forms.SEED, dpi=150)
    return ocr_forms.phone(page)


def test_clerk_uploads_a_photo_of_a_printed_telegram_and_saves_the_filled_form(page, shots, demo, ocr_worker,
                                                                             phone_photo):
    login(page, "clerk")
    page.goto(reverse("telegrams:create"))
    page.get_by_label("扫描文件或照片").set_input_files(
        {"name": "IMG_0744.jpg", "mimeType": "image/jpeg", "buffer": phone_photo})
    page.evaluate("window.__samePage = true")  # gone if the page reloads
    page.get_by_role("button", name="上传并识别").click()

    # The scan appears beside the form at once, with the job's progress, and the address names it.
    viewer = page.locator("#scan-viewer")
    viewer.wait_for(state="visible")
    page.wait_for_url("**/telegrams/new/?scan=*")
    assert viewer.locator("img").count() == 1
    # While it is read the clerk starts typing the title from the paper: what is read later never overwrites it.
    page.get_by_label("标题").fill("关于学习宣传贯彻回信精神的通知")
    status = page.locator("#ocr-status")
    assert status.inner_text() in ("排队中", "识别中", "正在识别第 1 页，共 1 页", "已完成") or status.inner_text().startswith("已完成")
    shots(page, "scan-uploaded-reading")

    # The worker reads it; the form fills without a reload.
    page.locator("#ocr-status[data-state=done]").wait_for(timeout=120_000)  # CSP: no eval'd wait_for_function
    assert page.evaluate("window.__samePage") is True
    assert status.inner_text().startswith("已完成：已按识别结果填入")
    assert page.get_by_label("来电单位").input_value() == "中华全国总工会办公厅"
    assert page.get_by_label("等级").input_value() == "特提"
    assert page.get_by_label("收报时间").input_value() == "2020-05-01T21:36"
    assert page.get_by_label("标题").input_value() == "关于学习宣传贯彻回信精神的通知"
    assert page.locator('.field[data-field="title"] .parse-hint').inner_text() == (
        f"已保留您填写的内容；扫描件识别为：{SEED_FORM['title']}")
    assert page.get_by_label("批办").input_value() == "送：自治区总工会。"
    assert page.get_by_label("发电字号").input_value() == "工发电〔2020〕7号"
    assert page.get_by_label("收文号").input_value() == "宁机明收[2020]744号"
    marks = page.locator("#register-form .parse-hint[data-parse=found]")
    assert marks.count() >= 12
    assert page.locator("#parse-summary").is_visible()
    # The deadline preview is asked of the server after the fill: wait for it (a busy machine answers late).
    expect(page.locator("#deadline-text")).to_have_text("办理期限：2020年5月2日（特提，收报后 1 天）", timeout=30_000)
    page.locator("#scan-viewer").scroll_into_view_if_needed()
    shots(page, "scan-read-form-filled", docs="registration-scan-read")

    page.get_by_label("标题").fill(SEED_FORM["title"])  # the clerk takes the full title the scan shows
    with page.expect_navigation():
        page.get_by_role("button", name="保存并编号").click()
    telegram = Telegram.objects.get()
    assert page.url.endswith(reverse("telegrams:detail", args=[telegram.pk]))
    assert telegram.receipt_no == "宁机明收[2020]744号" and telegram.precedence == "特提"
    assert telegram.title == SEED_FORM["title"]
    assert [s.read() for s in telegram.scans.all()] == [phone_photo]  # the photo, uploaded once
    assert IntakeScan.objects.get().state == IntakeState.REGISTERED
    assert page.get_by_role("link", name="IMG_0744.jpg").count() == 1
    shots(page, "telegram-page-with-the-photo")


def test_paste_fills_the_form_in_place_and_the_deadline_follows_the_precedence(page, shots, demo):
    login(page, "clerk")
    page.goto(reverse("telegrams:create"))
    page.get_by_label("标题").fill("先写的标题")  # a paste is asked for: it overwrites what it finds
    page.evaluate("window.__samePage = true")
    page.get_by_label("粘贴电报文本").fill(SEED_TEXT)
    page.get_by_label("粘贴电报文本").press("Control+Enter")
    page.locator("#parse-summary").wait_for(state="visible")
    assert page.evaluate("window.__samePage") is True  # no reload
    assert page.get_by_label("标题").input_value() == SEED_FORM["title"]
    assert page.get_by_label("等级").input_value() == "特提"
    assert "已识别 14 项" in page.locator("#summary-found").inner_text()
    assert page.locator('.field[data-field="title"] .parse-hint').inner_text() == "✓ 已从文本识别，请核对"
    page.locator("#deadline-text", has_text="2020年5月2日").wait_for()
    shots(page, "pasted-in-place", docs="registration-pasted-in-place")

    # The clerk corrects 等级: the deadline follows before saving.
    page.get_by_label("等级").select_option("平急")
    page.locator("#deadline-text", has_text="2020年5月11日").wait_for()
    assert page.locator("#deadline-text").inner_text() == "办理期限：2020年5月11日（平急，收报后 10 天）"
    assert page.locator("#routes-text").inner_text() == "分送：自治区总工会（办理）"
    page.get_by_label("批办").fill("请财政厅于5月8日前办结。")
    page.locator("#deadline-text", has_text="5月8日").wait_for()
    assert page.locator("#deadline-text").inner_text() == "办理期限：2020年5月8日（批办指定）"

    # Text that is not a telegram: the reason, in place.
    page.get_by_label("粘贴电报文本").fill("hello world 12345")
    page.get_by_role("button", name="识别并填表").click()
    page.locator("#paste-errors").wait_for(state="visible")
    assert "无法识别" in page.locator("#paste-errors").inner_text()
    assert page.evaluate("window.__samePage") is True and not Telegram.objects.exists()


def test_save_and_register_the_next_one(page, shots, demo):
    login(page, "clerk")
    page.goto(reverse("telegrams:create"))
    fill_registration(page, {**SEED_FORM, "receipt_no": ""})
    with page.expect_navigation():
        page.get_by_role("button", name="保存并登记下一件").click()
    first = Telegram.objects.get()
    assert page.url.endswith(f"{reverse('telegrams:create')}?after={first.pk}")
    assert f"上一件已登记：{first.receipt_no}" in page.locator("#last-registered").inner_text()
    assert "2020年5月1日 21:36" in page.locator("#last-registered").inner_text()
    # A blank form, the cursor on 来电单位, 等级 still to choose.
    assert page.get_by_label("标题").input_value() == ""
    assert page.evaluate("document.activeElement.id") == "id_sender_unit_name"
    assert page.get_by_label("等级").input_value() == ""
    shots(page, "ready-for-the-next-one")

    # Saving untouched is refused: 等级 must be chosen (no 特提 by default).
    fill_registration(page, {k: v for k, v in SEED_FORM.items() if k != "precedence"} | {
        "sender_doc_no": "工发电〔2020〕8号", "receipt_no": ""})
    with page.expect_navigation():
        page.get_by_label("来电单位").press("Control+Enter")  # the keyboard's save
    assert "请选择等级。" in page.locator('.field[data-field="precedence"] .errorlist').inner_text()
    assert Telegram.objects.count() == 1


def test_a_failed_validation_keeps_the_chosen_scan(page, shots, demo):
    login(page, "clerk")
    page.goto(reverse("telegrams:create"))
    scan = tiny_png()
    fill_registration(page, {**SEED_FORM, "title": ""}, scans=[{"name": "第1页.png", "mimeType": "image/png", "buffer": scan}])
    with page.expect_navigation():
        page.get_by_role("button", name="保存并编号").click()
    assert "标题不能为空。" in page.locator('.field[data-field="title"] .errorlist').inner_text()
    assert "已选的扫描件已暂存" in page.locator("#not-saved").inner_text()
    kept = page.get_by_label("第1页.png")
    assert kept.is_checked()
    # The kept scan is shown beside the form.
    assert page.locator("#scan-viewer img").count() == 1
    assert page.evaluate("document.querySelector('#scan-viewer img').naturalWidth") == 48
    shots(page, "refused-scan-kept", docs="registration-refused-scan-kept")

    page.get_by_label("标题").fill(SEED_FORM["title"])
    with page.expect_navigation():
        page.get_by_role("button", name="保存并编号").click()
    telegram = Telegram.objects.get()
    assert [s.read() for s in telegram.scans.all()] == [scan]
    assert page.get_by_role("link", name="第1页.png").count() == 1


def test_the_waiting_list_on_a_desktop_and_the_desk_at_phone_width(new_page, shots, demo, clerk, monkeypatch):
    """待登记扫描件 with one scan the folder's OCR has read (a stand-in engine reading the seed's text) and one kept
    without OCR; then the list and the form with its scan on a 390 px phone: nothing scrolls sideways."""
    from intake.actions import hold, receive
    from intake.models import IntakeSource
    from ocr.layout import Line
    from ocr.tasks import read_scan
    from telegrams.inputs import ScanUpload

    lines = [Line(text.strip(), 0.99) for text in SEED_TEXT.splitlines()]
    monkeypatch.setattr(engine, "available", lambda: True)
    monkeypatch.setattr("ocr.actions.dispatch", lambda job_id: None)
    monkeypatch.setattr(engine, "read_document", lambda content, **kw: engine.OcrResult(
        text="\n".join(ln.text for ln in lines), lines=lines, pages=1, seconds=1.0))
    read = receive("scan-0744.png", tiny_png(300, 420), actor=clerk, source=IntakeSource.FOLDER)
    read_scan.run(read.ocr_job_id)
    held = hold(ScanUpload("IMG_0745.png", "image/png", tiny_png(300, 420)), actor=clerk)

    desk = new_page()
    login(desk, "clerk")
    desk.goto(reverse("intake:scans"))
    row = desk.locator(f"#job-{read.ocr_job_id}")
    assert "中华全国总工会关于学习宣传贯彻" in row.inner_text() and "已完成" in row.inner_text()
    shots(desk, "waiting-scans", docs="intake-waiting-scans")
    page = new_page(PHONE)
    fits = SidewaysCheck(page)
    page.goto("/accounts/login/")
    fits(page)
    login(page, "clerk")
    fits(page)
    page.goto(reverse("intake:scans"))
    assert page.locator("#waiting-scans").get_by_text("IMG_0745.png").count() == 1
    fits(page)
    shots(page, "waiting-scans-phone", full_page=False, docs="phone-intake-waiting-scans")
    page.locator(f"#scan-{held.uid}").get_by_role("link", name="核对登记").click()
    page.wait_for_url(f"**/telegrams/new/?scan={held.uid}")
    assert page.locator("#scan-viewer img").count() == 1
    fits(page)
    shots(page, "form-with-scan-phone", full_page=False, docs="phone-registration-with-scan")
    fits.all_checked()
