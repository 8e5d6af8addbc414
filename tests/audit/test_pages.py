"""The audit pages: admins review the log, a telegram's whole history, and verify the chain; nobody else can."""
from __future__ import annotations

import csv
import io

import pytest
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEntry, VerificationRun
from routing.models import RoutingOrder
from telegrams.models import Telegram
from tests.conftest import client_for, wait_for
from tests.telegrams.helpers import form

from .helpers import sql, tampering


def register(clerk_client, **overrides) -> Telegram:
    response = clerk_client.post(reverse("telegrams:create"), form(**overrides))
    assert response.status_code == 302, response.content.decode()[:2000]
    return Telegram.objects.order_by("-pk").first()


@pytest.fixture
def telegram(clerk_client):
    return register(clerk_client)


def audit_urls(telegram) -> list[str]:
    return [reverse("audit:log"), reverse("audit:csv"), reverse("audit:telegram", args=[telegram.pk]),
            reverse("audit:verify")]


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["clerk", "leader", "zonggonghui", "caizheng"])
def test_only_admins_get_in_everyone_else_gets_403(demo, telegram, who):
    c = client_for(demo[who])
    for url in audit_urls(telegram):
        assert c.get(url).status_code == 403, url
    assert c.post(reverse("audit:verify")).status_code == 403
    assert not VerificationRun.objects.exists()


@pytest.mark.django_db
def test_anonymous_users_are_sent_to_the_login_page(telegram, client):
    for url in audit_urls(telegram):
        response = client.get(url)
        assert response.status_code == 302 and reverse("login") in response["Location"], url
    assert client.post(reverse("audit:verify")).status_code == 302
    assert not VerificationRun.objects.exists()


@pytest.mark.django_db
def test_admin_finds_a_registration_in_the_log_by_receipt_number_action_actor_and_date(admin_user, clerk_client):
    first = register(clerk_client)
    second = register(clerk_client, sender_doc_no="工发电[2020]8号", title="第二份来电")
    c = client_for(admin_user)
    page = c.get(reverse("audit:log")).content.decode()
    assert "登记来电" in page and first.receipt_no in page and second.receipt_no in page

    by_receipt = c.get(reverse("audit:log"), {"telegram": first.receipt_no}).context["page"].object_list
    assert {e.action for e in by_receipt} >= {"telegram.register", "routing.order"}
    assert all(second.receipt_no not in e.data for e in by_receipt)

    by_label = c.get(reverse("audit:log"), {"action": "登记来电"}).context["page"].object_list
    assert [e.action for e in by_label] == ["telegram.register", "telegram.register"]
    assert [e.seq for e in by_label] == sorted((e.seq for e in by_label), reverse=True)  # newest first
    by_prefix = c.get(reverse("audit:log"), {"action": "routing"}).context["page"].object_list
    assert {e.action for e in by_prefix} == {"routing.order", "routing.delivered"}  # 特提: routed as registered

    clerk_name = first.registered_by.person.full_name
    by_actor = c.get(reverse("audit:log"), {"actor": clerk_name[:2], "action": "telegram.register"}).context["page"]
    assert by_actor.paginator.count == 2
    nobody = c.get(reverse("audit:log"), {"actor": "不存在的人"}).context["page"]
    assert nobody.paginator.count == 0

    today = first.registered_at.astimezone().date().isoformat()
    dated = c.get(reverse("audit:log"), {"date_from": today, "date_to": today, "action": "telegram.register"})
    assert dated.context["page"].paginator.count == 2
    before = c.get(reverse("audit:log"), {"date_to": "2020-01-01"}).context["page"]
    assert before.paginator.count == 0


@pytest.mark.django_db
def test_the_log_is_paginated(admin_user):
    from .helpers import append

    entries = append(120)
    c = client_for(admin_user)
    page1 = c.get(reverse("audit:log"), {"action": "test.event"}).context["page"]
    assert page1.paginator.num_pages == 3 and page1.object_list[0].seq == entries[-1].seq
    page3 = c.get(reverse("audit:log"), {"action": "test.event", "page": 3}).context["page"]
    assert page3.object_list[len(page3.object_list) - 1].seq == entries[0].seq


