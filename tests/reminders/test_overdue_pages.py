"""逾期与催办 on the pages: the clerk's overdue list by unit and days overdue with the 催办 button, leaders read it,
units may not; the telegram page and the printed 处理单 carry the 催办记录; the register and the routing history
filter what is overdue; the clerk moves a deadline from the telegram page. Every date with its year."""
from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from notifications.models import Alert, AlertKind
from reminders import actions
from reminders.models import ReminderRecord
from routing import actions as routing_actions
from routing.models import Delivery
from tests import factories
from tests.conftest import client_for
from tests.printing.helpers import pdf_text, squeeze

pytestmark = pytest.mark.django_db


@pytest.fixture
def late(clerk):
    """Two telegrams routed to 自治区总工会 (one also to 财政厅), past their deadlines by 3 and 12 days; a third on time."""
    today = timezone.localdate()
    made = []
    for days, instruction in ((3, "送：自治区总工会、自治区财政厅。"), (12, "送：自治区总工会。"), (-2, "送：自治区财政厅。")):
        t = factories.another(clerk, precedence="特急", instruction=instruction)
        factories.route_pending(t)
        Delivery.objects.filter(telegram=t).update(deadline=today - timedelta(days=days))
        made.append(t)
    return made


def test_the_clerk_sees_overdue_deliveries_by_unit_longest_first(late, clerk_client):
    page = clerk_client.get(reverse("reminders:overdue")).content.decode()
    assert "共 3 件逾期未办结" in page
    zgh, cz = page.index('data-unit="自治区总工会"'), page.index('data-unit="自治区财政厅"')
    assert zgh < cz  # 12 days beats 3
    assert page.index(late[1].receipt_no) < page.index(late[0].receipt_no, zgh)
    assert "12 天" in page and (timezone.localdate() - timedelta(days=12)).strftime("%Y-%m-%d") in page
    assert late[2].receipt_no not in page and page.count("催办</button>") == 3
    only = clerk_client.get(reverse("reminders:overdue"), {"min_days": 10}).content.decode()
    assert late[1].receipt_no in only and late[0].receipt_no not in only


def test_leaders_read_the_list_without_the_button_and_units_may_not(late, leader, staff_zgh):
    page = client_for(leader).get(reverse("reminders:overdue")).content.decode()
    assert late[1].receipt_no in page and "催办</button>" not in page
    assert client_for(staff_zgh).get(reverse("reminders:overdue")).status_code == 403
    d = Delivery.objects.get(telegram=late[1])
    assert client_for(leader).post(reverse("reminders:remind", args=[d.pk]), {"note": "请办理"}).status_code == 403


def test_the_clerk_reminds_from_the_list_and_the_unit_sees_it(late, clerk_client, staff_zgh,
                                                               django_capture_on_commit_callbacks):
    d = Delivery.objects.get(telegram=late[1])
    form = {"note": "请今天报送办理结果。", "token": "b" * 32, "next": reverse("reminders:overdue")}
    with django_capture_on_commit_callbacks(execute=True):
        response = clerk_client.post(reverse("reminders:remind", args=[d.pk]), form)
        clerk_client.post(reverse("reminders:remind", args=[d.pk]), form)  # a double click
    assert response.status_code == 302 and response["Location"] == reverse("reminders:overdue")
    assert ReminderRecord.objects.filter(delivery=d, kind="manual").count() == 1
    assert Alert.objects.filter(user=staff_zgh, kind=AlertKind.REMINDER).count() == 1
    page = clerk_client.get(reverse("reminders:overdue")).content.decode()
    assert "1 次" in page
    empty = clerk_client.post(reverse("reminders:remind", args=[d.pk]), {"note": ""}, follow=True).content.decode()
    assert "请填写催办内容。" in empty


