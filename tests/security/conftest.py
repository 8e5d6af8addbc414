"""Real objects for the security tests: the seed telegram registered by the clerk (with a scan), routed to
自治区总工会 (unit A, staff_zgh), a 批示 by the leader; and row counters for "nothing was written"."""
from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from notifications.models import Alert
from routing.models import UnknownUnit
from tests.conftest import client_for
from tests.telegrams.helpers import SEED_FORM

PNG_1PX = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
    b"\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00\x00\x00IEND\xaeB`\x82"
)


@pytest.fixture
def world(demo, clerk, leader, admin_user, staff_zgh, staff_cz):
    """One telegram delivered to unit A (自治区总工会) with its delivery, a scan and a 批示."""
    from annotations.actions import annotate
    from api.actions import create_system_account
    from routing import actions as routing
    from routing.models import Delivery, RoutingOrder
    from telegrams.models import Telegram

    data = dict(SEED_FORM, scans=SimpleUploadedFile("page1.png", PNG_1PX, content_type="image/png"))
    response = client_for(clerk).post(reverse("telegrams:create"), data)
    assert response.status_code == 302, response.content.decode()[:2000]
    telegram = Telegram.objects.get()
    routing.route(RoutingOrder.objects.get(telegram=telegram).pk)
    delivery = Delivery.objects.get(telegram=telegram)
    assert delivery.unit.name == "自治区总工会"
    annotation = annotate(telegram, "同意。", leader)
    # A name its 批办 might have had that the directory lacks, and an alert (another person's, for the leader).
    unknown = UnknownUnit.objects.create(telegram=telegram, name="自治区水利厅")
    alert = Alert.objects.create(user=leader, telegram=telegram, kind="urgent", text="特提来电")
    # An integration's account and its token (the admin's 接口账号 page).
    account, token, _ = create_system_account(username="terminal", full_name="机要终端", role="机要员", unit=None,
                                              purpose="终端自动登记", actor=admin_user)
    # A scan the desk holds for a registration still to come (the folder's, or one kept across a failed save).
    from intake.actions import hold
    from telegrams.inputs import ScanUpload

    held = hold(ScanUpload("folder.png", "image/png", PNG_1PX), actor=clerk)
    return {
        "telegram": telegram, "delivery": delivery, "scan": telegram.scans.get(), "annotation": annotation,
        "unknown": unknown, "alert": alert, "held": held, "account": account, "token": token,
        "users": {"clerk": clerk, "leader": leader, "admin": admin_user, "staff_a": staff_zgh, "staff_b": staff_cz},
    }


@pytest.fixture
def procedure_world(world, clerk, staff_zgh):
    """The world plus the procedure's objects (issue 12), each on a telegram of its own delivered to unit A: a
    result with an attachment, a 退回 waiting to be routed on, and a telegram returned to its sender (退文)."""
    from routing import actions as routing
    from routing.models import ResultFile
    from telegrams.inputs import ReturnInput, ScanUpload
    from tests import factories

    finished = factories.another(clerk)
    factories.route_pending(finished)
    delivery = factories.delivery_of(finished, staff_zgh)
    routing.sign(delivery, actor=staff_zgh)
    routing.complete(delivery, actor=staff_zgh, result="已办理。",
                     files=[ScanUpload("办理情况.pdf", "application/pdf", factories.PDF)])
    sent_back = factories.another(clerk)
    factories.route_pending(sent_back)
    handback = routing.hand_back(factories.delivery_of(sent_back, staff_zgh), actor=staff_zgh, reason="非本单位职责。")
    returned = factories.another(clerk, instruction="")
    routing.return_telegram(returned, ReturnInput(reasons=["not_ours"]), actor=clerk)
    return {**world, "result_file": ResultFile.objects.get(delivery=delivery), "handback": handback, "returned": returned}


def row_counts() -> dict[str, int]:
    """Rows of everything a hostile request could try to write."""
    from annotations.models import Annotation
    from audit.models import AuditEntry
    from routing.models import Delivery, RoutingEvent, RoutingOrder
    from telegrams.models import Scan, Telegram, TelegramChange

    return {m.__name__: m.objects.count() for m in (
        Telegram, Scan, TelegramChange, AuditEntry, Delivery, RoutingOrder, RoutingEvent, Annotation,
    )}
