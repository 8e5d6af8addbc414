"""The register tells the clerk where each telegram is: who handles it and how far each unit is (2/3 办结, who has
not signed yet), the nearest open deadline with its year and whether it has passed; the search also finds the
sender. One query for the page's deliveries, however many rows and units."""
from __future__ import annotations

import re
from datetime import date, datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from routing import actions as routing_actions
from routing.models import Delivery
from routing.progress import for_telegrams
from tests import factories

pytestmark = pytest.mark.django_db

THREE_UNITS = "请财政厅牵头，总工会、民政厅配合办理。"


def row_of(html: str, receipt_no: str) -> str:
    body = html.split("<tbody>")[1]
    return next(r for r in body.split("</tr>") if receipt_no in r)


def text_of(fragment: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", fragment)).strip()


def cell(row: str, label: str) -> str:
    return text_of(re.search(rf'data-label="{label}">(.*?)</td>', row, re.S).group(1))


@pytest.fixture
def three_units(clerk, staff_zgh, staff_cz):
    """The seed routed to three units: 总工会 finished, 财政厅 (lead) signed, 民政厅 not signed yet."""
    t = factories.register(clerk, precedence="平急", instruction=THREE_UNITS)
    factories.route_pending(t)
    factories.sign_and_finish(t, staff_zgh, result="已配合办理。")
    routing_actions.sign(factories.delivery_of(t, staff_cz), actor=staff_cz)
    return t


def test_a_row_shows_the_units_their_progress_and_the_nearest_open_deadline(clerk_client, three_units):
    row = row_of(clerk_client.get(reverse("telegrams:register")).content.decode(), three_units.receipt_no)
    units = re.findall(r'class="unit-mark mark-(\w+)(?: unread)?" title="([^"]+)">([^<]+)', row)
    assert units == [
        ("signed", "自治区财政厅（牵头）：办理中，未读", "财政厅"),  # the lead first; signed from its inbox
        ("done", "自治区总工会（配合）：已办结", "区总工会"),  # its short name
        ("delivered", "自治区民政厅（配合）：待签收，未读", "民政厅"),
    ]
    assert "牵头" in cell(row, "承办单位")
    assert cell(row, "状态") == "办理中 1/3 办结 1家未签收 2家未读"  # nobody opened the telegram page
    # 平急: ten days from 2020-05-01, long past in this replay of 2020 — with the year, and marked.
    assert cell(row, "办结期限") == "2020-05-11 已逾期"
    assert 'class="overdue"' in row


def test_a_telegram_not_routed_yet_says_so(clerk_client, clerk):
    t = factories.register(clerk, instruction="")
    row = row_of(clerk_client.get(reverse("telegrams:register")).content.decode(), t.receipt_no)
    assert cell(row, "承办单位") == "—" and cell(row, "办结期限") == "—"
    assert cell(row, "状态") == "已登记"
    assert cell(row, "来电单位") == "中华全国总工会办公厅 工发电〔2020〕7号"


@pytest.mark.usefixtures("urgent_via_worker")
def test_units_the_worker_has_not_reached_yet_are_counted(clerk_client, clerk):
    t = factories.register(clerk, instruction=THREE_UNITS)  # the order waits for the worker
    row = row_of(clerk_client.get(reverse("telegrams:register")).content.decode(), t.receipt_no)
    assert cell(row, "承办单位") == "3家待分送"
    assert cell(row, "状态") == "已批办"
    factories.route_pending(t)
    row = row_of(clerk_client.get(reverse("telegrams:register")).content.decode(), t.receipt_no)
    assert cell(row, "承办单位") == "财政厅 牵头 区总工会 民政厅"
    assert cell(row, "状态") == "已批办 0/3 办结 3家未签收 3家未读"


def test_the_nearest_deadline_is_of_a_unit_still_at_work(three_units, staff_zgh):
    finished = factories.delivery_of(three_units, staff_zgh)
    Delivery.objects.filter(pk=finished.pk).update(deadline=date(2020, 5, 3))  # done: no longer anyone's deadline
    Delivery.objects.filter(telegram=three_units, unit__short_name="民政厅").update(deadline=date(2020, 5, 20))
    progress = for_telegrams([three_units.pk], today=date(2020, 5, 15))[three_units.pk]
    assert progress.deadline == date(2020, 5, 11) and progress.overdue  # 财政厅's, not 总工会's 5-03
    progress = for_telegrams([three_units.pk], today=date(2020, 5, 11))[three_units.pk]
    assert not progress.overdue  # due today is not overdue yet


def test_all_finished_means_no_open_deadline(clerk, staff_zgh, clerk_client):
    t = factories.register(clerk)
    factories.sign_and_finish(t, staff_zgh)
    row = row_of(clerk_client.get(reverse("telegrams:register")).content.decode(), t.receipt_no)
    assert cell(row, "状态") == "已办结 1/1 办结"
    assert cell(row, "办结期限") == "—"


@pytest.mark.parametrize("q, found", [
    ("全国总工会", {"工发电〔2020〕7号"}),  # the sender
    ("财政部办公厅", {"财办电〔2020〕1号"}),
    ("财办电[2020]1号", {"财办电〔2020〕1号"}),  # the sender's number, brackets as typed
    ("预算", {"财办电〔2020〕1号"}),  # the title
])
def test_the_search_finds_receipt_number_sender_number_sender_and_title(clerk_client, clerk, q, found):
    factories.register(clerk)
    # Its own body: the search also looks in bodies (the seed's names 全国总工会).
    factories.register(clerk, sender_unit_name="财政部办公厅", sender_doc_no="财办电〔2020〕1号",
                       title="关于做好预算执行工作的通知", body="请按要求抓紧办理。")
    html = clerk_client.get(reverse("telegrams:register"), {"q": q}).content.decode().split("<tbody>")[1]
    assert {n for n in ("工发电〔2020〕7号", "财办电〔2020〕1号") if n in html} == found


def test_the_page_costs_the_same_queries_for_two_rows_or_twelve(clerk_client, clerk, staff_zgh):
    def page_queries() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert clerk_client.get(reverse("telegrams:register")).status_code == 200
        return len(queries)

    for _ in range(2):
        factories.route_pending(factories.another(clerk, instruction=THREE_UNITS))
    few = page_queries()
    for n in range(10):
        t = factories.another(clerk, instruction=THREE_UNITS if n % 2 else "送：自治区总工会。",
                              received_at=timezone.make_aware(datetime(2020, 5, 2, 8, n)))
        factories.route_pending(t)
        if n % 3 == 0:
            factories.sign_and_finish(t, staff_zgh)
    assert page_queries() == few


def test_units_that_have_not_opened_it_are_marked_unread(clerk_client, three_units, staff_cz):
    row = row_of(clerk_client.get(reverse("telegrams:register")).content.decode(), three_units.receipt_no)
    # Nobody opened it: 财政厅 signed from its inbox, 民政厅 has not even signed; 总工会 finished (not open).
    assert cell(row, "状态") == "办理中 1/3 办结 1家未签收 2家未读"
    assert 'title="自治区民政厅（配合）：待签收，未读"' in row
    routing_actions.note_opened(three_units, staff_cz)  # someone of 财政厅 opens the telegram
    row = row_of(clerk_client.get(reverse("telegrams:register")).content.decode(), three_units.receipt_no)
    assert cell(row, "状态") == "办理中 1/3 办结 1家未签收 1家未读"
    assert 'title="自治区财政厅（牵头）：办理中"' in row
