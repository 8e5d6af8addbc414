"""Live pages: the poll every open page makes (notifications:live). It answers 304 while nothing the person sees
has changed, the right figures for each person when something did, never another unit's, and never keeps a
session alive by itself."""
from __future__ import annotations

import json
import re

import pytest
from django.contrib.sessions.models import Session
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from annotations import actions as annotation_actions
from notifications.models import Alert
from routing import actions as routing_actions
from tests import factories
from tests.conftest import client_for

pytestmark = pytest.mark.django_db

LIVE = "notifications:live"
BACKGROUND = {"HTTP_X_LIVE": "1"}  # what static/js/live.js sends


class Poller:
    """One open page: it polls with the ETag of its last answer, as static/js/live.js does."""

    def __init__(self, user):
        self.client = client_for(user)
        self.etag: str | None = None
        self.last: dict | None = None

    def poll(self):
        headers = dict(BACKGROUND)
        if self.etag:
            headers["HTTP_IF_NONE_MATCH"] = self.etag
        response = self.client.get(reverse(LIVE), **headers)
        assert response["ETag"]
        if response.status_code == 200:
            self.etag = response["ETag"]
            self.last = json.loads(response.content)
        return response

    def changed(self) -> bool:
        status = self.poll().status_code
        assert status in (200, 304)
        return status == 200


def test_nothing_changed_is_a_304_without_a_body(staff_zgh):
    page = Poller(staff_zgh)
    first = page.poll()
    assert first.status_code == 200 and first["Content-Type"] == "application/json"
    assert page.last["alerts"] == {"unread": 0, "urgent": []}
    assert page.last["inbox"] == {"todo": 0, "doing": 0}
    again = page.poll()
    assert again.status_code == 304 and again.content == b""
    assert again["ETag"] == page.etag


@pytest.mark.usefixtures("urgent_via_worker")
def test_a_teti_routed_to_a_unit_reaches_its_poll_and_no_other_units(clerk, staff_zgh, staff_cz, after_commit):
    zgh, cz = Poller(staff_zgh), Poller(staff_cz)
    zgh.poll(), cz.poll()
    with after_commit():
        teti = factories.register(clerk)  # the seed: 特提, 送：自治区总工会。
    assert not zgh.changed()  # registered, not yet routed: nothing in the inbox yet
    with after_commit():
        factories.route_pending(teti)
    assert zgh.changed()
    assert zgh.last["inbox"] == {"todo": 1, "doing": 0}
    assert zgh.last["alerts"]["unread"] == 1
    [urgent] = zgh.last["alerts"]["urgent"]
    assert urgent["url"] == reverse("telegrams:detail", args=[teti.pk])
    assert teti.receipt_no in urgent["text"] and urgent["text"].startswith("特提来电待签收")
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d", urgent["at"])  # with the year
    # 自治区财政厅's open page learns nothing: same answer, nothing of the other unit in it.
    assert not cz.changed()
    assert cz.last["inbox"] == {"todo": 0, "doing": 0} and cz.last["alerts"] == {"unread": 0, "urgent": []}


def test_signing_and_finishing_change_the_units_inbox(clerk, staff_zgh, staff_cz, after_commit):
    with after_commit():
        teti = factories.register(clerk)
        factories.route_pending(teti)
    zgh, cz = Poller(staff_zgh), Poller(staff_cz)
    zgh.poll(), cz.poll()
    delivery = factories.delivery_of(teti, staff_zgh)
    routing_actions.sign(delivery, actor=staff_zgh)
    assert zgh.changed() and zgh.last["inbox"] == {"todo": 0, "doing": 1}
    routing_actions.complete(delivery, actor=staff_zgh, result="已办理。")
    assert zgh.changed() and zgh.last["inbox"] == {"todo": 0, "doing": 0}
    assert not cz.changed()


def test_the_leader_sees_a_telegram_arrive_and_leave_the_inbox(clerk, leader, after_commit):
    page = Poller(leader)
    page.poll()
    assert "leader" in page.last["versions"] and "inbox" not in page.last
    with after_commit():
        waiting = factories.another(clerk, precedence="平急", instruction="")  # no alert for 平急
    assert page.changed() and page.last["alerts"]["unread"] == 0
    assert not page.changed()
    factories.annotate(waiting, leader, "阅。")  # leaves 待批示
    assert page.changed()
    with after_commit():
        teti = factories.register(clerk, instruction="")
    assert page.changed()
    assert [a["url"] for a in page.last["alerts"]["urgent"]] == [reverse("telegrams:detail", args=[teti.pk])]


