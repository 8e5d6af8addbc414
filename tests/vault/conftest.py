"""Helpers for the vault tests: two data keys, a private scan folder, and the seed telegram taken from the
registration form through routing to a unit's 办结 result (and a leader's 批示 when that app is there)."""
from __future__ import annotations

import io

import pytest
from django.urls import resolve, reverse

from telegram_office.embedded import new_data_key_ring
from tests.telegrams.helpers import form

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
    """Routing orders are routed by calling the service here, not sent to a broker."""
    sent = []
    monkeypatch.setattr("routing.services.dispatch", lambda order: sent.append(order.pk))
    return sent


def annotations_available() -> bool:
    try:
        from annotations.services import annotate  # noqa: F401
    except ImportError:
        return False
    return True


def register_seed(client, **overrides):
    """The clerk registers the seed telegram with a scanned PDF through the form; returns the Telegram."""
    from telegrams.models import Telegram

    scan = io.BytesIO(PDF)
    scan.name = "744.pdf"
    response = client.post(reverse("telegrams:create"), {**form(**overrides), "scans": [scan]})
    assert response.status_code == 302, response.content.decode()[:2000]
    return Telegram.objects.get(pk=resolve(response["Location"]).kwargs["pk"])


def route_and_complete(telegram, staff, result: str = RESULT):
    """The routing worker's job, then the unit signs for the telegram and reports it done with a result."""
    from routing import services
    from routing.models import Delivery, RoutingOrder

    for order in RoutingOrder.objects.filter(telegram=telegram):
        services.route(order.pk)
    delivery = Delivery.objects.get(telegram=telegram, unit=staff.person.unit)
    services.sign(delivery, actor=staff)
    return services.complete(delivery, actor=staff, result=result)


def write_annotation(telegram, leader, text: str = ANNOTATION):
    from annotations.services import annotate

    return annotate(telegram, text, leader)
