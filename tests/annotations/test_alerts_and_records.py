"""Alerts for urgent arrivals, encryption at rest, show_telegram --json, and the whole journey through a real
Celery worker."""
from __future__ import annotations

import io
import json

import pytest
from django.core import mail
from django.core.management import call_command
from django.db import connection
from django.urls import reverse

from annotations.models import Annotation
from audit.models import AuditEntry
from notifications.models import Alert, AlertKind
from routing.models import Delivery
from telegrams.models import Telegram
from tests import factories
from tests.conftest import client_for, wait_for

from .helpers import register, write, write_and_confirm


@pytest.mark.django_db
def test_a_teti_registration_alerts_every_leader_in_app_and_by_email(
    clerk, leader, leader2, django_capture_on_commit_callbacks
):
    leader.email = "li@example.gov.cn"
    leader.save(update_fields=["email"])  # leader2 has no address: in-app only

    with django_capture_on_commit_callbacks(execute=True):
        factories.register(clerk, instruction="")
    t = Telegram.objects.get()

    alerts = {a.user: a for a in Alert.objects.all()}
    assert set(alerts) == {leader, leader2}
    assert alerts[leader].kind == AlertKind.URGENT and t.receipt_no in alerts[leader].text
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["li@example.gov.cn"] and "特提" in mail.outbox[0].subject
    assert t.receipt_no in mail.outbox[0].subject

    c = client_for(leader)
    inbox = c.get(reverse("annotations:inbox")).content.decode()
    assert '<span class="badge-alert" id="alerts-badge">1</span>' in inbox
    assert 'id="alerts"' in inbox and t.receipt_no in inbox
    with django_capture_on_commit_callbacks(execute=True):
        c.get(reverse("telegrams:detail", args=[t.pk]))  # opening the telegram reads its alert
    assert Alert.objects.get(user=leader).read_at is not None
    # The badge stays in the page for the live poll to fill (static/js/live.js), hidden at 0.
    assert 'id="alerts-badge" hidden>0</span>' in c.get(reverse("annotations:inbox")).content.decode()
    assert Alert.objects.get(user=leader2).read_at is None


@pytest.mark.django_db
def test_ordinary_precedence_raises_no_alert(clerk, leader, django_capture_on_commit_callbacks):
    leader.email = "li@example.gov.cn"
    leader.save(update_fields=["email"])
    with django_capture_on_commit_callbacks(execute=True):
        factories.register(clerk, precedence="平急", sender_doc_no="A〔2020〕1号")
        factories.register(clerk, precedence="特急", sender_doc_no="A〔2020〕2号")
    assert [a.telegram.precedence for a in Alert.objects.filter(user=leader)] == ["特急"]
    assert {a.telegram.precedence for a in Alert.objects.all()} == {"特急"}  # every leader, only the 特急
    assert len(mail.outbox) == 1


@pytest.mark.django_db
def test_annotation_text_is_not_stored_in_plaintext(clerk, leader):
    secret = "同意此项安排务必保密推进XQ7"
    t = register(clerk)
    write(client_for(leader), t, secret)
    a = Annotation.objects.get()
    assert a.text == secret

    with connection.cursor() as cur:
        cur.execute("SELECT text_enc, author_name, reason FROM annotations_annotation")
        rows = cur.fetchall()
    assert rows and all(secret not in str(v) for row in rows for v in row)
    assert rows[0][0].startswith("v1:")
    assert not any(secret in d for d in AuditEntry.objects.values_list("data", flat=True))
    dump = io.StringIO()
    call_command("dumpdata", stdout=dump)
    assert secret not in dump.getvalue() and "XQ7" not in dump.getvalue()

    # The ciphertext is bound to its row: copied onto another 批示 it does not open.
    from vault.crypto import VaultError

    other = Annotation(telegram=t, author=leader, author_name="李领导", text_enc=a.text_enc)
    with pytest.raises(VaultError):
        _ = other.text


@pytest.mark.django_db
def test_show_telegram_json_lists_every_annotation_version(clerk, leader):
    t = register(clerk)
    c = client_for(leader)
    write(c, t, "同意。")
    first = Annotation.objects.get()
    c.post(reverse("annotations:correct", args=[first.pk]), {"text": "同意，请尽快办理。", "reason": "补充"})

    out = io.StringIO()
    call_command("show_telegram", t.receipt_no, "--json", stdout=out)
    data = json.loads(out.getvalue())

    assert [(a["author"], a["text"]) for a in data["annotations"]] == [("李领导", "同意。"), ("李领导", "同意，请尽快办理。")]
    assert all(a["at"].endswith("+08:00") for a in data["annotations"])
    assert data["annotation"] == "同意，请尽快办理。"


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_confirmed_annotation_reaches_the_unit_through_the_worker(celery_worker_process, clerk, leader, staff_cz):
    t = register(clerk, precedence="特提", hours_ago=3)
    c = client_for(leader)
    inbox = c.get(reverse("annotations:inbox")).content.decode()
    first_row = inbox.split("<tbody>")[1].split("</tr>")[0]
    assert t.receipt_no in first_row and "3小时" in first_row

    done = write_and_confirm(c, t, "请财政厅牵头，民政厅配合办理。")
    assert done.status_code == 302

    delivered = wait_for(lambda: Delivery.objects.filter(telegram=t).count() == 2, timeout=30)
    assert delivered, celery_worker_process.log.read_text(errors="replace")[-3000:]
    roles = dict(Delivery.objects.filter(telegram=t).values_list("unit__name", "role"))
    assert roles == {"自治区财政厅": "lead", "自治区民政厅": "assist"}
    unit_inbox = client_for(staff_cz).get(reverse("routing:inbox")).content.decode()
    assert t.receipt_no in unit_inbox and "牵头" in unit_inbox
    assert "请财政厅牵头，民政厅配合办理。" in client_for(staff_cz).get(
        reverse("telegrams:detail", args=[t.pk])).content.decode()