def test_the_banner_lists_only_unread_teti_alerts_of_the_person(clerk, leader, after_commit):
    with after_commit():
        factories.another(clerk, precedence="特急", instruction="")  # leaders are alerted, but it is no 特提
        teti = factories.register(clerk, instruction="")
    page = Poller(leader)
    page.poll()
    assert page.last["alerts"]["unread"] == 2
    assert [a["id"] for a in page.last["alerts"]["urgent"]] == [Alert.objects.get(telegram=teti, user=leader).pk]
    with after_commit():
        client_for(leader).get(reverse("telegrams:detail", args=[teti.pk]))  # opening it reads its alerts
    assert page.changed()
    assert page.last["alerts"] == {"unread": 1, "urgent": []}
    assert Poller(clerk).poll().json()["alerts"] == {"unread": 0, "urgent": []}


def test_marking_alerts_read_changes_the_answer(clerk, leader, after_commit):
    with after_commit():
        factories.register(clerk, instruction="")
    page = Poller(leader)
    page.poll()
    assert page.last["alerts"]["unread"] == 1
    client_for(leader).post(reverse("notifications:read_all"))
    assert page.changed() and page.last["alerts"]["unread"] == 0


def test_after_the_session_ended_the_poll_says_401_not_a_login_page(client):
    response = client.get(reverse(LIVE), **BACKGROUND)
    assert response.status_code == 401
    assert response.json()["login"] == reverse("login")


def test_a_poll_neither_writes_the_session_nor_renews_its_idle_timer(staff_zgh):
    page = Poller(staff_zgh)
    page.client.get(reverse("routing:inbox"))  # the person's own request: saved, timer renewed
    session = Session.objects.get()
    page.poll()
    page.poll()
    assert Session.objects.get().expire_date == session.expire_date
    page.client.get(reverse("routing:inbox"))
    assert Session.objects.get().expire_date > session.expire_date


def test_a_region_refresh_leaves_flash_messages_for_the_persons_next_page(clerk, staff_zgh, after_commit):
    with after_commit():
        teti = factories.register(clerk)
        factories.route_pending(teti)
    c = client_for(staff_zgh)
    c.post(reverse("routing:sign", args=[factories.delivery_of(teti, staff_zgh).pk]))  # → inbox, "已签收 …"
    background = c.get(reverse("routing:inbox"), **BACKGROUND).content.decode()
    assert "已签收" not in background
    assert "已签收" in c.get(reverse("routing:inbox")).content.decode()


def test_a_live_region_carries_the_versions_the_poll_reports(clerk, staff_zgh, after_commit):
    page = Poller(staff_zgh)
    page.poll()

    def region_version() -> str:
        html = page.client.get(reverse("routing:inbox")).content.decode()
        return re.search(r'id="live-inbox" data-live="inbox" data-live-version="([^"]*)"', html).group(1)

    assert region_version() == page.last["versions"]["inbox"]
    with after_commit():
        factories.route_pending(factories.register(clerk))
    assert page.changed()
    assert region_version() == page.last["versions"]["inbox"]


def cost(page: Poller, status: int) -> list[str]:
    with CaptureQueriesContext(connection) as queries:
        assert page.poll().status_code == status
    return [q["sql"] for q in queries]


def test_one_query_gathers_the_figures_however_much_there_is(clerk, staff_zgh, leader, after_commit):
    staff, chief = Poller(staff_zgh), Poller(leader)
    staff.poll(), chief.poll()
    quiet = cost(staff, 304), cost(chief, 304)
    with after_commit():
        for _ in range(5):
            factories.route_pending(factories.another(clerk))
            factories.another(clerk, precedence="特提", instruction="")
    changed = cost(staff, 200), cost(chief, 200)
    assert (len(cost(staff, 304)), len(cost(chief, 304))) == (len(quiet[0]), len(quiet[1]))  # whatever the data
    for nothing_new, something_new in zip(quiet, changed, strict=True):
        assert len(something_new) == len(nothing_new) + 1  # + the banner's 特提 alerts
    # The figures: one statement on the person's own row (session, user and role queries are the rest).
    assert sum("auth_user" in sql and "COUNT(" in sql for sql in quiet[0]) == 1


def test_a_read_receipt_changes_the_units_inbox(clerk, staff_zgh, after_commit):
    """The inbox marks what nobody of the unit has opened yet (未读): opening it elsewhere refreshes the mark."""
    with after_commit():
        teti = factories.register(clerk)
        factories.route_pending(teti)
    page = Poller(staff_zgh)
    page.poll()
    assert routing_actions.note_opened(teti, staff_zgh)
    assert page.changed() and page.last["inbox"] == {"todo": 1, "doing": 0}


def test_a_circulation_reaching_the_leader_and_leaving_him_changes_his_inbox(clerk, leader, leader2, after_commit):
    t = factories.register(clerk, instruction="")
    first, second = Poller(leader), Poller(leader2)
    first.poll(), second.poll()
    with after_commit():
        factories.circulate(t, clerk, leader, leader2)  # in 李领导's hands first
    assert first.changed()
    factories.annotate(t, leader, "请陈领导阅。已阅。")
    first.poll(), second.poll()
    with after_commit():
        annotation_actions.pass_on(t, actor=leader)
    assert first.changed() and second.changed()  # it left one leader's hands and reached the other's
