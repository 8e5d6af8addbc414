"""我的提醒: a person's alerts, from the events the actions announce after commit; read and unread."""
from __future__ import annotations

from unittest import mock

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from notifications import channels
from notifications.models import Alert, AlertKind
from notifications.services import notify
from routing import actions as routing_actions
from routing.models import RoutingOrder
from tests import factories
from tests.conftest import client_for

pytestmark = pytest.mark.django_db


def test_an_alert_exists_only_once_the_registration_committed(clerk, leader, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as pending:
        factories.register(clerk, instruction="")
    assert not Alert.objects.exists()  # announced, not yet delivered: a rollback would have sent nothing
    for callback in pending:
        callback()
    assert Alert.objects.get(user=leader).kind == AlertKind.URGENT


def test_a_unit_staff_member_reads_his_alerts_and_marks_them_read(clerk, staff_zgh, after_commit):
    with after_commit():
        factories.route_pending(factories.register(clerk))
    c = client_for(staff_zgh)
    page = c.get(reverse("notifications:list")).content.decode()
    assert "新来电待签收" in page and "宁机明收[2020]1号" in page and "未读" in page
    c.post(reverse("notifications:read_all"))
    assert not Alert.objects.filter(user=staff_zgh, read_at__isnull=True).exists()
    assert "没有未读提醒" in c.get(reverse("notifications:list")).content.decode()
    assert "宁机明收[2020]1号" in c.get(reverse("notifications:list"), {"show": "all"}).content.decode()


def test_nobody_marks_another_persons_alert(clerk, leader, after_commit):
    with after_commit():
        factories.register(clerk, instruction="")
    alert = Alert.objects.get(user=leader)
    client_for(clerk).post(reverse("notifications:read", args=[alert.pk]))
    client_for(clerk).post(reverse("notifications:read_all"))
    alert.refresh_from_db()
    assert alert.read_at is None


def test_every_configured_channel_gets_the_message_after_commit(leader, after_commit):
    leader.email = "li@example.gov.cn"
    leader.save(update_fields=["email"])
    sent = []

    class Pager:
        name = "pager"

        def send(self, message):
            sent.append((message.subject, [u.username for u in message.recipients]))

    with after_commit():
        notify([leader], kind=AlertKind.SYSTEM, text="审计链告警：测试")
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["li@example.gov.cn"]  # the default channel: e-mail

    # An SMS/IM gateway is one more class with send(message), named in NOTIFICATION_CHANNELS.
    with mock.patch.object(channels, "configured", lambda: (Pager(),)), after_commit():
        notify([leader], kind=AlertKind.SYSTEM, text="第二条")
    assert sent == [("【系统告警】第二条", ["leader"])]
    assert Alert.objects.filter(user=leader, kind=AlertKind.SYSTEM).count() == 2  # in-app always


def test_an_alarm_alerts_every_administrator_once(admin_user, clerk, after_commit):
    from alarms.services import raise_alarm

    with after_commit():
        raise_alarm("audit", "witness", "审计链与见证日志不符：第5条已被改动")
    with after_commit():
        raise_alarm("audit", "witness", "审计链与见证日志不符：第5条已被改动")  # still open: not announced again
    alerts = Alert.objects.filter(kind=AlertKind.SYSTEM)
    assert [(a.user, a.link) for a in alerts] == [(admin_user, reverse("audit:verify"))]
    assert not Alert.objects.filter(user=clerk).exists()


def test_a_routing_batch_alerts_each_telegrams_people_with_one_insert_per_kind(clerk, staff_cz, after_commit):
    """A worker batch reaching three telegrams: 财政厅's 承办人 gets one alert per telegram, the clerks one per
    telegram for the units without 承办人 (民政厅, 教育厅) — written as one INSERT per kind, not one transaction
    per telegram — and every telegram still gets its own e-mail."""
    staff_cz.email, clerk.email = "cz@example.gov.cn", "jiyao@example.gov.cn"
    staff_cz.save(update_fields=["email"])
    clerk.save(update_fields=["email"])
    with after_commit():
        telegrams = [factories.another(clerk, precedence="平急", instruction="请财政厅牵头，民政厅、教育厅配合办理。")
                     for _ in range(3)]
    mail.outbox.clear()
    first = RoutingOrder.objects.filter(telegram__in=telegrams).order_by("pk").first()
    with CaptureQueriesContext(connection) as queries, after_commit():
        assert routing_actions.route(first.pk, batch=10) == 9  # one batch: three telegrams × three units
    inserts = [q["sql"] for q in queries.captured_queries if q["sql"].startswith('INSERT INTO "notifications_alert"')]
    assert len(inserts) == 2
    for t in telegrams:
        mine = Alert.objects.get(user=staff_cz, telegram=t)
        assert mine.kind == AlertKind.DELIVERED and t.receipt_no in mine.text
        clerks = Alert.objects.get(user=clerk, telegram=t, kind=AlertKind.NO_STAFF)
        assert "民政厅" in clerks.text and "教育厅" in clerks.text and "财政厅" not in clerks.text
    assert sorted((m.to[0], m.subject.split("：")[-1]) for m in mail.outbox) == sorted(
        [(to, t.receipt_no) for t in telegrams for to in ("cz@example.gov.cn", "jiyao@example.gov.cn")])
