"""归档 in Chromium: the clerk archives a finished telegram from its page (定期30年), sees its 档号, downloads the
归档包 once the signer's checkpoint covers it, and the package verifies offline with the public key kept outside;
a batch from the 归档 page; the admin reads the same telegram on a phone without sideways scrolling."""
from __future__ import annotations

import pytest

from archive import verifier
from archive.models import Archival
from audit import services, signing
from telegrams.models import Telegram, TelegramState
from tests import factories

from .conftest import PHONE
from .helpers import SidewaysCheck, login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_clerk_archives_a_telegram_and_downloads_a_package_that_verifies(new_page, shots, demo, tmp_path):
    clerk, staff = demo["clerk"], demo["zonggonghui"]
    t = factories.finished(clerk, staff, scans=[factories.PDF])
    batch = [factories.finished(clerk, staff) for _ in range(2)]

    page = new_page()
    login(page, "clerk")
    page.goto(f"/telegrams/{t.pk}/")
    panel = page.locator("#archive-panel")
    panel.get_by_label("保管期限").select_option(label="定期30年")
    with page.expect_navigation():
        panel.get_by_role("button", name="归档").click()

    archival = Archival.objects.get(telegram=t)
    assert f"已归档，档号 {archival.archive_no}" in page.locator(".messages").inner_text()
    assert page.locator("#archive-no").inner_text() == archival.archive_no
    assert page.locator("#archive-retention").inner_text() == "定期30年"
    assert page.locator("#telegram-state").inner_text() == "已归档"
    assert archival.archive_no in page.locator("#telegram-archive-no").inner_text()
    assert page.locator("#archive-form").count() == 0 and page.get_by_role("link", name="更正").count() == 0
    shots(page, "archived", full_page=False, docs="archive-telegram")

    # What beat does every minute: a signed checkpoint that covers the 归档 entry; then the package downloads.
    services.sign_head()
    with page.expect_download() as download:
        page.get_by_role("link", name="下载归档包").click()
    saved = tmp_path / download.value.suggested_filename
    download.value.save_as(saved)
    assert saved.name == f"{archival.archive_no}.zip"
    verifier.verify(saved, signing.public_key_b64())  # raises Problem if anything is wrong

    # A batch from the 归档 page: tick both, choose 永久.
    page.get_by_role("link", name="归档", exact=True).first.click()
    page.wait_for_url("**/archive/")
    for other in batch:
        page.locator(f"#pick-{other.pk}").check()
    page.locator("#batch-archive").get_by_label("保管期限").select_option(label="永久")
    with page.expect_navigation():
        page.get_by_role("button", name="批量归档所选来电").click()
    assert "已归档 2 件" in page.locator(".messages").inner_text()
    assert set(Telegram.objects.filter(pk__in=[b.pk for b in batch]).values_list("state", flat=True)) == {
        TelegramState.ARCHIVED}
    assert page.locator("#archived-list tbody tr").count() == 3
    shots(page, "archive-page", docs="archive-page")

    # The admin on a phone: the 档号 panel, 下载 and 撤销归档 fit the screen.
    phone = new_page(PHONE)
    login(phone, "admin")
    fits = SidewaysCheck(phone)
    phone.goto(f"/telegrams/{t.pk}/")
    fits(phone)
    phone.locator("#archive-panel").scroll_into_view_if_needed()
    assert phone.locator("#archive-revoke").is_visible()
    shots(phone, "phone-archived", full_page=False, docs="phone-archive-telegram")
    phone.goto("/archive/")
    fits(phone)
    assert phone.locator("#archived-list").get_by_role("link", name="下载").count() == 3
    shots(phone, "phone-archive-page", full_page=False, docs="phone-archive-page")
    fits.all_checked()
