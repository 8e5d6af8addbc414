"""The 归档 forms and pages: the clerk archives from the telegram page or a batch from the 归档 page, the 档号 shows
on the telegram page and in the register, clerk and admin download the package, the admin revokes."""
from __future__ import annotations

import io
import zipfile

import pytest
from django.urls import reverse

from archive import verifier
from archive.models import Archival
from audit import services
from telegrams.models import Telegram, TelegramState
from tests import factories
from tests.conftest import client_for

pytestmark = pytest.mark.django_db


def test_the_clerk_archives_from_the_telegram_page_and_downloads_the_package(clerk, staff_zgh, admin_user):
    t = factories.finished(clerk, staff_zgh)
    c = client_for(clerk)
    page = c.get(reverse("telegrams:detail", args=[t.pk])).content.decode()
    assert 'id="archive-form"' in page and "保管期限" in page

    refused = c.post(reverse("archive:archive", args=[t.pk]), {"retention": ""}, follow=True).content.decode()
    assert "请选择保管期限。" in refused and not Archival.objects.exists()
    done = c.post(reverse("archive:archive", args=[t.pk]), {"retention": "D30"}, follow=True).content.decode()

    archival = Archival.objects.get()
    assert f"已归档，档号 {archival.archive_no}（定期30年）" in done
    assert 'id="archive-no"' in done and archival.archive_no in done and 'id="archive-form"' not in done
    assert ">更正</a>" not in done and "作废（保留收文号）" not in done  # frozen: no correction or void offered
    slip = c.get(reverse("printing:slip", args=[t.pk])).content.decode()
    assert f"档号 {archival.archive_no} · 保管期限 定期30年" in slip  # the 处理单 names it too
    register = c.get(reverse("telegrams:register"), {"state": "archived"}).content.decode()
    assert t.receipt_no in register and f"档号 {archival.archive_no}" in register

    # Before a checkpoint covers the 归档 entry the download explains itself; afterwards it is a verifiable zip.
    waiting = c.get(reverse("printing:archive_package", args=[t.pk]), follow=True).content.decode()
    assert "尚未被签名检查点覆盖" in waiting
    services.sign_head()
    for user in (clerk, admin_user):
        response = client_for(user).get(reverse("printing:archive_package", args=[t.pk]))
        assert response.status_code == 200 and response["Content-Type"] == "application/zip"
        assert f"{archival.archive_no}.zip" in response["Content-Disposition"]
        verifier.verify(response.content)
        with zipfile.ZipFile(io.BytesIO(response.content)) as z:
            assert "slip.pdf" in z.namelist()


def test_who_may_archive_revoke_and_download(clerk, staff_zgh, leader, admin_user):
    t = factories.finished(clerk, staff_zgh)
    assert client_for(leader).post(reverse("archive:archive", args=[t.pk]), {"retention": "Y"}).status_code == 403
    assert client_for(staff_zgh).get(reverse("archive:page")).status_code == 403
    factories.archive(t, clerk)
    # A leader reads an archived telegram but is offered no 批示 box and no 传阅 (both would be refused).
    seen = client_for(leader).get(reverse("telegrams:detail", args=[t.pk])).content.decode()
    assert 'id="annotation-box"' not in seen and "档号" in seen and 'id="archive-download"' not in seen
    assert client_for(leader).get(reverse("printing:archive_package", args=[t.pk])).status_code == 403
    assert client_for(clerk).post(reverse("archive:revoke", args=[t.pk]), {"reason": "x"}).status_code == 403
    admin = client_for(admin_user)
    assert 'id="archive-revoke"' in admin.get(reverse("telegrams:detail", args=[t.pk])).content.decode()
    missing = admin.post(reverse("archive:revoke", args=[t.pk]), {"reason": ""}, follow=True).content.decode()
    assert "请填写撤销归档的原因。" in missing
    revoked = admin.post(reverse("archive:revoke", args=[t.pk]), {"reason": "档号编错"}, follow=True).content.decode()
    assert "已撤销归档，恢复为已办结" in revoked and "已撤销：" in revoked and "档号编错" in revoked
    assert Telegram.objects.get(pk=t.pk).state == TelegramState.DONE


def test_a_batch_is_archived_from_the_archive_page(clerk, staff_zgh, admin_user):
    done = [factories.finished(clerk, staff_zgh) for _ in range(2)]
    still_open = factories.another(clerk)
    c = client_for(clerk)
    page = c.get(reverse("archive:page")).content.decode()
    assert all(f'value="{t.pk}"' in page for t in done) and f'value="{still_open.pk}"' not in page

    nothing = c.post(reverse("archive:page"), {"retention": "D10"}, follow=True).content.decode()
    assert "请勾选要归档的来电。" in nothing
    made = c.post(reverse("archive:page"), {"retention": "D10", "telegrams": [t.pk for t in done]}, follow=True)

    numbers = list(Archival.objects.order_by("item_no").values_list("archive_no", flat=True))
    assert len(numbers) == 2 and f"已归档 2 件：{numbers[0]} 至 {numbers[1]}。" in made.content.decode()
    listed = client_for(admin_user).get(reverse("archive:page")).content.decode()
    assert all(n in listed for n in numbers) and 'id="batch-archive"' not in listed  # admins see, clerks archive