def test_the_telegram_page_and_the_slip_show_the_reminders(late, clerk, clerk_client, staff_zgh, staff_cz,
                                                           django_capture_on_commit_callbacks):
    t = late[0]
    with django_capture_on_commit_callbacks(execute=True):
        actions.remind(Delivery.objects.get(telegram=t, unit=staff_zgh.person.unit), actor=clerk, note="请抓紧办理。")
        actions.remind(Delivery.objects.get(telegram=t, unit=staff_cz.person.unit), actor=clerk, note="财政厅请报送。")
    page = clerk_client.get(reverse("telegrams:detail", args=[t.pk])).content.decode()
    assert 'id="reminders-panel"' in page and "请抓紧办理。" in page and "财政厅请报送。" in page and "人工催办" in page
    own = client_for(staff_zgh).get(reverse("telegrams:detail", args=[t.pk])).content.decode()
    assert "请抓紧办理。" in own and "财政厅请报送。" not in own  # a unit sees its own reminders
    slip = squeeze(pdf_text(clerk_client.get(reverse("printing:slip_pdf", args=[t.pk])).content))
    assert squeeze("催办记录") in slip and squeeze("请抓紧办理。") in slip and squeeze("人工催办") in slip


def test_the_register_and_the_history_filter_what_is_overdue(late, clerk_client, admin_user):
    register = clerk_client.get(reverse("telegrams:register"), {"overdue": "on"}).content.decode()
    assert late[0].receipt_no in register and late[1].receipt_no in register and late[2].receipt_no not in register
    history = client_for(admin_user).get(reverse("routing:history"), {"overdue": "on"}).content.decode()
    assert late[1].receipt_no in history and late[2].receipt_no not in history


def test_the_clerk_moves_a_deadline_from_the_telegram_page(late, clerk_client, staff_zgh):
    d = Delivery.objects.get(telegram=late[1])
    new = date(timezone.localdate().year + 1, 1, 15)
    page = clerk_client.post(reverse("routing:change_deadline", args=[d.pk]),
                             {"deadline": new.isoformat(), "reason": "单位申请延期，主任同意。"}, follow=True).content.decode()
    assert f"自治区总工会的办结期限已改为{new:%Y-%m-%d}。" in page
    assert f"办结期限由{d.deadline:%Y-%m-%d}改为{new:%Y-%m-%d}：单位申请延期，主任同意。" in page  # the timeline
    refused = clerk_client.post(reverse("routing:change_deadline", args=[d.pk]), {"deadline": new.isoformat()},
                                follow=True).content.decode()
    assert "请填写修改原因。" in refused
    assert client_for(staff_zgh).post(reverse("routing:change_deadline", args=[d.pk]),
                                      {"deadline": "2030-01-01", "reason": "x"}).status_code == 403


def test_a_delivery_overdue_by_working_days_shows_both_counts(late, clerk_client, settings):
    settings.DEADLINE_COUNTING = "working"
    page = clerk_client.get(reverse("reminders:overdue")).content.decode()
    assert "个工作日" in page


def test_the_audit_log_names_reminders_and_deadline_changes(late, clerk, admin_user, django_capture_on_commit_callbacks):
    d = Delivery.objects.get(telegram=late[1])
    with django_capture_on_commit_callbacks(execute=True):
        actions.remind(d, actor=clerk, note="请抓紧办理。")
    routing_actions.change_deadline(d, deadline=timezone.localdate() + timedelta(days=5), reason="延期", actor=clerk)
    page = client_for(admin_user).get(reverse("audit:telegram", args=[late[1].pk])).content.decode()
    assert "催办" in page and f"{late[1].receipt_no} · 自治区总工会 · 人工催办" in page
    assert "修改办结期限" in page and "修改原因" in page


def test_the_api_register_filters_what_is_overdue_and_refuses_nonsense(late, clerk):
    from tests.api.conftest import token_client

    api = token_client(clerk)
    found = {t["receipt_no"] for t in api.get("/api/v1/telegrams/", {"overdue": "true"}).json()["results"]}
    assert found == {late[0].receipt_no, late[1].receipt_no}
    assert api.get("/api/v1/telegrams/", {"overdue": "false"}).json()["count"] == 3
    assert api.get("/api/v1/telegrams/", {"overdue": "perhaps"}).status_code == 400


def test_the_list_says_when_the_next_automatic_reminder_goes(late, clerk_client, settings):
    settings.REMINDER_TIME = "09:00"
    page = clerk_client.get(reverse("reminders:overdue")).content.decode()
    assert page.count('class="muted next-reminder"') == 3 and "下次自动 " in page and " 09:00</div>" in page
