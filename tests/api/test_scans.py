"""Scans: 补充扫描件 is one action (telegrams.actions.add_scans) for the clerk's page and the API; downloads are
audited; a file the telegram holds already is not stored twice, so a retried upload adds nothing."""
from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from audit.models import AuditEntry
from telegrams.models import Scan
from tests import factories
from tests.conftest import client_for
from tests.factories import PDF
from tests.security.conftest import PNG_1PX

from .conftest import problem_of

pytestmark = pytest.mark.django_db


def upload(*files):
    return {"files": [SimpleUploadedFile(name, content) for name, content in files]}


def test_the_clerk_adds_scans_and_a_unit_downloads_them(api_clerk, api_zgh, clerk):
    telegram = factories.register(clerk)
    factories.route_pending(telegram)
    url = f"/api/v1/telegrams/{telegram.pk}/scans/"
    response = api_clerk.post(url, upload(("page1.pdf", PDF), ("page2.png", PNG_1PX)), format="multipart")
    assert response.status_code == 201, response.content
    scans = response.json()
    assert [(s["filename"], s["content_type"], s["size"]) for s in scans] == [
        ("page1.pdf", "application/pdf", len(PDF)), ("page2.png", "image/png", len(PNG_1PX))]
    assert AuditEntry.objects.filter(action="telegram.add_scans", actor_id=clerk.pk).count() == 1

    retried = api_clerk.post(url, upload(("page1.pdf", PDF), ("page2.png", PNG_1PX)), format="multipart")
    assert retried.status_code == 201 and retried.json() == scans
    assert Scan.objects.count() == 2 and AuditEntry.objects.filter(action="telegram.add_scans").count() == 1

    assert api_zgh.get(url).json() == scans
    download = api_zgh.get(scans[0]["url"])
    assert download.status_code == 200 and download["Content-Type"] == "application/pdf"
    assert b"".join(download.streaming_content if download.streaming else [download.content]) == PDF
    assert AuditEntry.objects.filter(action="telegram.download_scan").count() == 1


def test_what_is_not_a_scan_is_refused_and_nothing_is_stored(api_clerk, clerk):
    telegram = factories.register(clerk)
    url = f"/api/v1/telegrams/{telegram.pk}/scans/"
    refused = api_clerk.post(url, upload(("notes.txt", "不是扫描件".encode())), format="multipart")
    assert refused.status_code == 400 and problem_of(refused)["field"] == "files"
    assert "不是PDF、JPEG或PNG文件" in problem_of(refused)["detail"]
    nothing = api_clerk.post(url, {}, format="multipart")
    assert nothing.status_code == 400 and problem_of(nothing)["field"] == "files"
    as_json = api_clerk.post(url, {"files": []}, format="json")
    assert as_json.status_code == 415
    assert not Scan.objects.exists()


def test_a_void_telegram_takes_no_scans(api_clerk, clerk):
    from telegrams import actions

    telegram = factories.register(clerk)
    actions.void(telegram, actor=clerk, reason="误登记")
    response = api_clerk.post(f"/api/v1/telegrams/{telegram.pk}/scans/", upload(("p.pdf", PDF)), format="multipart")
    assert response.status_code == 409 and problem_of(response)["code"] == "closed"


def test_only_the_clerk_uploads_and_others_units_see_404(api_leader, api_cz, api_zgh, clerk):
    telegram = factories.register(clerk)
    factories.route_pending(telegram)
    url = f"/api/v1/telegrams/{telegram.pk}/scans/"
    assert api_leader.post(url, upload(("p.pdf", PDF)), format="multipart").status_code == 403
    assert api_zgh.post(url, upload(("p.pdf", PDF)), format="multipart").status_code == 403
    assert api_cz.get(url).status_code == 404


def test_the_clerk_adds_scans_on_the_telegram_page(clerk):
    telegram = factories.register(clerk, scans=[PDF])
    client = client_for(clerk)
    page = client.get(reverse("telegrams:detail", args=[telegram.pk])).content.decode()
    assert "补充扫描件" in page and 'id="add-scans"' in page
    response = client.post(reverse("telegrams:add_scans", args=[telegram.pk]), {
        "scans": [SimpleUploadedFile("fax.png", PNG_1PX), SimpleUploadedFile("again.pdf", PDF)],
    }, follow=True)
    text = response.content.decode()
    assert "已补充1个扫描件；1个与本件已有扫描件相同，未重复保存。" in text
    assert list(telegram.scans.values_list("filename", flat=True)) == ["scan1.pdf", "fax.png"]
    refused = client.post(reverse("telegrams:add_scans", args=[telegram.pk]),
                          {"scans": [SimpleUploadedFile("x.txt", b"hello")]}, follow=True)
    assert "不是PDF、JPEG或PNG文件" in refused.content.decode()
    empty = client.post(reverse("telegrams:add_scans", args=[telegram.pk]), {}, follow=True)
    assert "请选择要上传的扫描件。" in empty.content.decode()