@pytest.mark.django_db
def test_csv_export_follows_the_filters_and_keeps_the_hashes(admin_user, telegram):
    c = client_for(admin_user)
    response = c.get(reverse("audit:csv"), {"telegram": telegram.receipt_no})
    assert response["Content-Type"].startswith("text/csv")
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0][:5] == ["序号", "时间", "操作人ID", "操作人", "动作"]
    actions = [r[4] for r in rows[1:]]
    assert "telegram.register" in actions and "routing.order" in actions
    register_row = next(r for r in rows[1:] if r[4] == "telegram.register")
    entry = AuditEntry.objects.get(seq=int(register_row[0]))
    assert register_row[-1] == entry.hash and register_row[8] == entry.data
    # The export itself is on the record.
    assert AuditEntry.objects.filter(action="audit.export_csv", actor_id=admin_user.pk).exists()


@pytest.mark.django_db
def test_a_telegrams_history_has_everything_about_it_and_nothing_else(admin_user, clerk_client):
    t = register(clerk_client)
    other = register(clerk_client, sender_doc_no="工发电[2020]9号")
    c = client_for(admin_user)
    c.get(reverse("telegrams:detail", args=[t.pk]))  # viewing the body is recorded too
    response = c.get(reverse("audit:telegram", args=[t.pk]))
    assert response.status_code == 200
    entries = list(response.context["page"].object_list)
    actions = [e.action for e in entries]
    assert actions[0] == "telegram.register" and "routing.order" in actions
    assert "telegram.view_body" in actions
    assert [e.seq for e in entries] == sorted(e.seq for e in entries)  # in the order things happened
    assert all(other.receipt_no not in e.data for e in entries)
    assert all(not (e.object_type == "telegrams.telegram" and e.object_id == str(other.pk)) for e in entries)
    order = RoutingOrder.objects.get(telegram=t)
    page = response.content.decode()
    assert order.text in page and "分送指令" in page
    # The telegram page links here for admins only.
    assert reverse("audit:telegram", args=[t.pk]) in c.get(reverse("telegrams:detail", args=[t.pk])).content.decode()
    assert reverse("audit:telegram", args=[t.pk]) not in clerk_client.get(reverse("telegrams:detail", args=[t.pk])).content.decode()


@pytest.mark.django_db
def test_history_of_a_missing_telegram_is_404(admin_user):
    assert client_for(admin_user).get(reverse("audit:telegram", args=[999999])).status_code == 404


@pytest.mark.django_db
def test_the_verify_page_shows_the_public_key(admin_user):
    from audit import signing

    page = client_for(admin_user).get(reverse("audit:verify")).content.decode()
    assert signing.public_key_b64() in page and "BEGIN PUBLIC KEY" in page


@pytest.mark.django_db
def test_verify_task_reports_a_broken_chain(admin_user, telegram):
    from audit.tasks import verify_chain

    run = VerificationRun.objects.create(requested_by=admin_user)
    with tampering():
        sql("UPDATE audit_auditentry SET actor_name = %s WHERE seq = 1", ["别人"])
    assert verify_chain(run.pk) is False
    run.refresh_from_db()
    assert run.ok is False and run.first_bad_seq == 1 and "FAIL at seq 1: hash mismatch" in run.message
    page = client_for(admin_user).get(reverse("audit:verify")).content.decode()
    assert "发现异常" in page and "哈希不符" in page
    assert verify_chain(run.pk) is None  # a redelivered message does not run it twice


@pytest.mark.django_db
def test_a_pending_verification_reloads_the_page_until_it_finishes(admin_user):
    c = client_for(admin_user)
    run = VerificationRun.objects.create(requested_by=admin_user)
    assert c.get(reverse("audit:verify"))["Refresh"] == "3"
    VerificationRun.objects.filter(pk=run.pk).update(ok=True, finished_at=timezone.now(), message="OK 0 entries")
    assert "Refresh" not in c.get(reverse("audit:verify")).headers


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_verify_now_runs_on_the_worker_and_shows_ok(celery_worker_process, admin_user, clerk_client):
    register(clerk_client)
    c = client_for(admin_user)
    response = c.post(reverse("audit:verify"))
    assert response.status_code == 302 and response["Location"] == reverse("audit:verify")
    run = VerificationRun.objects.get()
    assert run.requested_by == admin_user
    done = wait_for(lambda: VerificationRun.objects.filter(pk=run.pk, finished_at__isnull=False).first(), timeout=60)
    assert done is not None, celery_worker_process.log.read_text()[-3000:]
    assert done.ok is True, done.message
    assert done.count == AuditEntry.objects.filter(seq__lte=done.count).count() >= 3
    page = c.get(reverse("audit:verify"))
    assert "Refresh" not in page.headers
    text = page.content.decode()
    assert "通过" in text and f"OK {done.count} entries" in text
    assert AuditEntry.objects.filter(action="audit.verify_requested", actor_id=admin_user.pk).exists()
