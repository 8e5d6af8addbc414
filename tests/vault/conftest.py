"""Helpers for the vault tests: two data keys, a private scan folder, and the seed telegram taken from the
registration form through routing to a unit's 办结 result (and a leader's 批示 when that app is there)."""
from __future__ import annotations

import pytest

from core.secrets import new_data_key_ring
from telegrams.inputs import ScanUpload
from tests import factories

PDF_MARKER = b"PLAINTEXT-SCAN-MARKER-744"
PDF = b"%PDF-1.4\n% " + PDF_MARKER + b"\n" + b"1 0 obj << /Type /Catalog >> endobj\n" * 20 + b"%%EOF\n"
RESULT = "已组织全区各级工会传达学习回信精神，落实情况另行书面报告。"
# No unit or leader named: the 批示 is only kept, it does not route.
ANNOTATION = "此件很重要，务必认真学习领会回信精神，结合实际抓好贯彻落实。"


def new_key() -> tuple[str, str]:
    """(kid, "kid:base64") — a fresh AES-256 key in the TELEGRAM_DATA_KEYS form."""
    spec = new_data_key_ring()
    return spec.split(":", 1)[0], spec


@pytest.fixture(autouse=True)
def _role_groups_after_a_flush(request):
    """A transactional test starts from a flushed database: the role groups made by a data migration are gone,
    and seed_demo needs them. (serialized_rollback would restore them, but clashes with the content types that
    the flush after an earlier transactional test re-creates.)"""
    marker = request.node.get_closest_marker("django_db")
    if marker and marker.kwargs.get("transaction"):
        request.getfixturevalue("transactional_db")
        from django.contrib.auth.models import Group

        from directory import roles

        for name in roles.ALL_ROLES:
            Group.objects.get_or_create(name=name)


@pytest.fixture
def keys(settings):
    """Two keys, old first: the ring a deployment has before it rotates."""
    (old_kid, old), (new_kid, new) = new_key(), new_key()
    while new_kid == old_kid:
        new_kid, new = new_key()
    settings.TELEGRAM_DATA_KEYS = f"{old},{new}"
    return {"old_kid": old_kid, "old": old, "new_kid": new_kid, "new": new}


@pytest.fixture
def scan_root(settings, tmp_path):
    settings.SCAN_ROOT = tmp_path / "scans"
    return settings.SCAN_ROOT


@pytest.fixture
def no_broker(monkeypatch):
    """Routing orders are routed by calling the action here, not sent to a broker."""
    sent = []
    monkeypatch.setattr("routing.actions.dispatch", lambda order: sent.append(order.pk))
    return sent


def register_seed(clerk, **overrides):
    """The clerk registers the seed telegram with a scanned PDF (as the form's 保存并编号 does)."""
    return factories.register(clerk, scans=[ScanUpload("744.pdf", "application/pdf", PDF)], **overrides)


def route_and_complete(telegram, staff, result: str = RESULT):
    """The routing worker's job, then the unit signs for the telegram and reports it done with a result."""
    return factories.sign_and_finish(telegram, staff, result)


def write_annotation(telegram, leader, text: str = ANNOTATION):
    return factories.annotate(telegram, leader, text)
