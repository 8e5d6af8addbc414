"""我的提醒: a person's alerts, from the events the actions announce after commit; read and unread."""
from __future__ import annotations

from unittest import mock

import pytest
from django.core import mail
from django.urls import reverse

from notifications import channels
from notifications.models import Alert, AlertKind
from notifications.services import notify
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
