"""A scan leaves the vault only through the download view: access checked, every download audited."""
from __future__ import annotations

import pytest
from django.conf import settings
from django.urls import reverse

from audit.models import AuditEntry
from tests.conftest import client_for

from .conftest import PDF, register_seed

pytestmark = pytest.mark.django_db


def test_the_clerk_downloads_the_plaintext_and_the_download_is_audited(clerk, clerk_client, scan_root, no_broker):
    telegram = register_seed(clerk)
    scan = telegram.scans.get()
    url = reverse("telegrams:scan", args=[telegram.pk, scan.pk])
    response = clerk_client.get(url)
    assert response.status_code == 200 and response.content == PDF
    assert "no-store" in response["Cache-Control"]
    entry = AuditEntry.objects.filter(action="telegram.download_scan").get()
    assert entry.object_id == str(scan.pk) and scan.sha256 in entry.data


def test_another_units_staff_gets_404_and_nothing_is_audited(clerk, clerk_client, staff_cz, scan_root, no_broker):
    telegram = register_seed(clerk)  # routed to 自治区总工会, not to 财政厅
    scan = telegram.scans.get()
    response = client_for(staff_cz).get(reverse("telegrams:scan", args=[telegram.pk, scan.pk]))
    assert response.status_code == 404
    assert not AuditEntry.objects.filter(action="telegram.download_scan").exists()


def test_scan_files_are_not_under_any_folder_served_as_static_files():
    root = settings.SCAN_ROOT.resolve()
    for served in [settings.STATIC_ROOT, *settings.STATICFILES_DIRS]:
        served = type(root)(served).resolve()
        assert served != root and served not in root.parents and root not in served.parents
